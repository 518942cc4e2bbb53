#!/bin/sh
# Runs Plateau's cgroups isolation on this host and prints what happened: a memory hog stopped at
# its limit (TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY), a CPU-capped spinner throttled
# (from /monitor/statistics, with processes and threads counted from its cgroup), and a task in
# its own pid namespace; the agent runs in <cgroups_root>/slave (--agent_subsystems) and, where the
# kernel accounts swap, limits memory and swap together (--cgroups_limit_swap). Needs root and a writable cgroup
# hierarchy (v1 or v2). Usage: scripts/isolation-check.sh [BUILD_BIN_DIR]   (default: build/bin)
set -u
BIN=${1:-build/bin}
[ -x "$BIN/plateau-agent" ] || { echo "isolation-check: no $BIN/plateau-agent (build first)" >&2; exit 2; }
DIR=$(mktemp -d /tmp/plateau-isolation-check.XXXXXX)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo "== cgroup v2: $(cat /sys/fs/cgroup/cgroup.controllers)"
else
  echo "== cgroup v1: $(ls /sys/fs/cgroup | tr '\n' ' ')"
fi
MPORT=$((20000 + $$ % 20000)); APORT=$((MPORT + 1))
"$BIN/plateau-master" --ip=127.0.0.1 --port="$MPORT" --work_dir="$DIR/master" >"$DIR/master.log" 2>&1 &
MPID=$!
SWAP=
if [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] ||
   [ -n "$(find /sys/fs/cgroup -maxdepth 2 -name memory.swap.max 2>/dev/null | head -n 1)" ]; then
  SWAP=--cgroups_limit_swap
fi
"$BIN/plateau-agent" --master="127.0.0.1:$MPORT" --ip=127.0.0.1 --port="$APORT" \
  --work_dir="$DIR/agent" --isolation=cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid \
  --cgroups_enable_cfs --cgroups_cpu_enable_pids_and_tids_count --agent_subsystems=memory,cpu \
  $SWAP >"$DIR/agent.log" 2>&1 &
APID=$!
cleanup() { kill "$APID" "$MPID" 2>/dev/null; wait "$APID" "$MPID" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 50); do
  grep -q agent_registered "$DIR/agent.log" && break
  kill -0 "$APID" 2>/dev/null || { echo "isolation-check: the agent stopped:" >&2; cat "$DIR/agent.log" >&2; exit 1; }
  sleep 0.2
done
M=--master=127.0.0.1:$MPORT
echo "== the agent's own cgroups (expect .../plateau/slave)"
cat "/proc/$APID/cgroup"
echo "== memory hog with mem:64 (expect TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY)"
"$BIN/plateau" execute $M --name=hog --resources='cpus:0.5;mem:64' \
  --command='python3 -c "b=[]
while True: b.append(bytearray(8<<20))" 2>/dev/null || (x=$(head -c 400000000 /dev/zero | tr "\0" a); echo ${#x})'
echo "== spinner with cpus:0.2 and CFS quota (expect throttling)"
"$BIN/plateau" execute $M --name=spin --resources='cpus:0.2;mem:32' \
  --command='timeout 3 sh -c "while :; do :; done"; echo spun' &
EPID=$!
sleep 2.5
curl -s "http://127.0.0.1:$APORT/monitor/statistics" 2>/dev/null || \
  python3 -c "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:$APORT/monitor/statistics').read().decode())"
echo
wait $EPID
echo "== a task in its own pid namespace (expect a small pid)"
"$BIN/plateau" execute $M --name=pidns --command='echo "my pid: $$"; ls /proc | grep -c "^[0-9]"' >/dev/null
find "$DIR/agent" -path '*/executors/pidns/runs/*/stdout' -exec cat {} \;
echo "== agent log (containers)"
grep -E "container_|limitation|oom" "$DIR/agent.log" | cut -c1-220
