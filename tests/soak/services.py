"""plateau-apps and plateau-jobs in the soak: each an ordinary framework of the cluster, found
through ZooKeeper (--master=zk://...), with its state in SQLite under its own work_dir.

The workload: one app of APP_INSTANCES long tasks (plateau-apps replaces what the faults kill)
and one job every JOB_EVERY_S (plateau-jobs launches it on schedule). Checked: neither service
dies of a signal (an exit is restarted, as a supervisor would); at the end, once the cluster is
whole, the app is back to its instances, the tasks plateau-apps says run are exactly the app's
tasks the leader lists running, and the job has succeeded again. The app and the job are then
deleted and their tasks waited out, so that the harness's leak checks see them gone.
"""

import os
import signal

import procs
from procs import wait

APP_ID = "/soak/web"
APP_INSTANCES = 2
JOB = "soak-tick"
JOB_EVERY_S = 20


class Service(object):
    def __init__(self, name, binary, flags, run_dir):
        self.name = name
        self.port = procs.free_port()
        work_dir = os.path.join(run_dir, name)
        argv = [binary, "--http_address=127.0.0.1", "--http_port=%d" % self.port,
                "--hostname=127.0.0.1", "--work_dir=" + work_dir] + flags
        self.proc = procs.Proc(name, argv, os.path.join(run_dir, name + ".log"), run_dir)
        self.binary = binary
        self.restarts = 0

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def call(self, path, body=None, method=None, timeout=5):
        return procs.http(self.address, path, body, timeout=timeout, method=method)


class Services(object):
    def __init__(self, harness, zk_url):
        self.h = harness
        bin_dir = harness.args.bin_dir
        self.apps = Service("apps", os.path.join(bin_dir, "plateau-apps"),
                            ["--master=" + zk_url], harness.run_dir)
        self.jobs = Service("jobs", os.path.join(bin_dir, "plateau-jobs"),
                            ["--master=" + zk_url], harness.run_dir)
        self.app_task_ids = set()  # every task of the app the leader ever listed
        self.job_successes = 0

    @staticmethod
    def available(bin_dir):
        return all(os.access(os.path.join(bin_dir, b), os.X_OK)
                   for b in ("plateau-apps", "plateau-jobs"))

    def start(self):
        for s in (self.apps, self.jobs):
            s.proc.start()
            if not wait(lambda: s.call("/ping")[0] == 200, 60):
                raise RuntimeError("%s did not answer /ping:\n%s" % (s.name, s.proc.log_tail()))
        code, body = self.apps.call("/v2/apps", {
            "id": APP_ID, "cmd": "sleep 3600", "cpus": 0.1, "mem": 32,
            "instances": APP_INSTANCES})
        if code not in (200, 201):
            raise RuntimeError("plateau-apps refused the app: %s %s" % (code, body))
        code, body = self.jobs.call("/v1/scheduler/iso8601", {
            "name": JOB, "command": "sleep 1", "schedule": "R//PT%dS" % JOB_EVERY_S,
            "cpus": 0.1, "mem": 32})
        if code not in (200, 204):
            raise RuntimeError("plateau-jobs refused the job: %s %s" % (code, body))

    def tick(self):
        """Restarts a service that exited; one that died of a signal is a violation."""
        for s in (self.apps, self.jobs):
            if s.proc.running():
                continue
            rc = s.proc.popen.returncode
            if rc is not None and rc < 0 and -rc != signal.SIGKILL:
                self.h.violation("crash", "%s died of signal %d:\n%s\n%s" % (
                    s.name, -rc, s.proc.log_tail(), procs.backtrace(s.binary, self.h.run_dir)),
                    s.name)
            self.h.note("%s exited rc=%s: restarting it" % (s.name, rc))
            s.restarts += 1
            s.proc.start()
        st = self.h.state
        if st:
            for f in st.get("frameworks", []):
                if f.get("name") == "plateau-apps":
                    self.app_task_ids.update(t.get("id") for t in f.get("tasks", []))

    def _app_running(self):
        code, body = self.apps.call("/v2/apps%s" % APP_ID)
        if code != 200 or not isinstance(body, dict):
            return None
        return sorted(t.get("id") for t in body.get("app", {}).get("tasks", [])
                      if t.get("state") == "TASK_RUNNING")

    def _leader_running(self):
        st = self.h.state or {}
        for f in st.get("frameworks", []):
            if f.get("name") == "plateau-apps":
                return sorted(t.get("id") for t in f.get("tasks", [])
                              if t.get("state") == "TASK_RUNNING")
        return None

    def _job_successes(self):
        code, body = self.jobs.call("/v1/scheduler/jobs")
        if code != 200 or not isinstance(body, list):
            return None
        for job in body:
            if job.get("name") == JOB:
                return job.get("successCount", 0)
        return None

    def settle(self):
        """The end checks, then the app and the job deleted and their tasks waited out."""
        agreed = []

        def app_whole():
            mine, leaders = self._app_running(), self._leader_running()
            agreed[:] = [mine, leaders]
            return mine is not None and len(mine) == APP_INSTANCES and mine == leaders

        if not wait(app_whole, self.h.recovery_limit, 1.0):
            self.h.violation("apps", "the app is not back to %d instances that plateau-apps and "
                             "the leader agree on: plateau-apps %s, leader %s" % (
                                 APP_INSTANCES, agreed[0], agreed[1]), "apps")
        before = self._job_successes() or 0
        if not wait(lambda: (self._job_successes() or 0) > before, 3 * JOB_EVERY_S + 30, 1.0):
            self.h.violation("jobs", "%s did not succeed again within %ds of the end (%s "
                             "successes)" % (JOB, 3 * JOB_EVERY_S + 30, before), "jobs")
        self.job_successes = self._job_successes() or before
        self.jobs.call("/v1/scheduler/job/%s" % JOB, method="DELETE")
        self.apps.call("/v2/apps%s?force=true" % APP_ID, method="DELETE")
        gone = wait(lambda: self._leader_running() == [] and not self._job_tasks(), 60, 1.0)
        if not gone:
            self.h.violation("apps", "the app's or the job's tasks still run 60 s after their "
                             "deletion: %s" % self._leader_running(), "apps")

    def _job_tasks(self):
        st = self.h.state or {}
        return [t.get("id") for f in st.get("frameworks", []) if f.get("name") == "plateau-jobs"
                for t in f.get("tasks", [])]

    def figures(self):
        return {"app_tasks_launched": len(self.app_task_ids),
                "job_successes": self.job_successes,
                "restarts": {"apps": self.apps.restarts, "jobs": self.jobs.restarts}}

    def stop(self):
        for s in (self.apps, self.jobs):
            s.proc.terminate(timeout=5)

