#!/usr/bin/env python3
"""What one /metrics/snapshot scrape costs the master at scale.

For each plateau-master binary given, starts it on a free loopback port, fills it with
plateau-sim (AGENTS simulated agents of cpus:64;mem:262144 and TASKS hour-long tasks from 10
frameworks), waits until every task runs, then times SCRAPES sequential GET /metrics/snapshot
(and as many GET /health, for the machine's own latency at that moment) with the simulator
paused (SIGSTOP) so that the master does nothing else, and reports
p50/p90/max of each with the master's CPU per scrape (from /proc), and the master's RSS with
the agents alone (per agent, from its RSS before any) and with every task running (per task).
Run the binaries in one invocation so that their figures share the machine's conditions.

While it fills, a thread times GET /health every 250 ms and reads the master's loop stall and
busy figures (plateau/event_loop_stall_ms, _busy_ms) from each /metrics/snapshot it polls; with
--states N it times N GET /master/state once the tasks run (rendered in a forked child),
--get_states N as many operator GET_STATE calls (POST /api/v1) and --subscribes N as many
operator SUBSCRIBEs, each until its SUBSCRIBED snapshot has arrived whole; beside each kind a
/health sampler runs and /metrics/snapshot is read every 2 s for the loop's stall and busy
figures (the largest of its 10 s windows over the reads and the 10 s after).
During the fill and beside each read, the /health sampler also reads the master's loop thread's
schedstat (seconds running, seconds runnable but waiting for a CPU) around each GET, so that
the slow ones (over 100 ms) are split into the loop's own work and CPU starvation
("health_slow_split"); --perf_fill FILE records the master with perf during the fill and
--sim_nice N runs the simulator at niceness N (the master keeps its own).
--fill_seconds bounds the fill: past it the figures are taken at the size reached
("tasks_running", "complete": false). --tasks_per_agent packs at most that many tasks into one
offer (so a million tasks on 10,000 agents is 100 per agent). --perf FILE records the master
with `perf record -g` during those GETs (FILE.0, FILE.1, ... per binary) and the loop thread's
CPU over them is reported beside the loop watch's figures.

  bench/metrics_scrape.py --sim build/bin/plateau-sim OLD/plateau-master build/bin/plateau-master
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def operator_call(port, kind, timeout=600, first_record_s=None):
    """POST /api/v1 {"type": kind} (JSON). GET_STATE: the whole answer's size. SUBSCRIBE: reads
    the first RecordIO record (SUBSCRIBED, the snapshot) whole, then hangs up; its size. The
    seconds until the record's first byte arrived go to `first_record_s` (a list) when given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.request("POST", "/api/v1", body=json.dumps({"type": kind}),
                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{kind}: HTTP {response.status}: {response.read()[:200]!r}")
        if kind != "SUBSCRIBE":
            return len(response.read())
        length = b""
        while not length.endswith(b"\n"):
            byte = response.read(1)
            if not byte:
                raise RuntimeError("SUBSCRIBE: the stream ended before its first record")
            length += byte
        if first_record_s is not None:
            first_record_s.append(round(time.monotonic() - start, 2))
        record = response.read(int(length))
        if b"SUBSCRIBED" not in record[:200]:
            raise RuntimeError(f"SUBSCRIBE: the first record is not SUBSCRIBED: {record[:200]!r}")
        return len(record)
    finally:
        conn.close()


class LoopSampler(threading.Thread):
    """Reads /metrics/snapshot every `period` seconds until stopped: the largest loop stall and
    busy figures (each the largest of the master's last 10 s), and one last read when stopped."""

    def __init__(self, port, period=2.0):
        super().__init__(daemon=True)
        self.port, self.period = port, period
        self.stall_ms, self.busy_ms = 0, 0
        self.stopping = threading.Event()

    def read(self):
        try:
            snapshot = json.loads(get(self.port, "/metrics/snapshot", 30)[1])
        except OSError:
            return
        self.stall_ms = max(self.stall_ms, snapshot.get("plateau/event_loop_stall_ms", 0))
        self.busy_ms = max(self.busy_ms, snapshot.get("plateau/event_loop_busy_ms", 0))

    def run(self):
        while not self.stopping.wait(self.period):
            self.read()
        self.read()


