#!/usr/bin/env bash
# Print sizes: seconds per evaluation of the whole objective (one Adam iteration) and peak
# memory, whole and in tiles. Each SIZE:BUDGET (default 1024:1.5 2048:3 4096:6 6000:12, in px
# and GB) is measured by its own `styled bench --max-memory-gb` processes, so each peak is
# its own: a budget of 1000 GB gives the whole-image path (skipped where it would not fit this
# machine's free memory, at about 2.6 KB a pixel), BUDGET the tiles a render within it uses.
#   benchmarks/print-sizes.sh [SIZE:BUDGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(1024:1.5 2048:3 4096:6 6000:12)
scripts/install-deps python3
swift build -c release --product styled
styled=.build/release/styled
"$styled" model fetch
# In kB, as /proc/meminfo gives it: mawk's printf %d stops at 2^31 - 1, so bytes would not do.
available_kb=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
records=$(mktemp)
trap 'rm -f "$records"' EXIT
for case in "${cases[@]}"; do
    size=${case%%:*} budget=${case#*:}
    runs=$([ "$size" -le 1024 ] && echo 2 || echo 1)
    if [ $((size * size * 2600 / 1024)) -lt "$available_kb" ]; then
        "$styled" bench --size "$size" --runs "$runs" --max-memory-gb 1000 --json | tee -a "$records"
    fi
    "$styled" bench --size "$size" --runs "$runs" --max-memory-gb "$budget" --json | tee -a "$records"
done
/usr/bin/python3 - "$records" <<'PYTHON'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
print("| size | whole: s per evaluation | whole: peak | budget | tiles (core) | tiled: s per evaluation | tiled: peak | tiled / whole |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for size in sorted({r["size"] for r in records}):
    whole = next((r for r in records if r["size"] == size and r["max_memory_gb"] == 1000), None)
    tiled = next(r for r in records if r["size"] == size and r["max_memory_gb"] != 1000)
    cells = [str(size)]
    cells += [f"{whole['median_seconds']:.1f}", f"{whole['peak_memory_bytes'] / 1e9:.2f} GB"] if whole else ["–", "does not fit"]
    cells += [f"{tiled['max_memory_gb']:g} GB", f"{tiled['tiles']} ({tiled['tile_core'] or 'whole'})", f"{tiled['median_seconds']:.1f}",
              f"{tiled['peak_memory_bytes'] / 1e9:.2f} GB"]
    cells += [f"{tiled['median_seconds'] / whole['median_seconds']:.2f}" if whole else "–"]
    print("| " + " | ".join(cells) + " |")
PYTHON
