#!/usr/bin/env bash
# Runs one VGG forward + backward (gradient with respect to the image) to block5_conv1 in
# styled and in PyTorch (Debian's python3-torch, 2 threads, the same weights and size), in
# one run, and prints both figures and their ratio.
#   benchmarks/compare-pytorch.sh [SIZE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512}; runs=${2:-5}
scripts/install-deps python3-torch
swift build -c release --product styled >/dev/null
.build/release/styled model fetch >/dev/null
models=${STYLED_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/styled/models}
styled_json=$(.build/release/styled bench --size "$size" --runs "$runs" --json)
torch_json=$(/usr/bin/python3 benchmarks/pytorch_vgg.py "$models/vgg16.safetensors" "$size" "$runs")
/usr/bin/python3 - "$styled_json" "$torch_json" <<'PY'
import json, sys
s, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"size {s['size']}×{s['size']}, VGG16 forward+backward to block5_conv1, median of {s['runs']} runs")
print(f"  styled : {s['median_seconds']:.3f} s  {s['gflops']:.1f} GFLOP/s  peak {s['peak_memory_bytes']/1e6:.0f} MB  ({s['threads']} threads)")
print(f"  PyTorch: {t['median_seconds']:.3f} s  {t['gflops']:.1f} GFLOP/s  peak {t['peak_memory_bytes']/1e6:.0f} MB  ({t['threads']} threads, torch {t['torch']})")
print(f"  styled / PyTorch time: {s['median_seconds']/t['median_seconds']:.2f}")
PY
