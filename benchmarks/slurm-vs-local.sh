#!/usr/bin/env bash
# The same 8 small jobs (the example's first job at 128 px, 30 iterations, real VGG16)
# through the daemon twice: rendered here (executor = "local", 2 at a time, 1 thread each)
# and through a one-node Slurm cluster on this machine (executor = "slurm", cpus_per_task = 1,
# so 2 at a time on 2 cores). Prints each run's wall time and jobs per hour, and for the
# Slurm run the latency from the daemon's sbatch to each worker's first iteration.
#   benchmarks/slurm-vs-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps
swift build -c release --product styled >/dev/null
styled=$PWD/.build/release/styled
"$styled" model fetch >/dev/null
root=$(mktemp -d /tmp/styled-slurm-bench.XXXXXX)
cluster=$root/cluster
mkdir -p "$cluster"/{state,spool,log}
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
read -r controller_port node_port <<<"$ports"
sed -e "s|@ROOT@|$cluster|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@NODE_PORT@|$node_port|g" \
    -e "s|@CPUS@|2|g" -e "s|@USER@|$(id -un)|g" Tests/StyledTests/slurm.conf.template >"$cluster/slurm.conf"
export SLURM_CONF=$cluster/slurm.conf
slurmctld -D -f "$SLURM_CONF" >"$cluster/log/ctld.out" 2>&1 & ctld=$!
slurmd -D -N localhost -f "$SLURM_CONF" >"$cluster/log/d.out" 2>&1 & node=$!
trap 'scancel --user="$(id -un)" 2>/dev/null || true; sleep 1; kill $ctld $node 2>/dev/null || true; rm -rf "$root"' EXIT
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do sleep 0.2; done

job=$(ls -d inbox-example/*/ | head -1)
run() {  # run NAME EXECUTOR-SETTINGS
    local dir=$root/$1
    mkdir -p "$dir/inbox"
    for i in 1 2 3 4 5 6 7 8; do
        cp -R "$job" "$dir/.job$i"
        sed -i -e 's/^size = .*/size = 128/' -e 's/^iterations = .*/iterations = 30/' -e 's/^frame_every = .*/frame_every = 0/' "$dir/.job$i/job.toml"
        grep -q '^size' "$dir/.job$i/job.toml" || echo 'size = 128' >>"$dir/.job$i/job.toml"
        grep -q '^iterations' "$dir/.job$i/job.toml" || echo 'iterations = 30' >>"$dir/.job$i/job.toml"
        mv "$dir/.job$i" "$dir/inbox/job$i"
    done
    printf 'state = "%s/state"\nthreads_per_job = 1\nrescan_seconds = 1\n%s\n[[inbox]]\npath = "%s/inbox"\noutbox = "%s/outbox"\n%s\n' \
        "$dir" "$2" "$dir" "$dir" "$3" >"$dir/styled.toml"
    local start end
    start=$(date +%s.%N)
    "$styled" daemon --config "$dir/styled.toml" --drain 2>"$dir/daemon.log"
    end=$(date +%s.%N)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'$1: 8 jobs in {s:.1f} s, {8*3600/s:.0f} jobs per hour')" "$start" "$end"
}
run local 'jobs_at_once = 2' ''
run slurm 'executor = "slurm"' "$(printf '[slurm]\nwork = "%s/work"\ncpus_per_task = 1\nmax_in_flight = 8\npoll_seconds = 0.5' "$root/slurm")"
# Latency to the first iteration, for the first two jobs (which found a free core at once):
# locally from the claim, through Slurm from the daemon's sbatch (its "submitted as Slurm job"
# line in job.log) to the worker's first iteration (its Slurm log, filed with the job).
python3 - "$root" <<'PY'
import glob, os, re, sys
from datetime import datetime
def when(line): return datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00"))
for run, start in (("local", "claimed "), ("slurm", "submitted as Slurm job")):
    firsts = []
    for folder in glob.glob(os.path.join(sys.argv[1], run, "outbox", "*")):
        lines = [l for f in [os.path.join(folder, "job.log")] + glob.glob(os.path.join(folder, "slurm-*.log")) for l in open(f)]
        began = [when(l) for l in lines if start in l]
        first = [when(l) for l in lines if re.search(r" iteration 1/", l)]
        if began and first: firsts.append((min(began), (min(first) - min(began)).total_seconds()))
    latencies = [seconds for _, seconds in sorted(firsts)[:2]]
    print(f"{run}: start to first iteration {', '.join(f'{s:.2f}' for s in latencies)} s (the first two jobs)")
PY
