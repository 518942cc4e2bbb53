"""The fault schedule (drawn from the seed before the run starts, so a seed replays it) and the
injector that carries it out, alone and overlapping.

Each fault runs on its own thread: it disturbs, waits its drawn duration, undoes what it did
(restart, SIGCONT), then measures the time until the cluster is whole again.
"""

import os
import random
import signal
import threading
import time

import procs

# kind -> weight. The agent window is agent_ping_timeout x max_agent_ping_timeouts.
KINDS = [
    ("leader_kill", 3), ("standby_kill", 2), ("agent_kill", 4), ("agent_kill_long", 1),
    ("executor_kill", 3), ("framework_kill", 2), ("agent_pause_short", 3),
    ("agent_pause_long", 2), ("zk_restart", 1), ("zk_quorum_loss", 1), ("slow_reader", 1),
    ("agent_disk_full", 1),
]


def _draws(rng, kinds, seconds, mean_gap, warmup, cooldown):
    """(start offset, kind, params with its pick) at exponential gaps from warmup until
    cooldown before the end; the caller draws the rest of each one's params from rng next."""
    names = [k for k, _ in kinds]
    weights = [w for _, w in kinds]
    t = warmup
    while True:
        t += rng.expovariate(1.0 / mean_gap)
        if t > seconds - cooldown:
            return
        kind = rng.choices(names, weights)[0]
        yield t, kind, {"pick": rng.randrange(1 << 30)}


def draw_schedule(seed, seconds, agents, frameworks, window, mean_gap=10.0, warmup=15.0,
                  cooldown=20.0):
    """[(start offset s, kind, params)]: the same arguments give the same list."""
    rng = random.Random("faults-%d" % seed)
    schedule = []
    for t, kind, p in _draws(rng, KINDS, seconds, mean_gap, warmup, cooldown):
        if kind.startswith("agent"):
            p["agent"] = rng.randrange(agents)
        if kind == "agent_kill":
            p["down"] = round(rng.uniform(0.2, 0.3 * window), 2)
        elif kind == "agent_kill_long":
            p["down"] = round(rng.uniform(2.0 * window, 4.0 * window), 2)
        elif kind == "agent_pause_short":
            p["down"] = round(rng.uniform(0.1, 0.3 * window), 2)
        elif kind == "agent_pause_long":
            p["down"] = round(rng.uniform(2.0 * window, 4.0 * window), 2)
        elif kind == "agent_disk_full":
            p["down"] = round(rng.uniform(2.0, 10.0), 2)
        elif kind in ("framework_kill", "slow_reader"):
            p["framework"] = rng.randrange(frameworks)
            p["down"] = round(rng.uniform(0.5, 6.0) if kind == "framework_kill" else
                              rng.uniform(5.0, 20.0), 2)
        elif kind == "zk_restart":
            p["server"] = rng.randrange(3)
            p["down"] = round(rng.uniform(0.5, 4.0), 2)
        elif kind == "zk_quorum_loss":
            p["server"] = rng.randrange(3)
            p["down"] = round(rng.uniform(3.0, 12.0), 2)
        elif kind in ("leader_kill", "standby_kill"):
            p["down"] = round(rng.uniform(0.5, 3.0), 2)
        schedule.append((round(t, 2), kind, p))
    return schedule


# Drawn from a stream of their own, so that adding them left every seed's schedule of the kinds
# above as it was: kind -> weight.
EXTRA_KINDS = [("framework_clock_jump", 2), ("framework_process_kill", 2),
               ("master_disk_full", 1)]


def draw_extra(seed, seconds, first_process, process_frameworks, mean_gap=50.0, warmup=15.0,
               cooldown=20.0):
    """Faults of EXTRA_KINDS for the frameworks in processes (indexes first_process...) and the
    masters' work_dirs, [(start offset s, kind, params)]; none of the frameworks' kinds when
    there are no framework processes."""
    rng = random.Random("faults-extra-%d" % seed)
    kinds = [(k, w) for k, w in EXTRA_KINDS
             if process_frameworks or not k.startswith("framework")]
    schedule = []
    for t, kind, p in _draws(rng, kinds, seconds, mean_gap, warmup, cooldown):
        if kind.startswith("framework"):
            p["framework"] = first_process + rng.randrange(process_frameworks)
        if kind == "framework_clock_jump":
            # Forward up to a day or back up to an hour, held 3-30 s, then back to true time.
            p["offset"] = int(rng.choice([1, -1]) * rng.uniform(60, 3600)) * \
                rng.choice([1, 1, 24])
            p["down"] = round(rng.uniform(3.0, 30.0), 2)
        elif kind == "framework_process_kill":
            p["down"] = round(rng.uniform(0.5, 6.0), 2)
        elif kind == "master_disk_full":
            p["down"] = round(rng.uniform(2.0, 15.0), 2)
        schedule.append((round(t, 2), kind, p))
    return schedule


