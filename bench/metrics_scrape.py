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


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def percentiles(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return {"p50_ms": pick(0.5) * 1e3, "p90_ms": pick(0.9) * 1e3, "max_ms": s[-1] * 1e3}


def timed(port, path, n):
    samples = []
    for _ in range(n):
        start = time.monotonic()
        status, _ = get(port, path)
        samples.append(time.monotonic() - start)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
    return samples


def measure(master_bin, sim_bin, agents, tasks, scrapes, keep):
    work = tempfile.mkdtemp(prefix="plateau-metrics-scrape.")
    port = free_port()
    env = dict(os.environ, PLATEAU_HTTP_MAX_CONNECTIONS=str(agents + 4096))
    master = subprocess.Popen(
        [master_bin, "--ip=127.0.0.1", f"--port={port}", f"--work_dir={work}/master"],
        stdout=open(f"{work}/master.log", "w"), stderr=subprocess.STDOUT, env=env)
    with open(f"{work}/workload.json", "w") as f:
        json.dump({"seed": 1, "duration_seconds": 3000, "drain_seconds": 1,
                   "agents": [{"count": agents, "cpus": 64, "mem": 262144}],
                   "frameworks": [{"count": 10, "name": "long", "task": {"cpus": 0.1, "mem": 32},
                                   "duration_seconds": 3600, "arrival_rate": 2000,
                                   "max_tasks": tasks // 10}]}, f)
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
        sim = subprocess.Popen(
            [sim_bin, f"--workload={work}/workload.json", f"--master=127.0.0.1:{port}",
             "--logging_level=error"],
            stdout=open(f"{work}/sim.out", "w"), stderr=subprocess.STDOUT)
        started = time.monotonic()
        rss_agents = None
        while True:
            snapshot = json.loads(get(port, "/metrics/snapshot")[1])
            if (rss_agents is None and snapshot.get("master/slaves_active", 0) >= agents
                    and snapshot.get("master/tasks_running", 0) == 0):
                rss_agents = rss_bytes(master.pid)
            if snapshot.get("master/tasks_running", 0) >= tasks:
                break
            if sim.poll() is not None or time.monotonic() - started > 1800:
                raise RuntimeError(f"tasks did not all start; see {work}")
            time.sleep(2)
        filled_s = time.monotonic() - started
        master_cpu_fill = cpu_seconds(master.pid)
        sim_cpu_fill = cpu_seconds(sim.pid)
        time.sleep(5)  # let the last launches' acknowledgements settle
        rss_tasks = rss_bytes(master.pid)
        # The simulator is paused while the master is timed, so that it does nothing else.
        sim.send_signal(signal.SIGSTOP)
        time.sleep(3)
        cpu_before = cpu_seconds(master.pid)
        scrape = timed(port, "/metrics/snapshot", scrapes)
        cpu_scrapes = cpu_seconds(master.pid) - cpu_before
        cpu_before = cpu_seconds(master.pid)
        health = timed(port, "/health", scrapes)
        cpu_health = cpu_seconds(master.pid) - cpu_before
        sim.send_signal(signal.SIGCONT)
        return {"master": master_bin, "agents": snapshot["master/slaves_active"],
                "tasks_running": snapshot["master/tasks_running"], "filled_seconds": filled_s,
                "master_cpu_s_to_fill": master_cpu_fill, "sim_cpu_s_to_fill": sim_cpu_fill,
                "metrics_snapshot": percentiles(scrape),
                "master_cpu_ms_per_scrape": cpu_scrapes / scrapes * 1e3,
                "health": percentiles(health),
                "master_cpu_ms_per_health": cpu_health / scrapes * 1e3,
                "rss_mib_empty": rss_empty / 2**20,
                "rss_mib_with_agents": (rss_agents or 0) / 2**20,
                "rss_bytes_per_agent": (rss_agents - rss_empty) / agents if rss_agents else None,
                "rss_mib_with_tasks": rss_tasks / 2**20,
                "rss_bytes_per_task": (rss_tasks - rss_agents) / tasks if rss_agents else None,
                "load_average": os.getloadavg()}
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
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args()
    for master in args.masters:
        print(json.dumps(measure(master, args.sim, args.agents, args.tasks, args.scrapes,
                                 args.keep)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
