#!/usr/bin/env bash
# The Debian package from `./dev package`, unpacked with dpkg-deb -x into a scratch root that
# sits under a 0700 folder, runs a master and an agent (started the way systemd starts them,
# through plateau-service and the configuration folder) and a task as an unprivileged user,
# from the installed paths only: every process sees an empty tmpfs where the source and build
# trees are (a private mount namespace), so nothing can resolve back into them.
#   package_test.sh BUILD_DIR SOURCE_DIR
# Exit 77 (skipped) without root or the Debian tools.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)

skip() {
  echo "SKIPPED: $*"
  exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (a mount namespace and a task run as another user)"
for tool in cpack dpkg-deb dpkg-shlibdeps unshare curl; do
  command -v "$tool" >/dev/null || skip "no $tool"
done
unshare --mount true 2>/dev/null || skip "cannot create a mount namespace here"

work=$(mktemp -d /tmp/plateau-package.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  local code=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Anything still running from the scratch root (an executor, a task) goes too.
  pkill -KILL -f "$work/" 2>/dev/null || true
  if [ "$code" != 0 ] && [ "$code" != 77 ]; then
    for f in "$work"/*.log "$work"/log/*.log; do
      [ -f "$f" ] && { echo "---- $f"; tail -n 40 "$f"; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# Runs a command where the source and build trees are empty folders. It replaces the calling
# shell (exec), so run it in a subshell: `(hidden CMD) ` to wait for it, `hidden CMD &` for a
# daemon whose pid $! then is the daemon's own.
hidden() {
  exec unshare --mount --propagation private -- bash -c '
    set -e
    for dir in "$PLATEAU_HIDE_SRC" "$PLATEAU_HIDE_BUILD"; do
      # A build tree inside the source tree is already gone with it.
      if [ -d "$dir" ]; then mount -t tmpfs -o size=64k,mode=0755 plateau-hidden "$dir"; fi
    done
    exec "$@"' hidden "$@"
}
export PLATEAU_HIDE_SRC=$SRC PLATEAU_HIDE_BUILD=$BUILD

# Polls a condition (a command) every 0.1 s for at most $1 seconds.
eventually() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

echo "== building the package"
mkdir -p "$work/out"
(cd "$work/out" && cpack -G DEB -B "$work/out" --config "$BUILD/CPackConfig.cmake") >"$work/cpack.log" 2>&1 ||
  fail "cpack failed: $(tail -n 20 "$work/cpack.log")"
deb=$(ls "$work"/out/packages/plateau_*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"

echo "== its contents"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
for path in /usr/bin/plateau-master /usr/bin/plateau-agent /usr/bin/plateau \
  /usr/libexec/plateau/plateau-executor /usr/libexec/plateau/plateau-fetcher \
  /usr/libexec/plateau/plateau-container-launch \
  /usr/libexec/plateau/plateau-service /usr/share/plateau/webui/index.html \
  /usr/lib/systemd/system/plateau-master.service /usr/lib/systemd/system/plateau-agent.service \
  /etc/default/plateau-master /etc/default/plateau-agent /etc/plateau/master/work_dir \
  /usr/lib/python3/dist-packages/mesos/interface/mesos_pb2.py /usr/share/doc/plateau/README.md; do
  grep -qx "$path" "$work/contents" || fail "the package lacks $path"
done
if grep -q "$SRC\|$BUILD" "$work/contents"; then
  fail "the package names the build machine's paths: $(grep "$SRC\|$BUILD" "$work/contents")"
fi
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libprotobuf libzookeeper-mt libsqlite3 adduser curl; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/default/plateau-master "$work/control/conffiles" || fail "no conffiles"
grep -q "adduser --system" "$work/control/postinst" || fail "postinst adds no system user"
grep -q "^ExecStart=/usr/libexec/plateau/plateau-service master$" \
  "$work/out/_CPack_Packages/Linux/DEB/"*/usr/lib/systemd/system/plateau-master.service ||
  fail "the master's unit does not start plateau-service"

echo "== unpacked under a 0700 folder, the trees it was built from hidden"
mkdir -m 0700 "$work/private"
root=$work/private/root
dpkg-deb -x "$deb" "$root"
(hidden test ! -e "$SRC/CMakeLists.txt") || fail "the source tree is still visible"
(hidden test ! -e "$BUILD/bin") || fail "the build tree is still visible"

# The configuration as an operator would write it: one file per flag, and the environment
# (MESOS_*) that systemd reads from /etc/default.
conf=$work/etc/plateau
mkdir -p "$work/etc"
cp -a "$root/etc/plateau" "$conf"
master_port=$(free_port)
agent_port=$(free_port)
echo 127.0.0.1 >"$conf/master/ip"
echo "$master_port" >"$conf/master/port"
echo "$work/master" >"$conf/master/work_dir"
echo "$work/log" >"$conf/master/log_dir"
echo 127.0.0.1 >"$conf/agent/ip"
echo "$agent_port" >"$conf/agent/port"
echo "$work/agent" >"$conf/agent/work_dir"
echo "$work/log" >"$conf/agent/log_dir"
mkdir -p "$work/log"

PLATEAU_CONF_DIR=$conf MESOS_HOSTNAME=package-master \
  hidden "$root/usr/libexec/plateau/plateau-service" master >"$work/master.log" 2>&1 &
pids+=($!)
master=127.0.0.1:$master_port
eventually 20 curl -fsS "http://$master/health" || fail "the master did not start"

PLATEAU_CONF_DIR=$conf MESOS_MASTER=$master \
  hidden "$root/usr/libexec/plateau/plateau-service" agent >"$work/agent.log" 2>&1 &
pids+=($!)
registered() { curl -fsS "http://$master/master/slaves" | grep -q '"active":true'; }
eventually 20 registered || fail "the agent did not register"

echo "== flags from files and the environment reached the master"
flags=$(curl -fsS "http://$master/master/flags")
[[ "$flags" == *"\"work_dir\":\"$work/master\""* ]] || fail "work_dir file not applied: $flags"
state=$(curl -fsS "http://$master/master/state")
[[ "$state" == *'"hostname":"package-master"'* ]] || fail "MESOS_HOSTNAME not applied"
[ -s "$work/log/plateau-master.log" ] || fail "no log in the log_dir from the file"

echo "== the web UI from share/plateau/webui"
curl -fsS "http://$master/" | grep -qi "<html" || fail "no web UI at /"

echo "== a task as nobody, its executor under the 0700 folder"
(hidden "$root/usr/bin/plateau" execute --master="$master" --name=installed --user=nobody \
  --command="id -un; test -e '$SRC/CMakeLists.txt' || echo trees-hidden") >"$work/execute.log" 2>&1 ||
  fail "the task did not finish: $(cat "$work/execute.log")"
out=$(find "$work/agent/slaves" -path '*/executors/installed/runs/*/stdout' | head -n 1)
[ -n "$out" ] || fail "no sandbox stdout for the task"
grep -qx nobody "$out" || fail "the task did not run as nobody: $(cat "$out")"
grep -qx trees-hidden "$out" || fail "the task saw the source tree"
show=$(hidden "$root/usr/bin/plateau" task show installed --master="$master")
[[ "$show" =~ TASK_FINISHED\ at\ [0-9]{4}-[0-9]{2}-[0-9]{2}\  ]] || fail "task show: $show"

echo "== the Python bindings from dist-packages"
(hidden env PYTHONPATH="$root/usr/lib/python3/dist-packages" /usr/bin/python3 -c '
import mesos.interface, mesos.native
from mesos.interface import mesos_pb2
assert mesos.native.__file__.startswith("'"$root"'"), mesos.native.__file__
print("mesos", mesos_pb2.TaskInfo.DESCRIPTOR.full_name)') || fail "the Python package does not import"

echo "PASSED: installed package ran a master, an agent and a task without the build tree"
