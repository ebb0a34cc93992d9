#!/usr/bin/env bash
# Print sizes: seconds per evaluation of the whole objective (one Adam iteration) and peak
# memory, whole and in tiles, at each SIZE (default 1024 2048 4096 6000 px). Each figure is its
# own `styled bench --max-memory-gb` process, so each peak is its own: a budget of 1000 GB
# gives the whole-image path (skipped where it would not fit this machine's free memory, at
# about 2.6 KB a pixel), BUDGET_GB (default 6) the tiles a render within it uses.
#   benchmarks/print-sizes.sh [BUDGET_GB] [SIZE...]
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-6}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1024 2048 4096 6000)
scripts/install-deps python3
swift build -c release --product styled
styled=.build/release/styled
"$styled" model fetch
available=$(awk '/MemAvailable/ { print $2 * 1024 }' /proc/meminfo)
records=$(mktemp)
trap 'rm -f "$records"' EXIT
for size in "${sizes[@]}"; do
    runs=$([ "$size" -le 2048 ] && echo 2 || echo 1)
    if [ $((size * size * 2600)) -lt "$available" ]; then
        "$styled" bench --size "$size" --runs "$runs" --max-memory-gb 1000 --json | tee -a "$records"
    fi
    "$styled" bench --size "$size" --runs "$runs" --max-memory-gb "$budget" --json | tee -a "$records"
done
/usr/bin/python3 - "$records" "$budget" <<'PYTHON'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
print(f"| size | whole: s per evaluation | whole: peak | tiles within {sys.argv[2]} GB (core) | tiled: s per evaluation | tiled: peak | tiled / whole |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for size in sorted({r["size"] for r in records}):
    whole = next((r for r in records if r["size"] == size and r["tile_core"] == 0 and r["max_memory_gb"] == 1000), None)
    tiled = next(r for r in records if r["size"] == size and r["max_memory_gb"] != 1000)
    cells = [str(size)]
    cells += [f"{whole['median_seconds']:.1f}", f"{whole['peak_memory_bytes'] / 1e9:.2f} GB"] if whole else ["–", "does not fit"]
    cells += [f"{tiled['tiles']} ({tiled['tile_core'] or 'whole'})", f"{tiled['median_seconds']:.1f}", f"{tiled['peak_memory_bytes'] / 1e9:.2f} GB"]
    cells += [f"{tiled['median_seconds'] / whole['median_seconds']:.2f}" if whole else "–"]
    print("| " + " | ".join(cells) + " |")
PYTHON
