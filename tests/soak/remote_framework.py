#!/usr/bin/env python3
"""A soak framework in a process of its own, under Debian's libfaketime, so that the harness can
kill it for real (kill -9) and make its wall clock jump.

The child runs framework.Framework (the same scheduler as the harness's threads) and reports to
the harness on its stdout, one JSON object a line: a task it launched, each status update it
received (before it acknowledges it), each subscription. The harness keeps the records (they
stand for a scheduler's own store), checks the updates as they arrive, and tells the child on its
stdin who leads, when to tick, kill or reconcile. A killed child is started again with its
framework id and its unfinished tasks, as a supervisor would restart a scheduler.

The wall clock jumps through FAKETIME_TIMESTAMP_FILE (an offset such as "+86400s", read at each
call); CLOCK_MONOTONIC is left alone (DONT_FAKE_MONOTONIC=1), as a real clock step leaves it.
libfaketime 0.9.10 answers EINVAL to the absolute CLOCK_MONOTONIC clock_nanosleep that Python
3.11's time.sleep makes, so the child sleeps with select() instead.
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from framework import Framework, TaskRecord, Update, record_update, unfinished  # noqa: E402

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def available():
    return os.path.exists(LIBFAKETIME)


class RemoteFramework(object):
    """The harness's side of a framework process: the same attributes and calls as a threaded
    framework.Framework, carried out by the child."""

    def __init__(self, name, harness, seed, checkpoint, partition_aware):
        self.name = name
        self.harness = harness
        self.seed = seed
        self.checkpoint = checkpoint
        self.partition_aware = partition_aware
        self.framework_id = None
        self.tasks = {}
        self.lock = threading.Lock()
        self.launching = True
        self.stream_id = None  # True while the child is subscribed
        self.subscribe_times = []
        self.clock_file = os.path.join(harness.run_dir, name + ".faketime")
        self.log_path = os.path.join(harness.run_dir, name + ".log")
        self.proc = None
        self.killed = None  # the process the harness killed
        self.proc_lock = threading.Lock()
        self.stopping = False
        self.kills = 0
        self.set_clock(0)

    # ---- the child process ------------------------------------------------------------------
    def start(self):
        threading.Thread(target=self._push, name=self.name + "-push", daemon=True).start()
        self._spawn()

    def _spawn(self):
        env = dict(os.environ, LD_PRELOAD=LIBFAKETIME, FAKETIME_TIMESTAMP_FILE=self.clock_file,
                   FAKETIME_NO_CACHE="1", DONT_FAKE_MONOTONIC="1")
        with self.lock:
            tasks = [{"task_id": t.task_id, "kind": t.kind, "agent_id": t.agent_id,
                      "group": t.group, "fate": t.fate(), "kill_sent": t.kill_sent}
                     for t in self.tasks.values()]
        init = {"name": self.name, "seed": self.seed, "checkpoint": self.checkpoint,
                "partition_aware": self.partition_aware, "framework_id": self.framework_id,
                "counter": len(tasks), "tasks": tasks}
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                    cwd=self.harness.run_dir, env=env, start_new_session=True)
        with self.proc_lock:
            self.proc = proc
        self._send(init)
        threading.Thread(target=self._read, args=(proc,), name=self.name + "-read",
                         daemon=True).start()

    def _send(self, msg):
        with self.proc_lock:
            proc = self.proc
            if proc is None or proc.poll() is not None:
                return
            try:
                proc.stdin.write((json.dumps(msg) + "\n").encode())
                proc.stdin.flush()
            except (OSError, ValueError):
                pass

    def _push(self):
        """Tells the child who leads, and whether to launch, every 0.3 s."""
        while not self.stopping:
            self._send({"leader": self.harness.leader_address(),
                        "quiescing": self.harness.quiescing, "launching": self.launching})
            time.sleep(0.3)

    def _read(self, proc):
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            self._received(msg)
        rc = proc.wait()
        if proc is not self.killed and not self.stopping:
            self.harness.violation("crash", "%s's process exited rc=%s:\n%s" % (
                self.name, rc, self._log_tail()), self.name)

    def _log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return ""

    def _received(self, msg):
        h = self.harness
        if "launched" in msg:
            t = msg["launched"]
            with self.lock:
                self.tasks[t["task_id"]] = TaskRecord(t["task_id"], t["kind"], t["agent_id"],
                                                      t["group"])
            h.launched(self, t["task_id"])
        elif "update" in msg:
            record, u, before = record_update(self, msg["update"])
            if record is not None:
                h.on_update(self, record, u, before)
        elif "subscribed" in msg:
            self.framework_id = msg["subscribed"]
            self.stream_id = True
            self.subscribe_times.append((time.time(), time.time()))
        elif "note" in msg:
            h.note(msg["note"])

    # ---- what the harness and the faults call -----------------------------------------------
    def tick(self, now):
        self._send({"tick": True})

    def kill(self, task_id):
        with self.lock:
            self.tasks[task_id].kill_sent = True
        self._send({"kill": task_id})

    def reconcile(self, explicit=True, task_ids=None):
        self._send({"reconcile": explicit, "task_ids": task_ids})

    def unfinished(self):
        return unfinished(self)

    @property
    def slow_until(self):
        return 0.0

    @slow_until.setter
    def slow_until(self, monotonic_deadline):
        self._send({"slow_for": monotonic_deadline - time.monotonic()})

    def crash(self, down_seconds):
        """kill -9 of the process; started again down_seconds later."""
        self.kills += 1
        with self.proc_lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            self.killed = proc
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        self.stream_id = None

        def again():
            time.sleep(down_seconds)
            if not self.stopping:
                self._spawn()

        threading.Thread(target=again, daemon=True).start()

    def set_clock(self, offset_s):
        """Moves the child's wall clock to real time + offset_s (from its next call on)."""
        with open(self.clock_file + ".new", "w") as f:
            f.write("%+ds\n" % int(offset_s))
        os.replace(self.clock_file + ".new", self.clock_file)

    def stop(self):
        self.stopping = True
        self._send({"stop": True})
        with self.proc_lock:
            proc = self.proc
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


