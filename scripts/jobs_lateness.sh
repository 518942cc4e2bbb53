#!/usr/bin/env bash
# Measures how late plateau-jobs starts scheduled runs: a master, an agent and plateau-jobs on
# loopback, JOBS jobs each every PERIOD seconds for RUNS runs; every task writes its scheduled
# time and its own start time, and the script prints the distribution of the difference (from
# the scheduled time to the task's first command on the agent).
# Usage: scripts/jobs_lateness.sh [RUNS=60] [PERIOD=1] [JOBS=1]
set -euo pipefail
RUNS=${1:-60}
PERIOD=${2:-1}
JOBS=${3:-1}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
dir=$(mktemp -d /tmp/plateau-jobs-lateness.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
port_of() {  # the port a daemon logged in "<event> ... address=IP:PORT"
  for _ in $(seq 1 200); do
    if p=$(grep -o "$2 .*address=[0-9.]*:[0-9]*" "$1" 2>/dev/null | head -1 | sed 's/.*://'); then
      [ -n "$p" ] && { echo "$p"; return; }
    fi
    sleep 0.05
  done
  echo "no $2 in $1" >&2
  exit 1
}
"$BIN/plateau-master" --ip=127.0.0.1 --port=0 --work_dir="$dir/master" >"$dir/master.log" 2>&1 &
pids+=($!)
master=$(port_of "$dir/master.log" master_started)
"$BIN/plateau-agent" --master="127.0.0.1:$master" --ip=127.0.0.1 --port=0 \
  --work_dir="$dir/agent" --resources='cpus:8;mem:8192;disk:8192' >"$dir/agent.log" 2>&1 &
pids+=($!)
"$BIN/plateau-jobs" --master="127.0.0.1:$master" --http_address=127.0.0.1 --http_port=0 \
  --work_dir="$dir/jobs" >"$dir/jobs.log" 2>&1 &
pids+=($!)
jobs=$(port_of "$dir/jobs.log" jobs_started)
sleep 2  # the agent registers
start=$(date -u -d "@$(( $(date +%s) + 3 ))" +%Y-%m-%dT%H:%M:%SZ)
for j in $(seq 1 "$JOBS"); do
  cmd="echo \$PLATEAU_JOB_SCHEDULED_EPOCH \$(date +%s.%N) >> $dir/runs.txt"
  body=$(python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "command": sys.argv[2],
    "schedule": "R%s/%s/PT%sS" % (sys.argv[3], sys.argv[4], sys.argv[5]), "cpus": 0.1, "mem": 32,
    "disk": 0}))' "lateness$j" "$cmd" "$RUNS" "$start" "$PERIOD")
  curl -sf "127.0.0.1:$jobs/v1/scheduler/iso8601" -H 'Content-Type: application/json' -d "$body"
done
want=$((RUNS * JOBS))
for _ in $(seq 1 $((RUNS * PERIOD * 20 + 600))); do
  [ -f "$dir/runs.txt" ] && [ "$(wc -l < "$dir/runs.txt")" -ge "$want" ] && break
  sleep 0.1
done
for j in $(seq 1 "$JOBS"); do
  curl -sf "127.0.0.1:$jobs/v1/scheduler/job/stat/lateness$j" > "$dir/stat$j.json"
done
python3 - "$dir" "$RUNS" "$PERIOD" "$JOBS" <<'PY'
import glob, json, sys
d, runs, period, jobs = sys.argv[1:]
def show(what, late):
    late = sorted(late)
    pct = lambda p: late[min(len(late) - 1, int(p * (len(late) - 1) + 0.5))]
    print("%-28s runs=%d period=%ss jobs=%s: min=%.3f p50=%.3f p90=%.3f p99=%.3f max=%.3f s"
          % (what, len(late), period, jobs, late[0], pct(.5), pct(.9), pct(.99), late[-1]))
rows = [tuple(map(float, l.split())) for l in open(d + "/runs.txt") if len(l.split()) == 2]
show("launch (ACCEPT sent)", [r["latenessSeconds"] for f in glob.glob(d + "/stat*.json")
                               for r in json.load(open(f))["taskStatHistory"]
                               if "latenessSeconds" in r])
show("task start (first command)", [b - a for a, b in rows])
PY
