# The seed's framework launcher (section 5.4). Added: the imports it lacks, the master
# from the command line (the seed's zk://localhost:2181/mesos stays the default), an
# executor for the tasks (running executor.py beside this file), and an end: the seed's
# framework runs forever, this one stops after --tasks terminal task states.
#
#   PYTHONPATH=build/python /usr/bin/python3 examples/python/framework.py 127.0.0.1:5050
#   ... --as-written   launches the seed's tasks unchanged (no executor: TASK_ERROR)
import argparse  # added
import logging  # added
import os  # added
import shlex  # added
import sys  # added

import mesos.interface  # added
import mesos.native
from mesos.interface import mesos_pb2  # added
from scheduler import MyScheduler

TERMINAL = {mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED,
            mesos_pb2.TASK_ERROR, mesos_pb2.TASK_LOST, mesos_pb2.TASK_DROPPED,
            mesos_pb2.TASK_GONE}


class CountingScheduler(MyScheduler):  # added: report every update, stop after N tasks
    def __init__(self, executor, tasks):
        MyScheduler.__init__(self, executor)
        self.wanted = tasks
        self.finished = 0
        self.ended = 0

    def registered(self, driver, frameworkId, masterInfo):
        print("Registered with framework ID {}".format(frameworkId.value), flush=True)

    def statusUpdate(self, driver, update):
        MyScheduler.statusUpdate(self, driver, update)
        line = "Task {} is in state {}".format(update.task_id.value,
                                              mesos_pb2.TaskState.Name(update.state))
        if update.message:
            line += ": " + update.message
        print(line, flush=True)
        if update.state in TERMINAL:
            self.ended += 1
            self.finished += update.state == mesos_pb2.TASK_FINISHED
            if self.ended >= self.wanted:
                driver.stop()

    def error(self, driver, message):
        print("Error: " + message, flush=True)


def executorInfo():  # added: the seed's tasks name no executor
    here = os.path.dirname(os.path.abspath(__file__))
    package = os.path.dirname(os.path.dirname(os.path.abspath(mesos.__file__)))
    executor = mesos_pb2.ExecutorInfo()
    executor.executor_id.value = "default"
    executor.name = "seed example executor (Python)"
    executor.command.value = "PYTHONPATH={} exec {} {}".format(
        shlex.quote(package), shlex.quote(sys.executable),
        shlex.quote(os.path.join(here, "executor.py")))
    if "EXAMPLE_TASK_SECONDS" in os.environ:  # executors get the agent's environment
        variable = executor.command.environment.variables.add()
        variable.name = "EXAMPLE_TASK_SECONDS"
        variable.value = os.environ["EXAMPLE_TASK_SECONDS"]
    return executor


parser = argparse.ArgumentParser(description="The seed's example framework")  # added
parser.add_argument("master", nargs="?", default="zk://localhost:2181/mesos")
parser.add_argument("--tasks", type=int, default=2, help="stop after this many tasks end")
parser.add_argument("--as-written", action="store_true",
                    help="launch the seed's tasks unchanged: no executor, TASK_ERROR")
args = parser.parse_args()
logging.basicConfig(level=logging.DEBUG, format="%(message)s")

framework = mesos_pb2.FrameworkInfo()
framework.user = ""
framework.name = "MyFramework"

scheduler = CountingScheduler(None if args.as_written else executorInfo(), args.tasks)
driver = mesos.native.MesosSchedulerDriver(
    scheduler,
    framework,
    args.master  # seed: "zk://localhost:2181/mesos", assumes running on the master
)

status = driver.run()
sys.exit(0 if status == mesos_pb2.DRIVER_STOPPED and scheduler.finished == scheduler.ended
         else 1)
