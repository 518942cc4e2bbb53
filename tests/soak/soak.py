#!/usr/bin/env python3
"""Plateau's fault soak (docs/reliability.md): a ZooKeeper ensemble of three, three masters,
several agents and HTTP scheduler frameworks, beaten on by a fault schedule drawn from --seed,
with invariants checked as it runs and at the end. Exit status 0 when nothing was violated.

  tests/soak/soak.py --bin-dir build/bin --minutes 3 --seed 1 [--json figures.json]
"""

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks  # noqa: E402
import procs  # noqa: E402
import remote_framework  # noqa: E402
import services  # noqa: E402
from faults import Injector, draw_extra, draw_schedule  # noqa: E402
from framework import TERMINAL, Framework  # noqa: E402
from operator_calls import Operator  # noqa: E402
from procs import wait  # noqa: E402

PING_TIMEOUT_S = 1.0
MAX_PING_TIMEOUTS = 3


class Harness(object):
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.window = PING_TIMEOUT_S * MAX_PING_TIMEOUTS
        self.recovery_limit = 90
        self.run_dir = args.run_dir or tempfile.mkdtemp(prefix="plateau-soak.")
        os.makedirs(self.run_dir, exist_ok=True)
        self.failed = False
        self.quiescing = False
        self.violations = []
        self.notes = []
        self.lock = threading.Lock()
        self.masters, self.agents, self.frameworks = [], [], []
        self.agent_ids = {}  # index -> current agent id
        self.agent_index = {}  # every agent id ever seen -> index
        self.replaced_agent_ids = set()
        self.agent_faults = []  # [index, kind, start, end]
        self.agent_busy = set()
        self.agent_restarts = []
        self.small_fs = set()
        self.small_fs_masters = set()  # for master_disk_full
        self.leader_kills = []
        self.killed_executors = set()
        self.supervisor_hold = set()
        self.restarting = set()
        self.exits = {"master": 0, "agent": 0}
        self.rss = {}
        self.leader = None
        self.state = None
        self.state_at = 0.0
        self.health = False
        self.launches = 0
        self.t0 = time.time()

    # ---- bookkeeping ------------------------------------------------------------------------
    def note(self, text):
        line = "%8.2f %s" % (time.time() - self.t0, text)
        with self.lock:
            self.notes.append(line)
        if self.args.verbose:
            print(line, flush=True)

    def violation(self, kind, message, subject=None):
        with self.lock:
            if any(v["message"] == message for v in self.violations):
                return
            self.violations.append({"kind": kind, "message": message, "subject": subject,
                                    "at_s": round(time.time() - self.t0, 2)})
            shown = len(self.violations) <= 5
            self.failed = True
        print("VIOLATION [%s] %s (seed %d)" % (kind, message, self.seed), flush=True)
        if shown:
            self.history(subject)

    def history(self, subject):
        print("---- fault log (seed %d)" % self.seed)
        for e in sorted(self.injector.log, key=lambda e: e["start"]):
            print("  %7.2f %-18s %s %s %s" % (
                e["start"] - self.t0, e["kind"], e.get("target", ""), e["params"],
                e.get("skipped", "")))
        if subject is None:
            return
        for fw in self.frameworks:
            record = fw.tasks.get(subject)
            if record is not None:
                print("---- updates of %s (%s, agent %s, launched at %.2f)" % (
                    subject, fw.name, record.agent_id, record.launched_at - self.t0))
                for u in record.updates:
                    print("  %7.2f %r" % (u.t - self.t0, u))
                subject_agent = record.agent_id
                break
        else:
            subject_agent = subject
        index = self.agent_index.get(subject_agent)
        if index is not None:
            print("---- faults of agent%d (%s)" % (index, subject_agent))
            for i, kind, start, end in self.agent_faults:
                if i == index:
                    print("  %7.2f..%s %s" % (start - self.t0, "%.2f" % (end - self.t0)
                                              if end else "now", kind))
        print("---- harness notes about it")
        with self.lock:
            for line in self.notes:
                if subject in line or (subject_agent and subject_agent in line):
                    print("  " + line)

    def framework(self, name):
        return next(fw for fw in self.frameworks if fw.name == name)

    def subscribed(self, fw):
        pass

    def launched(self, fw, task_id):
        self.launches += 1

    def on_update(self, fw, record, u, before):
        checks.on_update(self, fw, record, u, before)

    def agent_fault_begin(self, i, kind):
        with self.lock:
            self.agent_busy.add(i)
            self.agent_faults.append([i, kind, time.time(), None])

    def agent_fault_end(self, i, kind):
        with self.lock:
            self.agent_busy.discard(i)
            for f in reversed(self.agent_faults):
                if f[0] == i and f[1] == kind and f[3] is None:
                    f[3] = time.time()
                    break

    def agent_disrupted(self, agent_id, since, until, kinds):
        """Whether a fault of `kinds` (or an exit) on the agent overlapped [since - 1, until]."""
        index = self.agent_index.get(agent_id)
        with self.lock:
            for i, kind, start, end in self.agent_faults:
                if i == index and (kind in kinds or kind == "agent_exit") and \
                        start - 1 <= until and (end or time.time()) >= since - 1:
                    return True
        return False

    def executor_killed(self, framework_id, task_id):
        self.killed_executors.add((framework_id, task_id))

    def task_ended(self, framework_id, task_id):
        for fw in self.frameworks:
            if fw.framework_id == framework_id and task_id in fw.tasks:
                return fw.tasks[task_id].fate() in TERMINAL
        return True

    def running_tasks_on(self, agent_id):
        out = []
        for fw in self.frameworks:
            if not fw.checkpoint:
                continue
            with fw.lock:
                out.extend((fw.name, t.task_id) for t in fw.tasks.values()
                           if t.agent_id == agent_id and t.fate() == "TASK_RUNNING")
        return out

    # ---- processes --------------------------------------------------------------------------
    def start_cluster(self):
        self.zookeeper = procs.ZooKeeperEnsemble(self.run_dir)
        self.zookeeper.start()
        if not wait(lambda: all(self.zookeeper.serving(i) for i in range(3)), 120):
            raise RuntimeError("ZooKeeper ensemble did not form:\n" +
                               self.zookeeper.servers[0].log_tail())
        zk = "zk://%s/plateau" % self.zookeeper.connect_string()
        self.zk_url = zk
        for i in range(3):
            # The registry lives in ZooKeeper: the work_dir, a small filesystem of its own when
            # the harness runs as root, holds the master's --log_dir for master_disk_full.
            work_dir = os.path.join(self.run_dir, "master%d" % i)
            if procs.mount_small_fs(work_dir, 16):
                self.small_fs_masters.add(i)
            self.masters.append(procs.Daemon(
                "master%d" % i, os.path.join(self.args.bin_dir, "plateau-master"),
                ["--work_dir=" + work_dir, "--log_dir=" + work_dir, "--zk=" + zk, "--quorum=2",
                 "--zk_session_timeout=3secs", "--allocation_interval=200ms",
                 "--agent_ping_timeout=%dsecs" % PING_TIMEOUT_S,
                 "--max_agent_ping_timeouts=%d" % MAX_PING_TIMEOUTS,
                 "--agent_reregister_timeout=20secs", "--framework_heartbeat_interval=2secs",
                 "--max_completed_tasks_per_framework=100000"],
                self.run_dir, "master_started"))
            self.masters[i].start()
        if not wait(lambda: self.leader_index() is not None, 60):
            raise RuntimeError("no master was elected:\n" + self.masters[0].log_tail())
        self.leader = self.leader_index()
        for i in range(self.args.agents):
            if procs.mount_small_fs(os.path.join(self.run_dir, "agent%d" % i), 64):
                self.small_fs.add(i)  # for agent_disk_full
            self.agents.append(procs.Daemon(
                "agent%d" % i, os.path.join(self.args.bin_dir, "plateau-agent"),
                ["--master=" + zk, "--work_dir=%s/agent%d" % (self.run_dir, i),
                 "--resources=cpus:2;mem:1024;disk:1024", "--switch_user=false",
                 "--recover=reconnect", "--executor_shutdown_grace_period=1secs",
                 "--executor_reregistration_timeout=3secs",
                 "--status_update_retry_interval=2secs"],
                self.run_dir, "agent_started"))
            self.start_agent(i)

    def start_agent(self, i):
        a = self.agents[i]
        a.start()
        found = []

        def registered():
            code, st = procs.http(a.address, "/state", timeout=2)
            if code == 200 and isinstance(st, dict) and st.get("id"):
                found.append(st["id"])
            return bool(found)

        if not wait(registered, 30):
            self.note("agent%d did not report an id after its start" % i)
            return
        old = self.agent_ids.get(i)
        if old and old != found[0]:
            self.replaced_agent_ids.add(old)
            self.note("agent%d came back as a new agent %s (was %s)" % (i, found[0], old))
        self.agent_ids[i] = found[0]
        self.agent_index[found[0]] = i

    def restart_master(self, i):
        self.masters[i].start()

    def leader_index(self):
        for i, m in enumerate(self.masters):
            if m.running() and m.port:
                code, _ = procs.http(m.address, "/api/v1/scheduler", {}, timeout=1.5)
                if code == 400:
                    return i
        return None

    def leader_address(self):
        i = self.leader
        return self.masters[i].address if i is not None else None

    def registry_view(self):
        st = self.state
        if not st:
            return None
        return {"agents": [a.get("id") for a in st.get("slaves", [])],
                "frameworks": [f.get("id") for f in st.get("frameworks", [])]}

    def executors_of(self, i):
        out = []
        for pid, cwd in procs.executor_pids(os.path.join(self.run_dir, "agent%d" % i)):
            parts = cwd.split("/")
            if "frameworks" in parts and "executors" in parts:
                out.append((pid, parts[parts.index("frameworks") + 1],
                            parts[parts.index("executors") + 1]))
        return out

    def healthy(self, since=0.0):
        """Whether the last poll (fresh, and taken after `since`) found the cluster whole."""
        return self.health and time.time() - self.state_at < 3 and self.state_at > since

    # ---- the monitor: leader, state checks, supervisor, memory ------------------------------
    def monitor(self):
        last_rss = 0.0
        while not self.stopped:
            self.supervise()
            self.leader = self.leader_index()
            st = None
            if self.leader is not None:
                code, st = procs.http(self.leader_address(), "/master/state", timeout=3)
                if code != 200 or not isinstance(st, dict):
                    st = None
            if st is not None:
                self.state, self.state_at = st, time.time()
                checks.on_state(self, st)
                self.health = self.whole(st)
            else:
                self.health = False
            if time.time() - last_rss > 5:
                last_rss = time.time()
                self.sample_rss()
                checks.on_agent_states(self, self.agent_states(skip_stopped=True))
            time.sleep(0.5)

    def whole(self, st):
        if not all(m.running() for m in self.masters):
            return False
        active = {a.get("id") for a in st.get("slaves", []) if a.get("active")}
        for i, a in enumerate(self.agents):
            if i in self.agent_busy:
                continue
            if not a.running() or self.agent_ids.get(i) not in active:
                return False
        return all(self.zookeeper.serving(i) for i in range(3))

    def supervise(self):
        """Restarts masters that exited (they exit on losing leadership, as Mesos's do) and
        agents that exited on their own; a crash (a signal we did not send) is a violation."""
        for kind, group in (("master", self.masters), ("agent", self.agents)):
            for i, p in enumerate(group):
                if p.running() or p.popen is None or (kind, i) in self.restarting:
                    continue
                if kind == "master" and i in self.supervisor_hold:
                    continue
                if kind == "agent" and i in self.agent_busy:
                    continue
                rc = p.popen.returncode
                if rc is not None and rc < 0 and -rc != signal.SIGKILL:
                    self.violation("crash", "%s died of signal %d:\n%s\n%s" % (
                        p.name, -rc, p.log_tail(), procs.backtrace(p.binary, self.run_dir)),
                        self.agent_ids.get(i) if kind == "agent" else p.name)
                self.exits[kind] += 1
                self.note("%s exited rc=%s: restarting it" % (p.name, rc))
                if kind == "agent":
                    self.agent_fault_begin(i, "agent_exit")
                self.restarting.add((kind, i))
                threading.Thread(target=self._restart, args=(kind, i), daemon=True).start()

    def _restart(self, kind, i):
        try:
            time.sleep(1.0)
            if kind == "master":
                self.restart_master(i)
            else:
                self.start_agent(i)
        except RuntimeError as e:
            self.note("restart of %s%d failed: %s" % (kind, i, e))
        finally:
            if kind == "agent":
                self.agent_fault_end(i, "agent_exit")
            self.restarting.discard((kind, i))

    def sample_rss(self):
        procs_ = list(self.masters) + list(self.agents) + list(self.zookeeper.servers)
        for p in procs_:
            if not p.running():
                continue
            kb = procs.rss_kb(p.pid)
            if kb is None:
                continue
            series = self.rss.setdefault(p.name, [])
            if series and series[-1][0] != p.pid:  # a new start: a new series
                series.clear()
            series.append((p.pid, kb))

    # ---- the run ----------------------------------------------------------------------------
    def workload(self, deadline):
        while time.time() < deadline and not self.failed:
            for fw in self.frameworks:
                fw.tick(time.time())
            self.operator.tick()
            if self.services:
                self.services.tick()
            time.sleep(1.0)

    def run(self):
        seconds = self.args.minutes * 60
        self.schedule = full_schedule(self.args, self.window)
        self.injector = Injector(self, self.schedule)
        print("soak: seed %d, %.1f minutes, %d faults scheduled, run dir %s" % (
            self.seed, self.args.minutes, len(self.schedule), self.run_dir), flush=True)
        self.stopped = False
        self.start_cluster()
        self.t0 = time.time()
        mon = threading.Thread(target=self.monitor, daemon=True)
        mon.start()
        for k in range(self.args.frameworks):
            fw = Framework("fw%d" % k, self, self.seed * 1000 + k, checkpoint=k % 2 == 0,
                           partition_aware=k % 4 < 2)
            self.frameworks.append(fw)
            fw.start()
        for j in range(self.args.process_frameworks):
            # Frameworks in processes of their own: one checkpointing and partition-aware, one
            # neither, and so on; kill -9 and wall clock jumps (faketime) reach them.
            fw = remote_framework.RemoteFramework(
                "fwp%d" % j, self, self.seed * 1000 + 500 + j, checkpoint=j % 2 == 0,
                partition_aware=j % 2 == 0)
            self.frameworks.append(fw)
            fw.start()
        self.services = None
        if self.args.services:
            self.services = services.Services(self, self.zk_url)
            self.services.start()
        self.operator = Operator(self, random.Random("ops-%d" % self.seed))
        deadline = self.t0 + seconds
        faults = threading.Thread(target=self.injector.run, args=(self.t0, deadline),
                                  daemon=True)
        faults.start()
        self.workload(deadline)
        faults.join(5)
        if not self.failed:
            self.settle()
        self.stopped = True
        mon.join(5)
        return self.figures()

    def settle(self):
        """Ends the faults, waits for the cluster to be whole, ends every task, then checks that
        everyone agrees on every task's fate and that nothing is left allocated."""
        self.quiescing = True
        self.note("settling")
        self.injector.wait(60)
        if not wait(self.healthy, self.recovery_limit):
            self.violation("recovery", "the cluster is not whole %ds after the last fault" %
                           self.recovery_limit)
            return
        if self.services:
            self.services.settle()
        for fw in self.frameworks:
            fw.launching = False
        deadline = time.time() + 90
        while time.time() < deadline:
            pending = [(fw, t) for fw in self.frameworks for t in fw.unfinished()]
            if not pending:
                break
            for fw, task_id in pending:  # again each round: a kill may meet a failover
                fw.kill(task_id)
            for fw in self.frameworks:
                fw.reconcile(explicit=True)
            time.sleep(3)
        checks.final_fates(self)
        for entry in self.agent_restarts:
            checks.after_agent_restart(self, entry)
        released = wait(lambda: self.state_at > time.time() - 2 and
                        not checks.resources_released(self.state), 30)
        st = self.state
        if not released:
            self.violation("resources", "resources still allocated after every task ended: %s"
                           % checks.resources_released(st))
        checks.final_master(self, st)
        checks.registry_kept(self, st)
        # A terminal update that met a failover waits for the agent's next retry (backoff from
        # --status_update_retry_interval): its executor lives until it is acknowledged.
        left = lambda: [pid for i in range(len(self.agents)) for pid, _, _ in self.executors_of(i)]
        wait(lambda: not left(), 120)
        checks.final_agents(self, self.agent_states())
        if left():
            self.violation("process_leak", "executors still running after every task ended: %s"
                           % [e for i in range(len(self.agents)) for e in self.executors_of(i)])

    def agent_states(self, skip_stopped=False):
        out = {}
        for a in self.agents:
            if not a.running() or (skip_stopped and a.stopped):
                continue
            code, body = procs.http(a.address, "/state", timeout=2)
            if code == 200 and isinstance(body, dict):
                out[a.name] = body
        return out

    def figures(self):
        applied = [e for e in self.injector.log if "skipped" not in e]
        per_kind = {}
        for e in self.injector.log:
            k = per_kind.setdefault(e["kind"], {"injected": 0, "skipped": 0, "recovery_s": []})
            if "skipped" in e:
                k["skipped"] += 1
            else:
                k["injected"] += 1
                if "recovery_s" in e:
                    k["recovery_s"].append(e["recovery_s"])
        for k in per_kind.values():
            r = k.pop("recovery_s")
            k["recovery_median_s"] = round(statistics.median(r), 2) if r else None
            k["recovery_max_s"] = max(r) if r else None
        fates = {}
        ever_lost = 0
        for fw in self.frameworks:
            for t in fw.tasks.values():
                fates[t.fate() or "none"] = fates.get(t.fate() or "none", 0) + 1
                ever_lost += any(u.state in ("TASK_LOST", "TASK_UNREACHABLE") for u in t.updates)
        return {
            "seed": self.seed, "minutes": self.args.minutes, "agents": self.args.agents,
            "frameworks": self.args.frameworks, "tasks_launched": self.launches,
            "tasks_by_framework": {fw.name: len(fw.tasks) for fw in self.frameworks},
            "faults_injected": len(applied), "faults": per_kind, "task_fates": fates,
            "tasks_lost": fates.get("TASK_LOST", 0) + fates.get("TASK_UNREACHABLE", 0),
            "tasks_ever_lost_or_unreachable": ever_lost,
            "process_exits_restarted": self.exits, "operator_calls": self.operator.counts,
            "memory": checks.memory(self), "violations": self.violations,
            "services": self.services.figures() if self.services else None,
            "run_dir": self.run_dir,
        }

    def stop_all(self):
        self.stopped = True
        for fw in self.frameworks:
            fw.stop()
        if getattr(self, "services", None):
            self.services.stop()
        for p in self.agents + self.masters:
            p.terminate(timeout=5)
        if hasattr(self, "zookeeper"):
            for s in self.zookeeper.servers:
                s.kill()
        procs.sweep(self.run_dir)
        for i in sorted(self.small_fs):
            procs.unmount(os.path.join(self.run_dir, "agent%d" % i))
        for i in sorted(self.small_fs_masters):
            procs.unmount(os.path.join(self.run_dir, "master%d" % i))


