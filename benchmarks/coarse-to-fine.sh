#!/usr/bin/env bash
# Does coarse-to-fine pay? Renders fruits.jpg in the manner of The Starry Night at SIZE with
# the real VGG16 from INIT (content or noise): 500 single-scale L-BFGS-B iterations (a frame
# every 50), then each VARIANT, a job's coarse-to-fine fields with spaces for newlines
# (e.g. "scales=3 scale_iterations=[200,100,300]"). Prints when each variant's full-size
# loss (the same objective) reached the single-scale run's final loss, and what each stretch
# of single-scale iterations changed, by spatial period. A benchmark, not a test: at 512 px
# it takes most of an hour on 2 cores.
#   benchmarks/coarse-to-fine.sh OUT_DIR SIZE INIT VARIANT...
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 size=$2 init=$3; shift 3
scripts/install-deps python3-numpy python3-pil
swift build -c release --product styled >/dev/null
.build/release/styled model fetch >/dev/null
mkdir -p "$out"
names=()
render() {  # render NAME FIELDS
    mkdir -p "$out/$1"
    cp inbox-example/starry-fruits/fruits.jpg inbox-example/starry-fruits/starry_night.jpg "$out/$1/"
    printf 'content = "fruits.jpg"\nstyle = "starry_night.jpg"\nsize = %s\ninit = "%s"\n%s\n' "$size" "$init" "$2" > "$out/$1/job.toml"
    [ -f "$out/$1-result/report.json" ] || .build/release/styled run "$out/$1" --out "$out/$1-result"
}
render single "iterations = 500
frame_every = 50"
for variant in "$@"; do
    name="variant-${#names[@]}"
    render "$name" "frame_every = 0
$(tr ' ' '\n' <<< "$variant")"
    names+=("$name")
done
/usr/bin/python3 benchmarks/coarse_to_fine_report.py "$out" single "${names[@]}"
