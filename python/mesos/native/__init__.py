"""Native drivers: the Plateau C++ MesosSchedulerDriver / MesosExecutorDriver, wrapped.

Messages cross into C++ as serialized bytes and come back as mesos_pb2 objects, so the
framework sees ordinary protobuf messages. Driver calls release the GIL; callbacks take it.
"""

import atexit
import weakref

from mesos.interface import Executor, ExecutorDriver, Scheduler, SchedulerDriver
from mesos.interface import mesos_pb2

from mesos.native import _mesos

__all__ = ["MesosSchedulerDriver", "MesosExecutorDriver"]

_live_drivers = weakref.WeakSet()


@atexit.register
def _close_drivers():
    # Join the driver threads before the interpreter goes away under them.
    for driver in list(_live_drivers):
        driver._close()


def _ids(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v.SerializeToString() for v in value]
    return [value.SerializeToString()]


def _bytes(message):
    return b"" if message is None else message.SerializeToString()


class _SchedulerProxy(object):
    """Turns the bytes the C++ driver hands over into mesos_pb2 messages."""

    def __init__(self, driver, scheduler):
        self._driver = weakref.ref(driver)
        self._scheduler = scheduler

    def registered(self, framework_id, master_info):
        self._scheduler.registered(self._driver(),
                                   mesos_pb2.FrameworkID.FromString(framework_id),
                                   mesos_pb2.MasterInfo.FromString(master_info))

    def reregistered(self, master_info):
        self._scheduler.reregistered(self._driver(),
                                     mesos_pb2.MasterInfo.FromString(master_info))

    def disconnected(self):
        self._scheduler.disconnected(self._driver())

    def resourceOffers(self, offers):
        self._scheduler.resourceOffers(self._driver(),
                                       [mesos_pb2.Offer.FromString(o) for o in offers])

    def offerRescinded(self, offer_id):
        self._scheduler.offerRescinded(self._driver(), mesos_pb2.OfferID.FromString(offer_id))

    def statusUpdate(self, status):
        self._scheduler.statusUpdate(self._driver(), mesos_pb2.TaskStatus.FromString(status))

    def frameworkMessage(self, executor_id, slave_id, data):
        self._scheduler.frameworkMessage(self._driver(),
                                         mesos_pb2.ExecutorID.FromString(executor_id),
                                         mesos_pb2.SlaveID.FromString(slave_id), data)

    def slaveLost(self, slave_id):
        self._scheduler.slaveLost(self._driver(), mesos_pb2.SlaveID.FromString(slave_id))

    def executorLost(self, executor_id, slave_id, status):
        self._scheduler.executorLost(self._driver(),
                                     mesos_pb2.ExecutorID.FromString(executor_id),
                                     mesos_pb2.SlaveID.FromString(slave_id), status)

    def error(self, message):
        self._scheduler.error(self._driver(), message)


class MesosSchedulerDriver(SchedulerDriver):
    """A scheduler driver connected to the master named by `master`.

    `master` is host:port, http://host:port, file:///path, or zk://host:port/path (once
    Plateau's HA is in). FrameworkInfo.user and .hostname are filled in when empty.
    """

    def __init__(self, scheduler, framework, master, implicitAcknowledgements=1,
                 credential=None):
        # A mesos_pb2.Credential: its principal and secret go with every call (HTTP Basic), as
        # a master with --authenticate_http_frameworks requires.
        self.scheduler = scheduler
        self._impl = _mesos.SchedulerDriverImpl(_SchedulerProxy(self, scheduler),
                                                framework.SerializeToString(), str(master),
                                                bool(implicitAcknowledgements),
                                                credential.SerializeToString()
                                                if credential is not None else b"")
        _live_drivers.add(self)

    def _close(self):
        impl, self._impl = getattr(self, "_impl", None), None
        if impl is not None:
            impl.close()

    def start(self):
        return self._impl.start()

    def stop(self, failover=False):
        return self._impl.stop(bool(failover))

    def abort(self):
        return self._impl.abort()

    def join(self):
        return self._impl.join()

    def run(self):
        return self._impl.run()

    def requestResources(self, requests):
        return self._impl.requestResources([r.SerializeToString() for r in requests])

    def launchTasks(self, offerIds, tasks, filters=None):
        return self._impl.launchTasks(_ids(offerIds), [t.SerializeToString() for t in tasks],
                                      _bytes(filters))

    def killTask(self, taskId):
        return self._impl.killTask(taskId.SerializeToString())

    def acceptOffers(self, offerIds, operations, filters=None):
        return self._impl.acceptOffers(_ids(offerIds),
                                       [o.SerializeToString() for o in operations],
                                       _bytes(filters))

    def declineOffer(self, offerId, filters=None):
        return self._impl.declineOffer(offerId.SerializeToString(), _bytes(filters))

    def reviveOffers(self):
        return self._impl.reviveOffers()

    def suppressOffers(self):
        return self._impl.suppressOffers()

    def acknowledgeStatusUpdate(self, status):
        return self._impl.acknowledgeStatusUpdate(status.SerializeToString())

    def sendFrameworkMessage(self, executorId, slaveId, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._impl.sendFrameworkMessage(executorId.SerializeToString(),
                                               slaveId.SerializeToString(), data)

    def reconcileTasks(self, tasks):
        return self._impl.reconcileTasks([t.SerializeToString() for t in tasks])


class _ExecutorProxy(object):
    def __init__(self, driver, executor):
        self._driver = weakref.ref(driver)
        self._executor = executor

    def registered(self, executor_info, framework_info, slave_info):
        self._executor.registered(self._driver(),
                                  mesos_pb2.ExecutorInfo.FromString(executor_info),
                                  mesos_pb2.FrameworkInfo.FromString(framework_info),
                                  mesos_pb2.SlaveInfo.FromString(slave_info))

    def reregistered(self, slave_info):
        self._executor.reregistered(self._driver(), mesos_pb2.SlaveInfo.FromString(slave_info))

    def disconnected(self):
        self._executor.disconnected(self._driver())

    def launchTask(self, task):
        self._executor.launchTask(self._driver(), mesos_pb2.TaskInfo.FromString(task))

    def killTask(self, task_id):
        self._executor.killTask(self._driver(), mesos_pb2.TaskID.FromString(task_id))

    def frameworkMessage(self, data):
        self._executor.frameworkMessage(self._driver(), data)

    def shutdown(self):
        self._executor.shutdown(self._driver())

    def error(self, message):
        self._executor.error(self._driver(), message)


class MesosExecutorDriver(ExecutorDriver):
    """The driver for an executor an agent started (configured from MESOS_* variables)."""

    def __init__(self, executor):
        self.executor = executor
        self._impl = _mesos.ExecutorDriverImpl(_ExecutorProxy(self, executor))
        _live_drivers.add(self)

    def _close(self):
        impl, self._impl = getattr(self, "_impl", None), None
        if impl is not None:
            impl.close()

    def start(self):
        return self._impl.start()

    def stop(self):
        return self._impl.stop()

    def abort(self):
        return self._impl.abort()

    def join(self):
        return self._impl.join()

    def run(self):
        return self._impl.run()

    def sendStatusUpdate(self, status):
        return self._impl.sendStatusUpdate(status.SerializeToString())

    def sendFrameworkMessage(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._impl.sendFrameworkMessage(data)
