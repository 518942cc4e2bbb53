"""The seed's Python example (examples/python) against a real cluster, under the
interpreter this runs with (Debian's /usr/bin/python3 from ctest)."""

import os
import subprocess
import sys
import unittest

from cluster import Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.environ.get("PLATEAU_BIN_DIR", os.path.join(ROOT, "build", "bin"))
FRAMEWORK = os.path.join(ROOT, "examples", "python", "framework.py")


class SeedExampleTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(BIN_DIR)

    def tearDown(self):
        failed = any(e for _, e in self._outcome.errors if e) if hasattr(
            self._outcome, "errors") else False
        self.cluster.stop(keep=failed)

    def run_framework(self, *args, timeout=120):
        env = dict(os.environ, EXAMPLE_TASK_SECONDS="1")
        result = subprocess.run([sys.executable, FRAMEWORK] + list(args), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                timeout=timeout, cwd=self.cluster.dir)
        output = result.stdout.decode(errors="replace")
        return result.returncode, output

    def explain(self, output):
        return "framework output:\n%s\nagent log:\n%s" % (output, self.cluster.log("agent"))

    def test_finishes_its_tasks_with_the_python_executor(self):
        code, output = self.run_framework(self.cluster.master, "--tasks", "2")
        self.assertEqual(code, 0, self.explain(output))
        self.assertIn("Registered with framework ID", output)
        self.assertEqual(output.count("Task 0 is in state TASK_RUNNING"), 2, output)
        self.assertEqual(output.count("Task 0 is in state TASK_FINISHED"), 2, output)

    def test_scheduler_as_written_gets_task_error_not_a_crash(self):
        code, output = self.run_framework(self.cluster.master, "--as-written", "--tasks", "1")
        self.assertEqual(code, 1, output)
        self.assertIn("Task 0 is in state TASK_ERROR", output)
        self.assertIn("Status update TID 0 TASK_ERROR", output)  # the seed's own logging
        self.assertNotIn("Traceback", output)

    def test_runs_with_the_master_found_through_zookeeper(self):
        self.cluster.stop()
        self.cluster = Cluster(BIN_DIR, zookeeper=True)
        code, output = self.run_framework(self.cluster.zk_url, "--tasks", "1")
        self.assertEqual(code, 0, self.explain(output))
        self.assertIn("Task 0 is in state TASK_FINISHED", output)

    def test_a_bad_zookeeper_url_is_a_clear_error(self):
        code, output = self.run_framework("zk://127.0.0.1:1", timeout=30)
        self.assertEqual(code, 1, output)
        self.assertIn("zk://", output)
        self.assertNotIn("Traceback", output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
