#!/usr/bin/env bash
# Does coarse-to-fine pay? Renders fruits.jpg in the manner of The Starry Night at 512 px
# twice with the real VGG16, both from INIT (content or noise): 500 single-scale L-BFGS-B
# iterations, then 3 scales (128, 256, 512 px) with the iterations split as SPLIT says.
# Prints the single-scale run's final total loss and wall time, and when the coarse-to-fine
# run's full-size loss (same objective) first reached it. A benchmark, not a test: it takes
# most of an hour on 2 cores.
#   benchmarks/coarse-to-fine.sh [OUT_DIR] [INIT] [SPLIT]   (defaults: out/coarse-to-fine, noise, "200, 100, 300")
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/coarse-to-fine}; init=${2:-noise}; split=${3:-200, 100, 300}
swift build -c release --product styled >/dev/null
.build/release/styled model fetch >/dev/null
mkdir -p "$out"
job() {  # job NAME EXTRA-TOML
    mkdir -p "$out/$1"
    cp inbox-example/starry-fruits/fruits.jpg inbox-example/starry-fruits/starry_night.jpg "$out/$1/"
    printf 'content = "fruits.jpg"\nstyle = "starry_night.jpg"\nsize = 512\nframe_every = 0\ninit = "%s"\n%s\n' "$init" "$2" > "$out/$1/job.toml"
}
job single "iterations = 500"
job scales "scales = 3
scale_iterations = [$split]"
for name in single scales; do
    [ -f "$out/$name-result/report.json" ] || .build/release/styled run "$out/$name" --out "$out/$name-result"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def log(name): return [json.loads(line) for line in open(f"{out}/{name}-result/log.jsonl")]
single, scales = log("single"), log("scales")
target = single[-1]
print(f"single scale, 512 px, {target['iteration']} iterations: final loss {target['loss']:.6g} after {target['seconds']:.0f} s")
full = max(r["scale"] for r in scales)
reached = next((r for r in scales if r["scale"] == full and r["loss"] <= target["loss"]), None)
first = next(r for r in scales if r["scale"] == full)
print(f"coarse-to-fine {sorted({r['scale'] for r in scales})}: reached {first['iteration']} iterations at {full} px after {first['seconds']:.0f} s")
if reached:
    print(f"  reached the single-scale loss at iteration {reached['iteration']} after {reached['seconds']:.0f} s: "
          f"{reached['seconds'] / target['seconds']:.2f} of the single-scale time")
else:
    print(f"  did not reach it: final loss {scales[-1]['loss']:.6g} after {scales[-1]['seconds']:.0f} s")
PY
