#!/bin/sh
# On a machine with an NVIDIA GPU and nvidia-smi: start a master and an agent that detects its
# GPUs (--isolation=...,gpu/nvidia), run `nvidia-smi -L` as a task with gpus:1 through
# `plateau execute`, and print what the task saw. Needs a build (./dev build) first.
# Usage: scripts/gpu-check.sh [BUILD_BIN_DIR]   (default: build/bin)
set -u
BIN=${1:-build/bin}
command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found" >&2; exit 2; }
[ -x "$BIN/plateau-agent" ] || { echo "gpu-check: no $BIN/plateau-agent (build first)" >&2; exit 2; }
echo "== nvidia-smi on the host"
nvidia-smi --query-gpu=index,name,pci.bus_id --format=csv,noheader
DIR=$(mktemp -d /tmp/plateau-gpu-check.XXXXXX)
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo "$1"
}
MPORT=$(free_port 15050); APORT=$(free_port 15051)
"$BIN/plateau-master" --ip=127.0.0.1 --port="$MPORT" --work_dir="$DIR/master" >"$DIR/master.log" 2>&1 &
MPID=$!
"$BIN/plateau-agent" --master="127.0.0.1:$MPORT" --ip=127.0.0.1 --port="$APORT" \
  --work_dir="$DIR/agent" --isolation=posix/cpu,posix/mem,gpu/nvidia >"$DIR/agent.log" 2>&1 &
APID=$!
cleanup() { kill "$APID" "$MPID" 2>/dev/null; wait "$APID" "$MPID" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 50); do
  grep -q agent_registered "$DIR/agent.log" && break
  kill -0 "$APID" 2>/dev/null || { echo "gpu-check: the agent stopped:" >&2; cat "$DIR/agent.log" >&2; exit 1; }
  sleep 0.2
done
echo "== agents (plateau agent list)"
"$BIN/plateau" agent list --master="127.0.0.1:$MPORT"
echo "== plateau execute --resources=cpus:0.1;mem:32;gpus:1 --command='nvidia-smi -L; env'"
"$BIN/plateau" execute --master="127.0.0.1:$MPORT" --name=gpu-check --resources='cpus:0.1;mem:32;gpus:1' \
  --command='nvidia-smi -L; echo CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES=$NVIDIA_VISIBLE_DEVICES'
RC=$?
echo "== sandbox stdout"
find "$DIR/agent" -path '*/executors/gpu-check/runs/*/stdout' -exec cat {} \;
echo "== agent log (gpu lines)"
grep -i gpu "$DIR/agent.log"
echo "gpu-check: plateau execute exited $RC (work dir $DIR)"
exit $RC
