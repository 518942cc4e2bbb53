#!/usr/bin/env python3
"""How long a plateau-agent's event loop stalls while sandbox GC removes a sandbox of many files.

For each plateau-agent binary given: makes an executor run folder of FILES small files in a new
--work_dir (as an earlier agent would have left it: .../slaves/S/frameworks/F/executors/E/runs/R),
starts the agent with --gc_delay=DELAY so that the run is collected DELAY seconds after it was
made, and times GET /health back to back (one connection, keep-alive) from before the collection
until the folder is gone and its files are freed. The longest /health answer is the loop stall
(the agent answers /health on its loop); p50 is the machine's own latency at that moment.
Run the binaries in one invocation so that their figures share the machine's conditions.

  bench/sandbox_gc_stall.py --master build/bin/plateau-master OLD/plateau-agent build/bin/plateau-agent
"""

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_run(work_dir, files):
    run = os.path.join(work_dir, "slaves", "S0", "frameworks", "F0", "executors", "E0", "runs",
                       "R0")
    os.makedirs(run)
    per_dir = 1000
    for d in range(0, files, per_dir):
        sub = os.path.join(run, f"d{d // per_dir}")
        os.mkdir(sub)
        for i in range(min(per_dir, files - d)):
            with open(os.path.join(sub, f"f{i}"), "w") as f:
                f.write("x")
    os.utime(run)  # changed now: collected gc_delay from now
    return run


def wait_health(port, deadline):
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.05)
    return False


def measure(agent, master_port, files, delay, scratch):
    work_dir = tempfile.mkdtemp(prefix="gc-stall-", dir=scratch)
    t0 = time.time()
    run = make_run(work_dir, files)
    made = time.time() - t0
    port = free_port()
    log = open(os.path.join(work_dir, "agent.log"), "w")
    proc = subprocess.Popen([agent, f"--master=127.0.0.1:{master_port}", "--ip=127.0.0.1",
                             f"--port={port}", f"--work_dir={work_dir}", "--switch_user=false",
                             f"--gc_delay={delay}secs", "--resources=cpus:1;mem:128"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_health(port, time.time() + 20):
            raise RuntimeError("agent did not answer /health")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies = []
        gone_at = None
        end = time.time() + delay + 120
        while time.time() < end:
            start = time.perf_counter()
            conn.request("GET", "/health")
            conn.getresponse().read()
            latencies.append(time.perf_counter() - start)
            if gone_at is None and not os.path.exists(run):
                gone_at = time.time()
            trash = os.path.join(work_dir, ".sandbox_trash")
            if gone_at is not None and (not os.path.isdir(trash) or not os.listdir(trash)):
                if time.time() - gone_at > 0.5:
                    break
        latencies.sort()
        return {"files": files, "create_s": round(made, 2), "requests": len(latencies),
                "p50_ms": round(latencies[len(latencies) // 2] * 1e3, 3),
                "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1e3, 3),
                "max_ms": round(latencies[-1] * 1e3, 1), "removed": gone_at is not None}
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work_dir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--master", required=True)
    p.add_argument("--files", type=int, default=100000)
    p.add_argument("--delay", type=int, default=8, help="--gc_delay in seconds")
    p.add_argument("--scratch", default=None, help="where the work dirs go (a disk, not tmpfs)")
    p.add_argument("agents", nargs="+")
    a = p.parse_args()
    master_port = free_port()
    mdir = tempfile.mkdtemp(prefix="gc-stall-master-", dir=a.scratch)
    master = subprocess.Popen([a.master, "--ip=127.0.0.1", f"--port={master_port}",
                               f"--work_dir={mdir}", "--registry=in_memory"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_health(master_port, time.time() + 20)
        for agent in a.agents:
            print(agent, measure(agent, master_port, a.files, a.delay, a.scratch), flush=True)
    finally:
        master.terminate()
        master.wait()
        shutil.rmtree(mdir, ignore_errors=True)


if __name__ == "__main__":
    main()
