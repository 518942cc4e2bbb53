"""The soak's processes: a three-server ZooKeeper ensemble, plateau-master and plateau-agent
daemons on loopback ports chosen at run time, and small HTTP helpers.

Every process runs under the run's directory; `sweep` kills whatever still has its working
directory there (executors and their tasks outlive a killed agent, as in Mesos).
"""

import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(address, path, body=None, timeout=3.0, method=None):
    """(status, parsed JSON or text) of one request, or (None, error text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("http://%s%s" % (address, path), data=data,
                                 method=method or ("GET" if body is None else "POST"))
    if data is not None:
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, _decode(r.read())
    except urllib.error.HTTPError as e:
        return e.code, _decode(e.read())
    except (OSError, ValueError) as e:
        return None, str(e)


def _decode(raw):
    text = raw.decode(errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _allow_core():
    """Lets a crashing daemon leave a core file (in its working directory, when the kernel's
    core_pattern is a plain name) for the harness to show a backtrace of."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass


def backtrace(binary, directory):
    """gdb's backtrace of every thread from the newest core file in directory, or ""."""
    cores = [os.path.join(directory, f) for f in os.listdir(directory) if f.startswith("core")]
    if not cores or shutil.which("gdb") is None:
        return ""
    core = max(cores, key=os.path.getmtime)
    done = subprocess.run(["gdb", "-batch", "-ex", "thread apply all bt 20", binary, core],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return done.stdout.decode(errors="replace")[-6000:]


def four_letter_word(port, word, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
            c.sendall(word.encode())
            chunks = []
            while True:
                data = c.recv(4096)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


class Proc(object):
    """One daemon: start, signal, restart; its log is appended to across restarts."""

    def __init__(self, name, argv, log_path, cwd):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.cwd = cwd
        self.popen = None
        self.starts = 0
        self.stopped = False  # SIGSTOPped by the harness

    def start(self):
        if self.running():  # a second start would orphan the first process
            raise RuntimeError("%s is already running (pid %d)" % (self.name, self.popen.pid))
        with open(self.log_path, "ab") as log:
            log.write(("\n==== start %d of %s at %.3f\n" % (self.starts, self.name, time.time()))
                      .encode())
            log.flush()
            self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                          cwd=self.cwd, start_new_session=True,
                                          preexec_fn=_allow_core)
        self.starts += 1
        self.stopped = False

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig):
        if self.running():
            os.kill(self.popen.pid, sig)
            if sig == signal.SIGSTOP:
                self.stopped = True
            elif sig == signal.SIGCONT:
                self.stopped = False

    def kill(self):
        if self.running():
            if self.stopped:
                os.kill(self.popen.pid, signal.SIGCONT)
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self.stopped = False

    def terminate(self, timeout=10):
        if not self.running():
            return
        if self.stopped:
            self.signal(signal.SIGCONT)
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def reported_port(self, event, timeout=30):
        """The port from the last "<event> ... address=IP:PORT" line of this start."""
        pattern = re.compile(re.escape(event) + r" .*address=\S*:(\d+)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(self.log_path, errors="replace") as f:
                    text = f.read()
            except OSError:
                text = ""
            start = text.rfind("==== start")
            found = pattern.findall(text[start:])
            if found:
                return int(found[-1])
            if not self.running():
                break
            time.sleep(0.1)
        raise RuntimeError("%s did not report its port:\n%s" % (self.name, self.log_tail()))


class ZooKeeperEnsemble(object):
    """Three ZooKeeper servers (Debian's package) on loopback ports picked at run time."""

    def __init__(self, run_dir, size=3):
        self.ports = [free_port() for _ in range(size)]
        quorum = [(free_port(), free_port()) for _ in range(size)]
        self.servers = []
        for i in range(size):
            d = os.path.join(run_dir, "zk%d" % i)
            os.makedirs(os.path.join(d, "data"), exist_ok=True)
            with open(os.path.join(d, "data", "myid"), "w") as f:
                f.write("%d\n" % (i + 1))
            cfg = os.path.join(d, "zoo.cfg")
            with open(cfg, "w") as f:
                f.write("tickTime=200\ninitLimit=50\nsyncLimit=25\nminSessionTimeout=400\n"
                        "maxSessionTimeout=60000\ndataDir=%s/data\nclientPort=%d\n"
                        "clientPortAddress=127.0.0.1\nmaxClientCnxns=0\npreAllocSize=1024\n"
                        "forceSync=no\nadmin.enableServer=false\n4lw.commands.whitelist=*\n"
                        "autopurge.purgeInterval=1\n" % (d, self.ports[i]))
                for j, (qp, ep) in enumerate(quorum):
                    f.write("server.%d=127.0.0.1:%d:%d\n" % (j + 1, qp, ep))
            # A small heap and the C1 compiler only keep each JVM's CPU and memory small.
            argv = ["java", "-Xmx96m", "-Xss512k", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-Dzookeeper.log.dir=" + d,
                    "-cp", "/etc/zookeeper/conf:/usr/share/java/*",
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg]
            self.servers.append(Proc("zk%d" % i, argv, os.path.join(d, "zk.log"), d))

    def start(self):
        for s in self.servers:
            s.start()

    def serving(self, i):
        """True when server i is part of a quorum and answers clients."""
        return "Mode:" in four_letter_word(self.ports[i], "srvr")

    def connect_string(self):
        return ",".join("127.0.0.1:%d" % p for p in self.ports)


class Daemon(Proc):
    """A plateau-master or plateau-agent: --port=0 at the first start, the reported port after."""

    def __init__(self, name, binary, flags, run_dir, started_event):
        self.binary = binary
        self.flags = flags
        self.port = 0
        self.started_event = started_event
        super().__init__(name, [], os.path.join(run_dir, name + ".log"), run_dir)

    def start(self):
        self.argv = [self.binary, "--ip=127.0.0.1", "--port=%d" % self.port] + self.flags
        super().start()
        self.port = self.reported_port(self.started_event)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port


def sweep(run_dir):
    """SIGKILLs every process whose working directory lies under run_dir."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % entry)
        except OSError:
            continue
        if cwd.startswith(run_dir + "/") and int(entry) != os.getpid():
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def mount_small_fs(path, megabytes):
    """Mounts a tmpfs of `megabytes` on path (root only); False when that is not possible."""
    os.makedirs(path, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % megabytes, "tmpfs", path],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return done.returncode == 0


def unmount(path):
    subprocess.run(["umount", "-l", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fill(path):
    """Writes zeros to path until the filesystem is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * (1 << 20)
    try:
        with open(path, "wb") as f:
            while True:
                written += f.write(chunk)
                f.flush()
    except OSError:
        pass
    return written


def executor_pids(work_dir):
    """The pids of executors whose working directory is a sandbox under work_dir."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % entry)
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if cwd.startswith(work_dir + "/") and argv0.endswith(b"plateau-executor"):
            pids.append((int(entry), cwd))
    return pids


def wait(condition, timeout, interval=0.25):
    """Polls condition until it holds (True) or timeout seconds passed (its last answer)."""
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return True
        time.sleep(interval)
    return condition()
