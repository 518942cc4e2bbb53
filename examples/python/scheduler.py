# The seed's scheduler (section 5.2), as written. Additions fill its gaps and are marked
# "added": the missing `logging` import, and an executor named in each task when one is
# given (without one, tasks carry neither a command nor an executor and the master answers
# each with TASK_ERROR, which is how the seed's scheduler behaves as written).
import logging  # added: statusUpdate logs through it

import mesos.interface
from mesos.interface import mesos_pb2
import mesos.native

class MyScheduler(mesos.interface.Scheduler):
    def __init__(self, executor=None):  # added: the executor to name in each task
        self.taskData = {}
        self.executor = executor  # added

    def resourceOffers(self, driver, offers):
        for offer in offers:
            tasks = []
            offerCpus = 0
            offerMem = 0
            for resource in offer.resources:
                if resource.name == "cpus":
                    offerCpus += resource.scalar.value
                elif resource.name == "mem":
                    offerMem += resource.scalar.value

            if offerCpus < 1 or offerMem < 128:
                continue

            tid = self.taskData.get(offer.id.value, 0)
            self.taskData[offer.id.value] = tid + 1

            task = mesos_pb2.TaskInfo()
            task.task_id.value = str(tid)
            task.slave_id.value = offer.slave_id.value
            task.name = "task {}".format(tid)
            if self.executor is not None:  # added
                task.executor.MergeFrom(self.executor)

            cpus = task.resources.add()
            cpus.name = "cpus"
            cpus.type = mesos_pb2.Value.SCALAR
            cpus.scalar.value = 1

            mem = task.resources.add()
            mem.name = "mem"
            mem.type = mesos_pb2.Value.SCALAR
            mem.scalar.value = 128

            tasks.append(task)

            driver.launchTasks(offer.id, tasks)

    def statusUpdate(self, driver, update):
        logging.debug('Status update TID %s %s',
                      update.task_id.value,
                      mesos_pb2.TaskState.Name(update.state))
