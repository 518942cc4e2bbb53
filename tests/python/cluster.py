"""A real plateau-master and plateau-agent on free loopback ports, for the Python tests.

Everything runs under a private temporary directory; stop() kills the daemons and every
process whose working directory lies there (executors and their tasks).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition, timeout=20.0):
    """Polls `condition` every 50 ms until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


class Cluster(object):
    def __init__(self, bin_dir, agent_resources="cpus:1;mem:256"):
        self.bin_dir = bin_dir
        self.dir = tempfile.mkdtemp(prefix="plateau-pytest.")
        self.master_port = free_port()
        self.agent_port = free_port()
        self.processes = []
        self._start("master", ["plateau-master", "--ip=127.0.0.1",
                               "--port=%d" % self.master_port,
                               "--work_dir=" + os.path.join(self.dir, "master"),
                               "--allocation_interval=100ms"])
        if not eventually(lambda: self._get("/health") is not None):
            raise RuntimeError("master did not come up:\n" + self.log("master"))
        self._start("agent", ["plateau-agent", "--master=127.0.0.1:%d" % self.master_port,
                              "--ip=127.0.0.1", "--port=%d" % self.agent_port,
                              "--work_dir=" + os.path.join(self.dir, "agent"),
                              "--resources=" + agent_resources,
                              "--executor_shutdown_grace_period=2secs"])
        if not eventually(lambda: self.agents() > 0):
            raise RuntimeError("agent did not register:\n" + self.log("agent"))

    @property
    def master(self):
        return "127.0.0.1:%d" % self.master_port

    def _start(self, name, argv):
        argv = [os.path.join(self.bin_dir, argv[0])] + argv[1:]
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        self.processes.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))
        log.close()

    def _get(self, path):
        try:
            with urllib.request.urlopen("http://%s%s" % (self.master, path), timeout=2) as r:
                return r.read()
        except OSError:
            return None

    def agents(self):
        body = self._get("/master/state")
        if body is None:
            return 0
        return sum(1 for a in json.loads(body).get("slaves", []) if a.get("active"))

    def log(self, name):
        try:
            with open(os.path.join(self.dir, name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, keep=False):
        for p in reversed(self.processes):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.processes):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self._kill_under(self.dir)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _kill_under(directory):
        def pids():
            found = []
            for name in os.listdir("/proc"):
                if name.isdigit():
                    try:
                        if os.readlink("/proc/%s/cwd" % name).startswith(directory):
                            found.append(int(name))
                    except OSError:
                        pass
            return found

        def kill_all():
            for pid in pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return not pids()

        eventually(kill_all, timeout=5)
