# The seed's executor (section 5.3). Added: the imports it needs, the main that runs it
# (the seed names no entry point), and EXAMPLE_TASK_SECONDS to shorten the seed's 30 s
# sleep in tests.
import os  # added
import sys  # added

import mesos.interface
from mesos.interface import mesos_pb2
import mesos.native
import time

class MyExecutor(mesos.interface.Executor):
    def launchTask(self, driver, task):
        update = mesos_pb2.TaskStatus()
        update.task_id.value = task.task_id.value
        update.state = mesos_pb2.TASK_RUNNING
        driver.sendStatusUpdate(update)

        time.sleep(float(os.environ.get("EXAMPLE_TASK_SECONDS", "30")))  # seed: time.sleep(30)

        update = mesos_pb2.TaskStatus()
        update.task_id.value = task.task_id.value
        update.state = mesos_pb2.TASK_FINISHED
        driver.sendStatusUpdate(update)


if __name__ == "__main__":  # added: the executor's main
    driver = mesos.native.MesosExecutorDriver(MyExecutor())
    sys.exit(0 if driver.run() == mesos_pb2.DRIVER_STOPPED else 1)
