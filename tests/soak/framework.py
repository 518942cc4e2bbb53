"""A v1 HTTP scheduler (JSON over POST /api/v1/scheduler, RecordIO event stream) that keeps its
own record of every task it launched and of every status update it received.

One thread reads the event stream (and answers offers and updates from it); the harness's workload
thread calls tick() to kill tasks and reconcile. "Killing" the framework closes its connection
abruptly and keeps it away for a while; it then subscribes again with its framework id, as a
scheduler restarted by its supervisor would (its records stand for the scheduler's own store).
"""

import http.client
import json
import random
import socket
import threading
import time

TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
            "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}
# The order in which an executor may send a task's states.
EXECUTOR_RANK = {"TASK_STARTING": 1, "TASK_RUNNING": 2}


class Update(object):
    __slots__ = ("t", "state", "source", "uuid", "agent_id", "reason", "message")

    def __init__(self, status):
        self.t = time.time()
        self.state = status.get("state")
        self.source = status.get("source", "")
        self.uuid = status.get("uuid")
        self.agent_id = (status.get("agent_id") or {}).get("value")
        self.reason = status.get("reason", "")
        self.message = status.get("message", "")

    def __repr__(self):
        return "%s %s agent=%s reason=%s uuid=%s %s" % (
            self.state, self.source, self.agent_id, self.reason,
            (self.uuid or "-")[:8], (self.message or "")[:80])


def record_update(fw, status):
    """Adds one received status update to fw's record of its task: (record or None, the Update,
    the task's fate before it)."""
    task_id = status["task_id"]["value"]
    u = Update(status)
    before = None
    with fw.lock:
        record = fw.tasks.get(task_id)
        if record is not None:
            before = record.fate()
            record.updates.append(u)
            if u.agent_id:
                record.agent_id = u.agent_id
    return record, u, before


def unfinished(fw):
    """The ids of fw's tasks without a terminal fate."""
    with fw.lock:
        return sorted(t.task_id for t in fw.tasks.values() if t.fate() not in TERMINAL)


def next_fate(fate, u):
    """The fate after update u. A terminal state stays, except that TASK_LOST or TASK_UNKNOWN
    may be corrected by a later update; reconciliation answering a non-terminal state echoes an
    older one, and answering TASK_LOST, TASK_GONE or TASK_UNKNOWN for a task that ended means only
    that the master forgot it after its terminal update was acknowledged."""
    if fate in TERMINAL and fate not in ("TASK_LOST", "TASK_UNKNOWN"):
        if u.state not in TERMINAL or u.reason == "REASON_RECONCILIATION":
            return fate
    if fate in TERMINAL and u.reason == "REASON_RECONCILIATION" and u.state in (
            "TASK_LOST", "TASK_UNKNOWN", "TASK_GONE"):
        return fate
    return u.state


class TaskRecord(object):
    def __init__(self, task_id, kind, agent_id, group):
        self.task_id = task_id
        self.kind = kind  # "short", "long", "fail"
        self.agent_id = agent_id
        self.group = group
        self.launched_at = time.time()
        self.updates = []
        self.kill_sent = False
        self.executor_uuids = []  # first-seen order of the executor's updates (uuid, state)

    def fate(self):
        """The last state that counts: a terminal state stays unless TASK_LOST or TASK_UNKNOWN
        (which a later answer may correct) or reconciliation merely echoes an older state."""
        fate = None
        for u in self.updates:
            fate = next_fate(fate, u)
        return fate

    def running_agents(self):
        return {u.agent_id for u in self.updates if u.state == "TASK_RUNNING" and u.agent_id}