# ---- the child -------------------------------------------------------------------------------
class Link(object):
    """The harness as the child's Framework sees it: reports go to stdout."""

    def __init__(self):
        self.leader = None
        self.quiescing = False
        self.out_lock = threading.Lock()

    def emit(self, msg):
        with self.out_lock:
            sys.stdout.write(json.dumps(msg) + "\n")
            sys.stdout.flush()

    def leader_address(self):
        return self.leader

    def note(self, text):
        self.emit({"note": text})

    def launched(self, fw, task_id):
        t = fw.tasks[task_id]
        self.emit({"launched": {"task_id": task_id, "kind": t.kind, "agent_id": t.agent_id,
                                "group": t.group}})

    def on_update(self, fw, record, u, before):
        status = {"task_id": {"value": record.task_id}, "state": u.state, "source": u.source,
                  "uuid": u.uuid, "reason": u.reason, "message": u.message}
        if u.agent_id:
            status["agent_id"] = {"value": u.agent_id}
        self.emit({"update": status})

    def subscribed(self, fw):
        self.emit({"subscribed": fw.framework_id})


def _sleep(seconds):
    select.select([], [], [], max(0.0, seconds))


def _watch(fw):
    """Ends the process when its framework's thread died of an exception (the harness then
    reports the process's exit and its stderr)."""
    while fw.thread.is_alive() or fw.stopping:
        _sleep(1.0)
    os._exit(3)


def child():
    time.sleep = _sleep
    link = Link()
    init = json.loads(sys.stdin.readline())
    fw = Framework(init["name"], link, init["seed"] + 7919 * init["counter"], init["checkpoint"],
                   init["partition_aware"])
    fw.framework_id = init["framework_id"]
    fw.counter = init["counter"]
    for t in init["tasks"]:
        record = TaskRecord(t["task_id"], t["kind"], t["agent_id"], t["group"])
        record.kill_sent = t["kill_sent"]
        if t["fate"]:
            status = {"state": t["fate"]}
            if t["agent_id"]:
                status["agent_id"] = {"value": t["agent_id"]}
            record.updates.append(Update(status))
        fw.tasks[t["task_id"]] = record
    fw.start()
    threading.Thread(target=_watch, args=(fw,), daemon=True).start()
    for line in sys.stdin:
        msg = json.loads(line)
        if "leader" in msg:
            link.leader, link.quiescing = msg["leader"], msg["quiescing"]
            fw.launching = msg["launching"]
        elif "tick" in msg:
            fw.tick(time.time())
        elif "kill" in msg:
            if msg["kill"] in fw.tasks:
                fw.kill(msg["kill"])
        elif "reconcile" in msg:
            fw.reconcile(msg["reconcile"], msg["task_ids"])
        elif "slow_for" in msg:
            fw.slow_until = time.monotonic() + msg["slow_for"]
        elif "stop" in msg:
            break
    fw.stop()
    return 0


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    sys.exit(child())
