#!/usr/bin/env bash
# styled against PyTorch (Debian's python3-torch, 2 threads, the same weights), in one run:
#  1. the pass: one VGG16 forward to block5_conv1 and backward to the image, SIZE² px
#     (styled bench against benchmarks/pytorch_vgg.py), median of RUNS;
#  2. a whole evaluation in a render: objective, gradient and L-BFGS-B step, fruits.jpg with
#     The Starry Night at SIZE px from the content, ITERATIONS iterations, the paper's objective
#     in float32 (styled run against benchmarks/reference_gatys.py --float32, PyTorch + SciPy's
#     L-BFGS-B): the seconds between the first and the last logged iteration over the
#     evaluations between them, and the reference's optimisation seconds over its evaluations.
#   benchmarks/compare-pytorch.sh [SIZE] [RUNS] [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512}; runs=${2:-5}; iterations=${3:-30}
scripts/install-deps python3-torch python3-scipy python3-numpy python3-pil
swift build -c release --product styled >/dev/null
styled=$PWD/.build/release/styled
"$styled" model fetch >/dev/null
models=${STYLED_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/styled/models}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT  # only this script's own temporary folder

styled_pass=$("$styled" bench --size "$size" --runs "$runs" --json)
torch_pass=$(/usr/bin/python3 benchmarks/pytorch_vgg.py "$models/vgg16.safetensors" "$size" "$runs")

mkdir "$work/job"
cp examples/recipes/fruits-starry/fruits.jpg examples/recipes/fruits-starry/starry_night.jpg "$work/job/"
cat > "$work/job/job.toml" <<TOML
content = "fruits.jpg"
style = "starry_night.jpg"
size = $size
iterations = $iterations
recipe = "gatys"
init = "content"
content_weight = 1
style_weight = 1e4
tv_weight = 0
frame_every = 0
TOML
"$styled" run "$work/job" --out "$work/out" >/dev/null
/usr/bin/python3 benchmarks/reference_gatys.py --float32 "$models/vgg16.safetensors" "$work/job/fruits.jpg" "$work/job/starry_night.jpg" \
    "$iterations" "$work/reference.json" >/dev/null

/usr/bin/python3 - "$styled_pass" "$torch_pass" "$work/out/log.jsonl" "$work/reference.json" <<'PY'
import json, sys
s, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"size {s['size']}×{s['size']}, VGG16 forward+backward to block5_conv1, median of {s['runs']} runs")
print(f"  styled : {s['median_seconds']:.3f} s  {s['gflops']:.1f} GFLOP/s  peak {s['peak_memory_bytes']/1e6:.0f} MB  ({s['threads']} threads)")
print(f"  PyTorch: {t['median_seconds']:.3f} s  {t['gflops']:.1f} GFLOP/s  peak {t['peak_memory_bytes']/1e6:.0f} MB  ({t['threads']} threads, torch {t['torch']})")
print(f"  styled / PyTorch time: {s['median_seconds']/t['median_seconds']:.2f}")
records = [json.loads(line) for line in open(sys.argv[3]) if '"iteration"' in line]
first, last = records[0], records[-1]
styled_evaluation = (last["seconds"] - first["seconds"]) / (last["evaluations"] - first["evaluations"])
r = json.load(open(sys.argv[4]))["scipy"]
print(f"whole evaluation in a render (fruits.jpg with The Starry Night, {s['size']} px, from the content, paper's objective, float32)")
print(f"  styled : {styled_evaluation:.3f} s  ({last['evaluations'] - first['evaluations']} evaluations over iterations {first['iteration']}-{last['iteration']})")
print(f"  PyTorch + SciPy: {r['seconds_per_evaluation']:.3f} s  ({r['evaluations']} evaluations, {r['iterations']} iterations)")
print(f"  styled / PyTorch time: {styled_evaluation / r['seconds_per_evaluation']:.2f}")
PY
