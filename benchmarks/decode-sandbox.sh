#!/usr/bin/env bash
# What decoding in a sandboxed child (`styled decode`: spawn, rlimits, seccomp, pixels over a
# pipe) costs over decoding in the process, per image, for a 4000×3000 (12-megapixel) PNG and
# JPEG made from a photograph: the median of RUNS of each. The test that measures it
# (DecoderSandboxTests.overheadAt12Megapixels) is skipped unless this script runs it.
#   benchmarks/decode-sandbox.sh [RUNS] [SCRATCH]    (SCRATCH: SwiftPM's scratch path, default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}; scratch=${2:-.build}
STYLED_BENCH_DECODE=$runs swift test -c release --scratch-path "$scratch" \
    --filter 'DecoderSandboxTests/overheadAt12Megapixels' 2>&1 | grep -E '^decode-sandbox|✘|error:'
