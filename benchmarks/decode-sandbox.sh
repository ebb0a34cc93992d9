#!/usr/bin/env bash
# What decoding in a sandboxed child (`styled decode`: spawn, rlimits, seccomp, pixels over a
# pipe) costs over decoding in the process, per image, for a 4000×3000 (12-megapixel) PNG and
# JPEG made from a photograph: the median of RUNS of each (`styled bench-decode`).
#   benchmarks/decode-sandbox.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product styled >/dev/null
.build/release/styled bench-decode --runs "${1:-9}" Tests/Images/fruits.jpg