class Injector(object):
    def __init__(self, harness, schedule):
        self.h = harness
        self.schedule = schedule
        self.log = []  # dicts: kind, params, start, end, recovered, target, skipped
        self.lock = threading.Lock()
        self.busy = set()  # targets under a fault now ("agent2", "zk", "masters")
        self.threads = []

    def run(self, t0, deadline):
        for offset, kind, params in self.schedule:
            while time.time() < t0 + offset:
                if self.h.failed or time.time() > deadline:
                    return
                time.sleep(0.1)
            th = threading.Thread(target=self._one, args=(offset, kind, params), daemon=True)
            th.start()
            self.threads.append(th)

    def wait(self, timeout):
        end = time.time() + timeout
        for th in self.threads:
            th.join(max(0.1, end - time.time()))

    def _claim(self, target):
        with self.lock:
            if target in self.busy:
                return False
            self.busy.add(target)
            return True

    def _release(self, target):
        with self.lock:
            self.busy.discard(target)

    def _one(self, offset, kind, p):
        entry = {"offset": offset, "kind": kind, "params": p, "start": time.time()}
        target = self._target(kind, p)
        if not self._claim(target):
            entry["skipped"] = "%s busy" % target
            self._record(entry)
            return
        try:
            entry["target"] = getattr(self, "_" + kind)(p, entry)
        except Exception as e:  # a fault that could not be applied is logged, not fatal
            entry["skipped"] = "error: %s" % e
        finally:
            self._release(target)
        entry["end"] = time.time()
        self._record(entry)
        if "skipped" not in entry:
            self._measure(entry)

    def _record(self, entry):
        with self.lock:
            self.log.append(entry)
        self.h.note("fault %s %s" % (entry["kind"], {k: v for k, v in entry.items()
                                                     if k in ("target", "params", "skipped")}))

    @staticmethod
    def _target(kind, p):
        if kind.startswith("agent"):
            return "agent%d" % p["agent"]
        if kind.startswith("zk"):
            return "zk"
        if kind in ("leader_kill", "standby_kill"):
            return "masters"
        if kind in ("framework_kill", "slow_reader") or kind.startswith("framework_"):
            return "framework%d" % p["framework"]
        if kind == "master_disk_full":
            return "master_disks"
        return "executor"

    def _measure(self, entry):
        """Time from the fault's end until the cluster is whole (or the fault's own condition)."""
        since = entry["end"]
        check = entry.pop("recovered_when", None) or (lambda: self.h.healthy(since))
        end = time.time() + self.h.recovery_limit
        while time.time() < end and not self.h.failed:
            if check():
                entry["recovery_s"] = round(time.time() - entry["end"], 2)
                return
            time.sleep(0.25)
        if not self.h.failed and not self.h.quiescing:
            self.h.violation("recovery", "no recovery %ds after %s %s" % (
                self.h.recovery_limit, entry["kind"], entry.get("target")), entry.get("target"))

    # ---- the faults ---------------------------------------------------------------------
    def _master_kill(self, index, p, entry):
        m = self.h.masters[index]
        if ("master", index) in self.h.restarting:
            raise RuntimeError("%s is being restarted by the supervisor" % m.name)
        self.h.supervisor_hold.add(index)
        entry["pre_state"] = self.h.registry_view()
        try:
            m.kill()
            time.sleep(p["down"])
            self.h.restart_master(index)
        finally:
            # Held until the restart is done: released between the two, the supervisor saw the
            # killed process and started a second one on the same port (seed 42, 1058 s).
            self.h.supervisor_hold.discard(index)
        return m.name

    def _leader_kill(self, p, entry):
        leader = self.h.leader_index()
        if leader is None:
            raise RuntimeError("no leader to kill")
        entry["old_leader"] = leader
        self.h.leader_kills.append(entry)
        return self._master_kill(leader, p, entry)

    def _standby_kill(self, p, entry):
        leader = self.h.leader_index()
        standbys = [i for i, m in enumerate(self.h.masters) if i != leader and m.running() and
                    ("master", i) not in self.h.restarting]
        if not standbys:
            raise RuntimeError("no standby running")
        return self._master_kill(standbys[p["pick"] % len(standbys)], p, entry)

    def _agent_down(self, p, entry, how):
        i = p["agent"]
        a = self.h.agents[i]
        if ("agent", i) in self.h.restarting:
            raise RuntimeError("%s is being restarted by the supervisor" % a.name)
        entry["agent_id"] = self.h.agent_ids.get(i)
        self.h.agent_fault_begin(i, entry["kind"])
        try:
            if how == "kill":
                entry["running_before"] = self.h.running_tasks_on(entry["agent_id"])
                a.kill()
                time.sleep(p["down"])
                self.h.start_agent(i)
            else:
                a.signal(signal.SIGSTOP)
                time.sleep(p["down"])
                a.signal(signal.SIGCONT)
        finally:
            self.h.agent_fault_end(i, entry["kind"])
        if entry["kind"] == "agent_kill":
            self.h.agent_restarts.append(entry)
        return a.name

    def _agent_kill(self, p, entry):
        return self._agent_down(p, entry, "kill")

    def _agent_kill_long(self, p, entry):
        return self._agent_down(p, entry, "kill")

    def _agent_pause_short(self, p, entry):
        return self._agent_down(p, entry, "stop")

    def _agent_pause_long(self, p, entry):
        return self._agent_down(p, entry, "stop")

    def _agent_disk_full(self, p, entry):
        """Fills the agent's work_dir (a small tmpfs of its own) for a while, then frees it."""
        i = p["agent"]
        work_dir = os.path.join(self.h.run_dir, "agent%d" % i)
        if i not in self.h.small_fs:
            raise RuntimeError("agent%d has no small filesystem (not root?)" % i)
        self.h.agent_fault_begin(i, entry["kind"])
        path = os.path.join(work_dir, "soak-fill")
        entry["filled_mb"] = procs.fill(path) >> 20
        time.sleep(p["down"])
        os.unlink(path)
        self.h.agent_fault_end(i, entry["kind"])
        return self.h.agents[i].name

    def _executor_kill(self, p, entry):
        candidates = []
        for i, a in enumerate(self.h.agents):
            if a.running() and not a.stopped:
                candidates.extend(self.h.executors_of(i))
        if not candidates:
            raise RuntimeError("no executor running")
        candidates.sort()
        pid, framework_id, executor_id = candidates[p["pick"] % len(candidates)]
        task_id = executor_id[:-len("-executor")] if executor_id.endswith("-executor") \
            else executor_id
        self.h.executor_killed(framework_id, task_id)
        os.kill(pid, signal.SIGKILL)
        entry["recovered_when"] = lambda: self.h.task_ended(framework_id, task_id)
        return "%s (%s)" % (executor_id, pid)

    def _framework_kill(self, p, entry):
        fw = self.h.frameworks[p["framework"]]
        before = len(fw.subscribe_times)
        fw.crash(p["down"])
        time.sleep(p["down"])
        entry["recovered_when"] = lambda: len(fw.subscribe_times) > before
        return fw.name

    def _slow_reader(self, p, entry):
        """The framework stops reading its event stream for a while (the connection stays)."""
        fw = self.h.frameworks[p["framework"]]
        fw.slow_until = time.monotonic() + p["down"]
        time.sleep(p["down"])
        return fw.name

    def _framework_process_kill(self, p, entry):
        """kill -9 of a framework's process (its crash()), started again (same framework id)
        later: what framework_kill does to a thread, done to a process."""
        return self._framework_kill(p, entry)

    def _framework_clock_jump(self, p, entry):
        """The framework process's wall clock jumps by the offset, stays so, and jumps back."""
        fw = self.h.frameworks[p["framework"]]
        fw.set_clock(p["offset"])
        time.sleep(p["down"])
        fw.set_clock(0)
        return fw.name

    def _master_disk_full(self, p, entry):
        """Fills the work_dir (a small filesystem holding its --log_dir) of the leader."""
        leader = self.h.leader_index()
        if leader is None or leader not in self.h.small_fs_masters:
            raise RuntimeError("no leader with a small filesystem (not root?)")
        path = os.path.join(self.h.run_dir, "master%d" % leader, "soak-fill")
        entry["filled_mb"] = procs.fill(path) >> 20
        time.sleep(p["down"])
        os.unlink(path)
        return self.h.masters[leader].name

    def _zk_down(self, servers, p):
        zk = self.h.zookeeper
        for s in servers:
            zk.servers[s].kill()
        time.sleep(p["down"])
        for s in servers:
            zk.servers[s].start()
        return ",".join("zk%d" % s for s in servers)

    def _zk_restart(self, p, entry):
        return self._zk_down([p["server"]], p)

    def _zk_quorum_loss(self, p, entry):
        first = p["server"]
        return self._zk_down([first, (first + 1) % 3], p)
