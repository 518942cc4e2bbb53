"""The framework-facing interfaces of the classic Mesos Python API.

A framework subclasses Scheduler (and Executor for a custom executor), overriding the
callbacks it cares about; the others do nothing. Messages are mesos.interface.mesos_pb2
objects. A driver (mesos.native) implements SchedulerDriver / ExecutorDriver.
"""


class Scheduler(object):
    """Callbacks a scheduler driver makes, one at a time, from its own thread."""

    def registered(self, driver, frameworkId, masterInfo):
        """The master accepted the framework: frameworkId is its id from now on."""

    def reregistered(self, driver, masterInfo):
        """Subscribed again after a disconnection or a master failover."""

    def disconnected(self, driver):
        """The connection to the master is lost; the driver reconnects."""

    def resourceOffers(self, driver, offers):
        """New offers (a list of mesos_pb2.Offer) to launch tasks on or decline."""

    def offerRescinded(self, driver, offerId):
        """An offer is no longer valid."""

    def statusUpdate(self, driver, status):
        """A task changed state (mesos_pb2.TaskStatus)."""

    def frameworkMessage(self, driver, executorId, slaveId, message):
        """An executor sent the scheduler `message` (bytes)."""

    def slaveLost(self, driver, slaveId):
        """An agent is gone."""

    def executorLost(self, driver, executorId, slaveId, status):
        """An executor exited with wait status `status`."""

    def error(self, driver, message):
        """An unrecoverable error; the driver is aborted."""


class SchedulerDriver(object):
    """What a scheduler calls; every method returns a mesos_pb2.Status value."""

    def start(self):
        raise NotImplementedError()

    def stop(self, failover=False):
        raise NotImplementedError()

    def abort(self):
        raise NotImplementedError()

    def join(self):
        raise NotImplementedError()

    def run(self):
        raise NotImplementedError()

    def requestResources(self, requests):
        raise NotImplementedError()

    def launchTasks(self, offerIds, tasks, filters=None):
        raise NotImplementedError()

    def killTask(self, taskId):
        raise NotImplementedError()

    def acceptOffers(self, offerIds, operations, filters=None):
        raise NotImplementedError()

    def declineOffer(self, offerId, filters=None):
        raise NotImplementedError()

    def reviveOffers(self):
        raise NotImplementedError()

    def suppressOffers(self):
        raise NotImplementedError()

    def acknowledgeStatusUpdate(self, status):
        raise NotImplementedError()

    def sendFrameworkMessage(self, executorId, slaveId, data):
        raise NotImplementedError()

    def reconcileTasks(self, tasks):
        raise NotImplementedError()


class Executor(object):
    """Callbacks an executor driver makes, one at a time, from its own thread."""

    def registered(self, driver, executorInfo, frameworkInfo, slaveInfo):
        """The executor is subscribed to its agent."""

    def reregistered(self, driver, slaveInfo):
        """Subscribed again after the agent restarted."""

    def disconnected(self, driver):
        """The connection to the agent is lost."""

    def launchTask(self, driver, task):
        """Run `task` (mesos_pb2.TaskInfo); report its states with sendStatusUpdate."""

    def killTask(self, driver, taskId):
        """Kill a task and report TASK_KILLED."""

    def frameworkMessage(self, driver, message):
        """The scheduler sent the executor `message` (bytes)."""

    def shutdown(self, driver):
        """Stop every task; the driver stops afterwards."""

    def error(self, driver, message):
        """An unrecoverable error."""


class ExecutorDriver(object):
    """What an executor calls; every method returns a mesos_pb2.Status value."""

    def start(self):
        raise NotImplementedError()

    def stop(self):
        raise NotImplementedError()

    def abort(self):
        raise NotImplementedError()

    def join(self):
        raise NotImplementedError()

    def run(self):
        raise NotImplementedError()

    def sendStatusUpdate(self, status):
        raise NotImplementedError()

    def sendFrameworkMessage(self, data):
        raise NotImplementedError()
