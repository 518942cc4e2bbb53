"""A real plateau-master and plateau-agent on free loopback ports, for the Python tests.

Everything runs under a private temporary directory; stop() kills the daemons and every
process whose working directory lies there (executors and their tasks).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    """A free port for ZooKeeper, which cannot report the one it binds (the daemons start
    with --port=0 and report theirs: see Cluster._reported_port)."""
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
    """`zookeeper=True` also runs Debian's ZooKeeper and has the master elected through it
    (the agent and frameworks then find it with `zk_url`)."""

    def __init__(self, bin_dir, agent_resources="cpus:1;mem:256", zookeeper=False):
        self.bin_dir = bin_dir
        self.dir = tempfile.mkdtemp(prefix="plateau-pytest.")
        self.processes = []
        self.zk_url = None
        master_flags = []
        if zookeeper:
            self.zk_url = "zk://127.0.0.1:%d/plateau" % self._start_zookeeper()
            master_flags = ["--zk=" + self.zk_url, "--zk_session_timeout=2secs"]
        self._start("master", ["plateau-master", "--ip=127.0.0.1",
                               "--port=0",
                               "--work_dir=" + os.path.join(self.dir, "master"),
                               "--allocation_interval=100ms"] + master_flags)
        self.master_port = self._reported_port("master", "master_started")
        if not eventually(lambda: self._get("/health") is not None):
            raise RuntimeError("master did not come up:\n" + self.log("master"))
        agent_master = self.zk_url or "127.0.0.1:%d" % self.master_port
        self._start("agent", ["plateau-agent", "--master=" + agent_master,
                              "--ip=127.0.0.1", "--port=0",
                              "--work_dir=" + os.path.join(self.dir, "agent"),
                              "--resources=" + agent_resources,
                              "--executor_shutdown_grace_period=2secs"])
        self.agent_port = self._reported_port("agent", "agent_started")
        if not eventually(lambda: self.agents() > 0):
            raise RuntimeError("agent did not register:\n" + self.log("agent"))

    def _start_zookeeper(self):
        port = free_port()
        data = os.path.join(self.dir, "zookeeper")
        os.makedirs(data)
        config = os.path.join(self.dir, "zoo.cfg")
        with open(config, "w") as f:
            f.write("tickTime=100\ndataDir=%s\nclientPort=%d\nadmin.enableServer=false\n"
                    "maxSessionTimeout=60000\nforceSync=no\n4lw.commands.whitelist=*\n"
                    % (data, port))
        log = open(os.path.join(self.dir, "zookeeper.log"), "ab")
        self.processes.append(subprocess.Popen(
            ["java", "-cp", "/etc/zookeeper/conf:/usr/share/java/*",
             "org.apache.zookeeper.server.ZooKeeperServerMain", config],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.dir))
        log.close()

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(b"ruok")
                    return c.recv(16) == b"imok"
            except OSError:
                return False

        if not eventually(answers, timeout=60):
            raise RuntimeError("ZooKeeper did not come up:\n" + self.log("zookeeper"))
        return port

    def _reported_port(self, name, event):
        """The port a daemon started with --port=0 bound, from its "<event> ... address=IP:PORT"
        log line."""
        pattern = re.compile(re.escape(event) + r" .*address=\S*:(\d+)")
        found = []

        def reported():
            match = pattern.search(self.log(name))
            if match:
                found.append(int(match.group(1)))
            return bool(found)

        if not eventually(reported):
            raise RuntimeError("%s did not report its port:\n%s" % (name, self.log(name)))
        return found[0]

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