class Framework(object):
    def __init__(self, name, harness, seed, checkpoint, partition_aware, max_tasks=3):
        self.name = name
        self.harness = harness
        self.rng = random.Random(seed)
        self.checkpoint = checkpoint
        self.partition_aware = partition_aware
        self.max_tasks = max_tasks
        self.framework_id = None
        self.stream_id = None
        self.master = None
        self.tasks = {}
        self.lock = threading.Lock()
        self.conn = None
        self.down_until = 0.0  # time.monotonic(): a jump of the wall clock leaves them be
        self.slow_until = 0.0
        self.launching = True
        self.stopping = False
        self.subscribed_at = None
        self.subscribe_times = []  # (started, subscribed)
        self.counter = 0
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    # ---- the event stream -------------------------------------------------------------------
    def start(self):
        self.thread.start()

    def _info(self):
        info = {"user": "soak", "name": self.name, "failover_timeout": 3600.0,
                "checkpoint": self.checkpoint, "roles": ["soak"],
                "capabilities": [{"type": "MULTI_ROLE"}]}
        if self.partition_aware:
            info["capabilities"].append({"type": "PARTITION_AWARE"})
        if self.framework_id:
            info["id"] = {"value": self.framework_id}
        return info

    def _run(self):
        while not self.stopping:
            wait = self.down_until - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, 0.5))
                continue
            leader = self.harness.leader_address()
            if leader is None:
                time.sleep(0.5)
                continue
            started = time.time()
            try:
                self._subscribe(leader, started)
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.harness.note("%s stream ended: %s" % (self.name, e))
            self.stream_id = None
            self.subscribed_at = None
            time.sleep(0.3)

    def _subscribe(self, address, started):
        host, port = address.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        self.conn = conn
        body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": self._info()}}
        if self.framework_id:
            body["framework_id"] = {"value": self.framework_id}
        conn.request("POST", "/api/v1/scheduler", json.dumps(body),
                     {"Content-Type": "application/json", "Accept": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            resp.read()
            conn.close()
            time.sleep(0.5)
            return
        self.master = address
        self.stream_id = resp.getheader("Mesos-Stream-Id")
        while not self.stopping:
            while time.monotonic() < self.slow_until and not self.stopping:
                time.sleep(0.2)  # a slow reader: the master's writes back up meanwhile
            event = self._read_record(resp)
            if event is None:
                break
            self._handle(event, started)
        conn.close()

    @staticmethod
    def _read_record(resp):
        length = b""
        while True:
            c = resp.read(1)
            if not c:
                return None
            if c == b"\n":
                break
            length += c
        data = resp.read(int(length))
        return json.loads(data)

    def _handle(self, event, started):
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            sub = event["subscribed"]
            first = self.framework_id is None
            self.framework_id = sub["framework_id"]["value"]
            self.subscribed_at = time.time()
            self.subscribe_times.append((started, self.subscribed_at))
            self.harness.subscribed(self)
            hb = sub.get("heartbeat_interval_seconds", 15)
            self.conn.sock.settimeout(max(3.0, hb * 3))
            if not first:
                self.reconcile(explicit=False)
        elif kind == "OFFERS":
            self._offers(event["offers"].get("offers", []))
        elif kind == "UPDATE":
            self._update(event["update"]["status"])
        elif kind == "ERROR":
            self.harness.note("%s ERROR event: %s" % (self.name, event))

    # ---- calls ------------------------------------------------------------------------------
    def call(self, body):
        if not self.stream_id or not self.master:
            return None
        body["framework_id"] = {"value": self.framework_id}
        host, port = self.master.split(":")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("POST", "/api/v1/scheduler", json.dumps(body),
                         {"Content-Type": "application/json", "Mesos-Stream-Id": self.stream_id})
            resp = conn.getresponse()
            text = resp.read()
            conn.close()
            if resp.status >= 500 or resp.status == 400:
                self.harness.note("%s %s answered %d %s" % (self.name, body["type"], resp.status,
                                                           text[:200]))
            return resp.status
        except (OSError, http.client.HTTPException):
            return None

    def _offers(self, offers):
        for offer in offers:
            ops = []
            if self.launching and not self.harness.quiescing:
                ops = self._launches(offer)
            if ops:
                self.call({"type": "ACCEPT", "accept": {
                    "offer_ids": [offer["id"]], "operations": ops,
                    "filters": {"refuse_seconds": 1.0}}})
            else:
                self.call({"type": "DECLINE", "decline": {
                    "offer_ids": [offer["id"]], "filters": {"refuse_seconds": 2.0}}})

    def _resources(self, offer, cpus, mem):
        role = (offer.get("allocation_info") or {}).get("role", "soak")
        return [{"name": n, "type": "SCALAR", "scalar": {"value": v},
                 "allocation_info": {"role": role}} for n, v in (("cpus", cpus), ("mem", mem))]

    def _unreserved(self, offer, name):
        return sum(r.get("scalar", {}).get("value", 0) for r in offer.get("resources", [])
                   if r.get("name") == name and not r.get("reservations"))

    def _launches(self, offer):
        with self.lock:
            active = sum(1 for t in self.tasks.values() if t.fate() not in TERMINAL)
        if active >= self.max_tasks or self._unreserved(offer, "cpus") < 0.6 or \
                self._unreserved(offer, "mem") < 96:
            return []
        roll = self.rng.random()
        kind = "long" if roll < 0.35 else ("fail" if roll < 0.45 else "short")
        group = self.rng.random() < 0.15
        seconds = self.rng.choice([1, 2, 4])
        command = {"short": "sleep %d" % seconds, "fail": "sleep 1; exit 3",
                   "long": "sleep 3600"}[kind]
        self.counter += 1
        task_id = "%s-%s-%d" % (self.name, kind, self.counter)
        agent_id = offer["agent_id"]["value"]
        task = {"name": task_id, "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
                "resources": self._resources(offer, 0.2, 32), "command": {"value": command}}
        with self.lock:
            self.tasks[task_id] = TaskRecord(task_id, kind, agent_id, group)
        self.harness.launched(self, task_id)
        if not group:
            return [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]
        executor = {"type": "DEFAULT", "executor_id": {"value": task_id + "-executor"},
                    "framework_id": {"value": self.framework_id},
                    "resources": self._resources(offer, 0.1, 32)}
        return [{"type": "LAUNCH_GROUP", "launch_group": {
            "executor": executor, "task_group": {"tasks": [task]}}}]

    def _update(self, status):
        task_id = status["task_id"]["value"]
        record, u, before = record_update(self, status)
        if record is not None:
            self.harness.on_update(self, record, u, before)
        if u.uuid and u.agent_id:
            self.call({"type": "ACKNOWLEDGE", "acknowledge": {
                "agent_id": {"value": u.agent_id}, "task_id": {"value": task_id},
                "uuid": u.uuid}})

    # ---- the workload thread's part ---------------------------------------------------------
    def tick(self, now):
        """Kills a long task now and then and reconciles now and then."""
        if not self.stream_id:
            return
        roll = self.rng.random()
        if roll < 0.08:
            with self.lock:
                longs = sorted(t.task_id for t in self.tasks.values()
                               if t.kind == "long" and not t.kill_sent and
                               t.fate() == "TASK_RUNNING")
            if longs:
                self.kill(self.rng.choice(longs))
        elif roll < 0.13:
            self.reconcile(explicit=self.rng.random() < 0.7)

    def kill(self, task_id):
        with self.lock:
            record = self.tasks[task_id]
            record.kill_sent = True
            agent = record.agent_id
        body = {"task_id": {"value": task_id}}
        if agent:
            body["agent_id"] = {"value": agent}
        self.call({"type": "KILL", "kill": body})

    def unfinished(self):
        return unfinished(self)

    def reconcile(self, explicit=True, task_ids=None):
        tasks = []
        if explicit:
            with self.lock:
                ids = task_ids if task_ids is not None else \
                    [t.task_id for t in self.tasks.values() if t.fate() not in TERMINAL]
                for task_id in ids:
                    entry = {"task_id": {"value": task_id}}
                    if self.tasks[task_id].agent_id:
                        entry["agent_id"] = {"value": self.tasks[task_id].agent_id}
                    tasks.append(entry)
            if not tasks:
                return
        self.call({"type": "RECONCILE", "reconcile": {"tasks": tasks}})

    def crash(self, down_seconds):
        """Drops the connection as a killed process would and stays away for down_seconds."""
        self.down_until = time.monotonic() + down_seconds
        conn = self.conn
        self.stream_id = None
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.crash(0)