def full_schedule(args, window):
    """The seed's schedule: the first kinds' (as before the others existed) and the others'."""
    seconds = args.minutes * 60
    base = draw_schedule(args.seed, seconds, args.agents, args.frameworks, window)
    extra = draw_extra(args.seed, seconds, args.frameworks, args.process_frameworks)
    return sorted(base + extra, key=lambda entry: entry[0])


def print_figures(fig):
    print("==== soak figures (seed %d, %.1f minutes)" % (fig["seed"], fig["minutes"]))
    print("tasks launched: %d   faults injected: %d   violations: %d   tasks lost: %d" % (
        fig["tasks_launched"], fig["faults_injected"], len(fig["violations"]), fig["tasks_lost"]))
    print("task fates: %s" % fig["task_fates"])
    print("tasks by framework: %s" % fig.get("tasks_by_framework"))
    if fig.get("services"):
        print("plateau-apps and plateau-jobs: %s" % fig["services"])
    print("%-22s %8s %8s %10s %8s" % ("fault", "injected", "skipped", "median s", "max s"))
    for kind, k in sorted(fig["faults"].items()):
        print("%-22s %8d %8d %10s %8s" % (kind, k["injected"], k["skipped"],
                                         k["recovery_median_s"], k["recovery_max_s"]))
    print("process exits restarted: %s   operator calls: %s" % (
        fig["process_exits_restarted"], fig["operator_calls"]))
    for name, m in sorted(fig["memory"].items()):
        print("rss %-8s %7d kB -> %7d kB (%d samples)" % (name, m["first_kb"], m["last_kb"],
                                                         m["samples"]))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float,
                    default=float(os.environ.get("PLATEAU_SOAK_MINUTES", "5")))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--frameworks", type=int, default=4)
    ap.add_argument("--process-frameworks", type=int, default=2,
                    help="frameworks in processes of their own, under libfaketime")
    ap.add_argument("--no-services", dest="services", action="store_false",
                    help="without plateau-apps and plateau-jobs")
    ap.add_argument("--bin-dir", default=os.path.join(here, "..", "..", "build", "bin"))
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--json", default=None, help="also write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    ap.add_argument("--schedule", action="store_true", help="print the schedule and exit")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 20)
    args.bin_dir = os.path.abspath(args.bin_dir)
    if args.services and not services.Services.available(args.bin_dir):
        print("soak: no plateau-apps or plateau-jobs in %s: without them" % args.bin_dir)
        args.services = False
    if args.process_frameworks and not remote_framework.available():
        print("soak: no libfaketime (Debian's faketime package): no framework processes")
        args.process_frameworks = 0
    if args.schedule:
        for entry in full_schedule(args, PING_TIMEOUT_S * MAX_PING_TIMEOUTS):
            print("%8.2f %-18s %s" % entry)
        return 0
    if shutil.which("java") is None or not os.path.isdir("/usr/share/zookeeper"):
        print("soak: skipped: needs Debian's zookeeper package (and Java)")
        return 77
    h = Harness(args)
    fig = None
    try:
        fig = h.run()
    except (RuntimeError, KeyboardInterrupt) as e:
        print("soak: stopped: %s (seed %d, run dir %s)" % (e, args.seed, h.run_dir))
        h.violations.append({"kind": "harness", "message": str(e)})
    finally:
        h.stop_all()
    if fig is not None:
        print_figures(fig)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(fig, f, indent=2, sort_keys=True)
    ok = not h.violations
    print("soak: %s (seed %d; replay: ./dev soak --seed %d --minutes %g)" % (
        "PASSED" if ok else "FAILED", args.seed, args.seed, args.minutes))
    if ok and not args.keep:
        shutil.rmtree(h.run_dir, ignore_errors=True)
    elif not ok:
        print("soak: logs kept in %s" % h.run_dir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