def percentiles(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return {"p50_ms": pick(0.5) * 1e3, "p90_ms": pick(0.9) * 1e3, "max_ms": s[-1] * 1e3}


def get_ok(port, path):
    status, body = get(port, path, 600)
    if status != 200:
        raise RuntimeError(f"{path}: HTTP {status}")
    return len(body)


def timed(port, path, n):
    samples = []
    for _ in range(n):
        start = time.monotonic()
        status, _ = get(port, path)
        samples.append(time.monotonic() - start)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
    return samples


def schedstat(pid, tid):
    """A thread's (run, runqueue wait) seconds so far, from /proc/PID/task/TID/schedstat."""
    try:
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            run_ns, wait_ns, _ = f.read().split()
        return int(run_ns) / 1e9, int(wait_ns) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


class HealthSampler(threading.Thread):
    """GET /health every `period` seconds until stopped: round trips, and failures. With the
    master's pid, also what its loop thread (the main thread) and this sampler's own thread did
    during each: seconds running and seconds runnable but waiting for a CPU (schedstat)."""

    def __init__(self, port, period=0.25, master_pid=None):
        super().__init__(daemon=True)
        self.port, self.period, self.master_pid = port, period, master_pid
        self.samples, self.failures = [], 0
        self.split = []  # (round trip, loop run, loop wait, sampler run, sampler wait)
        self.stopping = threading.Event()

    def run(self):
        me = (os.getpid(), threading.get_native_id())
        while not self.stopping.wait(self.period):
            if self.master_pid:
                loop_before, me_before = schedstat(self.master_pid, self.master_pid), schedstat(*me)
            start = time.monotonic()
            try:
                ok = get(self.port, "/health", 10)[0] == 200
            except OSError:
                ok = False
            took = time.monotonic() - start
            if ok:
                self.samples.append(took)
                if self.master_pid:
                    loop, mine = schedstat(self.master_pid, self.master_pid), schedstat(*me)
                    self.split.append((took, loop[0] - loop_before[0], loop[1] - loop_before[1],
                                       mine[0] - me_before[0], mine[1] - me_before[1]))
            else:
                self.failures += 1


def health_split(split, over_s=0.1):
    """Where the slow /health round trips (over `over_s`) went: the master's loop running (its own
    work ahead of the answer), the loop runnable but waiting for a CPU (the machine's load), the
    sampler itself waiting for a CPU, and the rest (neither thread on or waiting for a CPU:
    the kernel's network path, the sampler's other threads, or sleeping)."""
    slow = [s for s in split if s[0] > over_s]
    if not slow:
        return {"slow": 0, "of": len(split)}
    total = sum(s[0] for s in slow)
    share = lambda i: round(sum(min(s[i], s[0]) for s in slow) / total, 3)
    loop_run, loop_wait, me_wait = share(1), share(2), share(4)
    return {"slow": len(slow), "of": len(split), "over_ms": over_s * 1e3,
            "loop_running": loop_run, "loop_waiting_for_cpu": loop_wait,
            "sampler_waiting_for_cpu": me_wait, "sampler_running": share(3),
            "loop_run_ms_max": round(max(s[1] for s in slow) * 1e3, 1)}


def health_summary(samples):
    if not samples:
        return None
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1e3
    return {"count": len(s), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": s[-1] * 1e3}


def timed_reads(port, master_pid, what, read, n, perf=None):
    """`read()` n times (returning a size), with /health every 100 ms and the loop's figures
    every 2 s beside; waits 10 s past the last so that the loop watch's window covers it."""
    beside, loop = HealthSampler(port, 0.1, master_pid), LoopSampler(port)
    beside.start()
    recorder = None
    if perf:
        # The master's threads and the children it forks, sampled with call chains;
        # `perf report --tid=PID` keeps the loop's (the main thread's) samples.
        recorder = subprocess.Popen(
            ["perf", "record", "-g", "-F", "999", "-p", str(master_pid), "-o", perf],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    loop.start()
    loop_cpu_before = thread_cpu_seconds(master_pid, master_pid)
    times, sizes, peak = [], [], rss_bytes(master_pid)
    errors = []
    for _ in range(n):
        start = time.monotonic()
        try:
            sizes.append(read())
        except (OSError, RuntimeError, http.client.HTTPException) as e:  # recorded; the rest run
            errors.append(str(e)[:300])
            sizes.append(0)
        times.append(time.monotonic() - start)
        peak = max(peak, rss_bytes(master_pid))
    loop_cpu = thread_cpu_seconds(master_pid, master_pid) - loop_cpu_before
    time.sleep(10)
    beside.stopping.set()
    loop.stopping.set()
    beside.join()
    loop.join()
    if recorder is not None:
        recorder.send_signal(signal.SIGINT)
        recorder.wait()
    print(f"# {what}: {[round(t, 2) for t in times]} s, {sizes[-1]} bytes, loop stall/busy "
          f"{loop.stall_ms}/{loop.busy_ms} ms, /health beside {health_summary(beside.samples)}, "
          f"errors {errors}", file=sys.stderr, flush=True)
    return {"what": what, "round_trip_s": [round(t, 2) for t in times], "bytes": sizes[-1],
            "errors": errors,
            "health_beside": health_summary(beside.samples),
            "health_beside_slow_split": health_split(beside.split),
            "health_failures_beside": beside.failures,
            "loop_stall_ms_max": loop.stall_ms, "loop_busy_ms_max": loop.busy_ms,
            "loop_thread_cpu_s_during": round(loop_cpu, 3),
            "master_pid": master_pid, "master_rss_mib_peak": peak / 2**20,
            "master_rss_mib_after": rss_bytes(master_pid) / 2**20,
            "load_average_after": os.getloadavg()}


def measure(master_bin, sim_bin, agents, tasks, scrapes, keep, frameworks=10,
            tasks_per_agent=0, fill_seconds=1800, states=0, perf=None, master_args=(),
            sim_args=(), get_states=0, subscribes=0, master_env=(), sim_nice=0,
            perf_fill=None):
    work = tempfile.mkdtemp(prefix="plateau-metrics-scrape.")
    port = free_port()
    env = dict(os.environ, PLATEAU_HTTP_MAX_CONNECTIONS=str(agents + 4096))
    env.update(item.split("=", 1) for item in master_env)
    master = subprocess.Popen(
        [master_bin, "--ip=127.0.0.1", f"--port={port}", f"--work_dir={work}/master",
         *master_args],
        stdout=open(f"{work}/master.log", "w"), stderr=subprocess.STDOUT, env=env)
    with open(f"{work}/workload.json", "w") as f:
        json.dump({"seed": 1, "duration_seconds": 3000, "drain_seconds": 1,
                   "agents": [{"count": agents, "cpus": 64, "mem": 262144}],
                   "frameworks": [{"count": frameworks, "name": "long",
                                   "task": {"cpus": 0.1, "mem": 32},
                                   "duration_seconds": 36000, "arrival_rate": 2000,
                                   "max_tasks_per_offer": tasks_per_agent,
                                   "max_tasks": tasks // frameworks}]}, f)
    sim = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/health", 1)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the master did not start; see {work}/master.log")
            time.sleep(0.1)
        rss_empty = rss_bytes(master.pid)
        load_before = os.getloadavg()
        sim = subprocess.Popen(
            [sim_bin, f"--workload={work}/workload.json", f"--master=127.0.0.1:{port}",
             "--logging_level=error", *sim_args],
            stdout=open(f"{work}/sim.out", "w"), stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(sim_nice)) if sim_nice else None)
        started = time.monotonic()
        fill_recorder = None
        if perf_fill:
            fill_recorder = subprocess.Popen(
                ["perf", "record", "-g", "-F", "499", "-p", str(master.pid), "-o", perf_fill],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rss_agents, registered_s, sim_rss_agents = None, None, 0
        health = HealthSampler(port, master_pid=master.pid)
        health.start()
        loop_sched_before = schedstat(master.pid, master.pid)
        stall_ms, busy_ms, progress, last_log = 0, 0, [], 0
        while True:
            snapshot = json.loads(get(port, "/metrics/snapshot")[1])
            stall_ms = max(stall_ms, snapshot.get("plateau/event_loop_stall_ms", 0))
            busy_ms = max(busy_ms, snapshot.get("plateau/event_loop_busy_ms", 0))
            running = snapshot.get("master/tasks_running", 0)
            if (rss_agents is None and snapshot.get("master/slaves_active", 0) >= agents
                    and running == 0):
                rss_agents = rss_bytes(master.pid)
                sim_rss_agents = rss_bytes(sim.pid)
            if registered_s is None and snapshot.get("master/slaves_active", 0) >= agents:
                registered_s = time.monotonic() - started
            now = time.monotonic() - started
            if now - last_log >= 30:
                last_log = now
                progress.append([round(now), running, round(rss_bytes(master.pid) / 2**20, 1),
                                 os.getloadavg()[0], snapshot.get("master/outstanding_offers"),
                                 snapshot.get("master/slaves_active", 0),
                                 round(rss_bytes(sim.pid) / 2**20, 1)])
                print(f"# {now:.0f} s: {progress[-1][5]} agents, {running} tasks running, "
                      f"master RSS {progress[-1][2]} MiB, sim RSS {progress[-1][6]} MiB, load "
                      f"{progress[-1][3]:.1f}, offers outstanding {progress[-1][4]}",
                      file=sys.stderr, flush=True)
            if running >= tasks or now > fill_seconds:
                break
            if sim.poll() is not None:
                raise RuntimeError(f"the simulator exited; see {work}")
            time.sleep(2)
        health.stopping.set()
        health.join()
        filled_s = time.monotonic() - started
        loop_sched = [round(a - b, 1) for a, b in zip(schedstat(master.pid, master.pid),
                                                      loop_sched_before)]
        if fill_recorder is not None:
            fill_recorder.send_signal(signal.SIGINT)
            fill_recorder.wait()
        master_cpu_fill = cpu_seconds(master.pid)
        sim_cpu_fill = cpu_seconds(sim.pid)
        sim_rss_filled = rss_bytes(sim.pid)
        sim_rss_peak = peak_rss_bytes(sim.pid)
        time.sleep(5)  # let the last launches' acknowledgements settle
        running = json.loads(get(port, "/metrics/snapshot")[1]).get("master/tasks_running", 0)
        rss_tasks = rss_bytes(master.pid)
        print("# filled: " + json.dumps({
            "seconds": round(filled_s), "registered_s": registered_s, "running": running,
            "health": health_summary(health.samples), "health_failures": health.failures,
            "health_slow_split": health_split(health.split),
            "loop_thread_run_wait_s": loop_sched,
            "stall_ms": stall_ms, "busy_ms": busy_ms, "master_cpu_s": master_cpu_fill,
            "sim_cpu_s": sim_cpu_fill, "rss_mib": [rss_empty / 2**20, (rss_agents or 0) / 2**20,
                                                   rss_tasks / 2**20],
            "sim_rss_mib": [sim_rss_agents / 2**20, sim_rss_filled / 2**20]}),
            file=sys.stderr, flush=True)
        # The simulator is paused while the master is timed, so that it does nothing else.
        sim.send_signal(signal.SIGSTOP)
        time.sleep(3)
        cpu_before = cpu_seconds(master.pid)
        scrape = timed(port, "/metrics/snapshot", scrapes)
        cpu_scrapes = cpu_seconds(master.pid) - cpu_before
        cpu_before = cpu_seconds(master.pid)
        health_paused = timed(port, "/health", scrapes)
        cpu_health = cpu_seconds(master.pid) - cpu_before
        # The reads run with the simulator going again (its agents heartbeating, as a real
        # cluster's would): paused for minutes, its agents would time out.
        sim.send_signal(signal.SIGCONT)
        reads = []
        if states or get_states or subscribes:
            # The same samplers over 20 s with no read: what the machine's load alone gives.
            reads.append(timed_reads(port, master.pid, "no read (20 s, baseline)",
                                     lambda: time.sleep(20) or 0, 1))
        if states > 0:
            reads.append(timed_reads(port, master.pid, "GET /master/state",
                                     lambda: get_ok(port, "/master/state"), states, perf))
        if get_states > 0:
            reads.append(timed_reads(port, master.pid, "GET_STATE",
                                     lambda: operator_call(port, "GET_STATE"), get_states))
        if subscribes > 0:
            first_record_s = []
            reads.append(timed_reads(
                port, master.pid, "SUBSCRIBE (until SUBSCRIBED)",
                lambda: operator_call(port, "SUBSCRIBE", first_record_s=first_record_s),
                subscribes))
            reads[-1]["first_record_s"] = first_record_s
        final = json.loads(get(port, "/metrics/snapshot")[1])
        return {"master": master_bin, "agents": snapshot["master/slaves_active"],
                "agents_after_reads": final.get("master/slaves_active"),
                "tasks_running_after_reads": final.get("master/tasks_running"),
                "tasks_running": running, "complete": running >= tasks,
                "filled_seconds": filled_s,
                "health_during_fill": health_summary(health.samples),
                "health_slow_split_during_fill": health_split(health.split),
                "loop_thread_run_wait_s_during_fill": loop_sched,
                "health_failures_during_fill": health.failures,
                "loop_stall_ms_max_during_fill": stall_ms, "loop_busy_ms_max_during_fill": busy_ms,
                "progress": progress, "reads": reads,
                "master_cpu_s_to_fill": master_cpu_fill, "sim_cpu_s_to_fill": sim_cpu_fill,
                "sim_rss_mib_with_agents": sim_rss_agents / 2**20,
                "sim_rss_mib_filled": sim_rss_filled / 2**20,
                "sim_rss_bytes_per_task": ((sim_rss_filled - sim_rss_agents) / running
                                           if sim_rss_agents and running else None),
                "sim_rss_mib_peak": sim_rss_peak / 2**20,
                "registered_seconds": registered_s,
                "metrics_snapshot": percentiles(scrape),
                "master_cpu_ms_per_scrape": cpu_scrapes / scrapes * 1e3,
                "health": percentiles(health_paused),
                "master_cpu_ms_per_health": cpu_health / scrapes * 1e3,
                "rss_mib_empty": rss_empty / 2**20,
                "rss_mib_with_agents": (rss_agents or 0) / 2**20,
                "rss_bytes_per_agent": (rss_agents - rss_empty) / agents if rss_agents else None,
                "rss_kib_per_agent": (rss_agents - rss_empty) / agents / 1024 if rss_agents else None,
                "rss_mib_with_tasks": rss_tasks / 2**20,
                "rss_bytes_per_task": ((rss_tasks - rss_agents) / running
                                       if rss_agents and running else None),
                "load_average_before": load_before, "load_average": os.getloadavg()}
    finally:
        for p in (sim, master):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("masters", nargs="+", help="plateau-master binaries to compare")
    parser.add_argument("--sim", default="build/bin/plateau-sim")
    parser.add_argument("--agents", type=int, default=10000)
    parser.add_argument("--tasks", type=int, default=100000)
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--frameworks", type=int, default=10)
    parser.add_argument("--tasks_per_agent", type=int, default=0,
                        help="at most this many tasks per offer (0: as many as fit)")
    parser.add_argument("--fill_seconds", type=float, default=1800,
                        help="measure at the size reached after this long")
    parser.add_argument("--states", type=int, default=0, help="GET /master/state this many times")
    parser.add_argument("--get_states", type=int, default=0,
                        help="operator API GET_STATE this many times")
    parser.add_argument("--subscribes", type=int, default=0,
                        help="operator API SUBSCRIBE this many times (each until its snapshot)")
    parser.add_argument("--perf", help="perf record the master into this file during the states")
    parser.add_argument("--perf_fill", help="perf record the master into this file during the "
                        "fill (FILE.0, FILE.1, ... per binary)")
    parser.add_argument("--sim_nice", type=int, default=0,
                        help="run plateau-sim at this niceness (the master keeps its own)")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    parser.add_argument("--master_arg", action="append", default=[],
                        help="a flag for every master (repeat for more)")
    parser.add_argument("--master_env", action="append", default=[],
                        help="NAME=VALUE in every master's environment (repeat): "
                             "--master_env=GLIBC_TUNABLES=glibc.malloc.hugetlb=1")
    parser.add_argument("--sim_arg", action="append", default=[],
                        help="a flag for plateau-sim (repeat): --sim_arg=--agents_per_stream=100")
    args = parser.parse_args()
    for i, master in enumerate(args.masters):
        perf = f"{args.perf}.{i}" if args.perf else None
        perf_fill = f"{args.perf_fill}.{i}" if args.perf_fill else None
        print(json.dumps(measure(master, args.sim, args.agents, args.tasks, args.scrapes,
                                 args.keep, args.frameworks, args.tasks_per_agent,
                                 args.fill_seconds, args.states, perf, args.master_arg,
                                 args.sim_arg, args.get_states, args.subscribes,
                                 args.master_env, args.sim_nice, perf_fill)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
