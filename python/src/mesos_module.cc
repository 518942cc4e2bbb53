// mesos.native._mesos: the C++ drivers for Python. Messages cross as serialized bytes (the
// Python side converts with mesos_pb2). Driver calls release the GIL; callbacks take it, and a
// callback that raises prints its traceback and aborts the driver, as Mesos's bindings do.

#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "plateau/executor.h"
#include "plateau/scheduler.h"

namespace py = pybind11;

namespace {

template <class M>
M parse(const std::string& bytes) {
  M message;
  message.ParsePartialFromString(bytes);
  return message;
}

template <class M>
std::vector<M> parseAll(const std::vector<std::string>& items) {
  std::vector<M> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    out.push_back(parse<M>(item));
  }
  return out;
}

py::bytes bytesOf(const google::protobuf::Message& message) {
  return py::bytes(message.SerializePartialAsString());
}

// Calls `proxy.name(args...)` with the GIL held; on a Python exception prints it and runs
// `on_error` (which aborts the driver).
template <class OnError, class... Make>
void callPython(const py::object& proxy, const char* name, OnError on_error, Make&&... make) {
  py::gil_scoped_acquire gil;
  try {
    proxy.attr(name)(make()...);
  } catch (py::error_already_set& e) {
    e.restore();
    PyErr_Print();
    on_error();
  }
}

// Waits for `join_for` in slices with the GIL released, so Ctrl-C still reaches Python.
template <class JoinFor>
int joinInterruptibly(JoinFor join_for) {
  while (true) {
    mesos::Status status;
    {
      py::gil_scoped_release release;
      status = join_for(100);
    }
    if (status != mesos::DRIVER_RUNNING) {
      return status;
    }
    if (PyErr_CheckSignals() != 0) {
      throw py::error_already_set();
    }
  }
}

class PyScheduler : public mesos::Scheduler {
 public:
  explicit PyScheduler(py::object proxy) : proxy_(std::move(proxy)) {}
  void releaseProxy() { proxy_ = py::object(); }

  void registered(mesos::SchedulerDriver* d, const mesos::FrameworkID& id,
                  const mesos::MasterInfo& info) override {
    call(
        d, "registered", [&] { return bytesOf(id); }, [&] { return bytesOf(info); });
  }
  void reregistered(mesos::SchedulerDriver* d, const mesos::MasterInfo& info) override {
    call(d, "reregistered", [&] { return bytesOf(info); });
  }
  void disconnected(mesos::SchedulerDriver* d) override { call(d, "disconnected"); }
  void resourceOffers(mesos::SchedulerDriver* d, const std::vector<mesos::Offer>& offers) override {
    call(d, "resourceOffers", [&] {
      py::list list;
      for (const auto& offer : offers) {
        list.append(bytesOf(offer));
      }
      return list;
    });
  }
  void offerRescinded(mesos::SchedulerDriver* d, const mesos::OfferID& id) override {
    call(d, "offerRescinded", [&] { return bytesOf(id); });
  }
  void statusUpdate(mesos::SchedulerDriver* d, const mesos::TaskStatus& status) override {
    call(d, "statusUpdate", [&] { return bytesOf(status); });
  }
  void frameworkMessage(mesos::SchedulerDriver* d, const mesos::ExecutorID& executor_id,
                        const mesos::SlaveID& slave_id, const std::string& data) override {
    call(
        d, "frameworkMessage", [&] { return bytesOf(executor_id); },
        [&] { return bytesOf(slave_id); }, [&] { return py::bytes(data); });
  }
  void slaveLost(mesos::SchedulerDriver* d, const mesos::SlaveID& id) override {
    call(d, "slaveLost", [&] { return bytesOf(id); });
  }
  void executorLost(mesos::SchedulerDriver* d, const mesos::ExecutorID& executor_id,
                    const mesos::SlaveID& slave_id, int status) override {
    call(
        d, "executorLost", [&] { return bytesOf(executor_id); }, [&] { return bytesOf(slave_id); },
        [&] { return py::int_(status); });
  }
  void error(mesos::SchedulerDriver* d, const std::string& message) override {
    call(d, "error", [&] { return py::str(message); });
  }

 private:
  template <class... Make>
  void call(mesos::SchedulerDriver* d, const char* name, Make&&... make) {
    callPython(
        proxy_, name, [d] { d->abort(); }, std::forward<Make>(make)...);
  }

  py::object proxy_;
};

class SchedulerDriverImpl {
 public:
  // `credential`: a serialized mesos.Credential, or "" for none.
  SchedulerDriverImpl(py::object proxy, const std::string& framework, const std::string& master,
                      bool implicit_acknowledgements, const std::string& credential)
      : scheduler_(std::make_unique<PyScheduler>(std::move(proxy))),
        driver_(credential.empty()
                    ? std::make_unique<mesos::MesosSchedulerDriver>(
                          scheduler_.get(), parse<mesos::FrameworkInfo>(framework), master,
                          implicit_acknowledgements)
                    : std::make_unique<mesos::MesosSchedulerDriver>(
                          scheduler_.get(), parse<mesos::FrameworkInfo>(framework), master,
                          implicit_acknowledgements, parse<mesos::Credential>(credential))) {}
  ~SchedulerDriverImpl() { close(); }

  // Stops the threads (no teardown) and drops the Python objects; the GIL is held on entry.
  void close() {
    if (driver_) {
      py::gil_scoped_release release;
      driver_.reset();
    }
    if (scheduler_) {
      scheduler_->releaseProxy();
    }
  }

  mesos::MesosSchedulerDriver& d() {
    if (!driver_) {
      throw std::runtime_error("the driver is closed");
    }
    return *driver_;
  }

  int join() {
    auto* driver = &d();
    return joinInterruptibly([driver](int ms) { return driver->joinFor(ms); });
  }
  int run() {
    int status;
    {
      py::gil_scoped_release release;
      status = d().start();
    }
    return status != mesos::DRIVER_RUNNING ? status : join();
  }

  std::unique_ptr<PyScheduler> scheduler_;
  std::unique_ptr<mesos::MesosSchedulerDriver> driver_;
};

class PyExecutor : public mesos::Executor {
 public:
  explicit PyExecutor(py::object proxy) : proxy_(std::move(proxy)) {}
  void releaseProxy() { proxy_ = py::object(); }

  void registered(mesos::ExecutorDriver* d, const mesos::ExecutorInfo& executor,
                  const mesos::FrameworkInfo& framework, const mesos::SlaveInfo& slave) override {
    call(
        d, "registered", [&] { return bytesOf(executor); }, [&] { return bytesOf(framework); },
        [&] { return bytesOf(slave); });
  }
  void reregistered(mesos::ExecutorDriver* d, const mesos::SlaveInfo& slave) override {
    call(d, "reregistered", [&] { return bytesOf(slave); });
  }
  void disconnected(mesos::ExecutorDriver* d) override { call(d, "disconnected"); }
  void launchTask(mesos::ExecutorDriver* d, const mesos::TaskInfo& task) override {
    call(d, "launchTask", [&] { return bytesOf(task); });
  }
  void killTask(mesos::ExecutorDriver* d, const mesos::TaskID& id) override {
    call(d, "killTask", [&] { return bytesOf(id); });
  }
  void frameworkMessage(mesos::ExecutorDriver* d, const std::string& data) override {
    call(d, "frameworkMessage", [&] { return py::bytes(data); });
  }
  void shutdown(mesos::ExecutorDriver* d) override { call(d, "shutdown"); }
  void error(mesos::ExecutorDriver* d, const std::string& message) override {
    call(d, "error", [&] { return py::str(message); });
  }

 private:
  template <class... Make>
  void call(mesos::ExecutorDriver* d, const char* name, Make&&... make) {
    callPython(
        proxy_, name, [d] { d->abort(); }, std::forward<Make>(make)...);
  }

  py::object proxy_;
};

class ExecutorDriverImpl {
 public:
  explicit ExecutorDriverImpl(py::object proxy)
      : executor_(std::make_unique<PyExecutor>(std::move(proxy))),
        driver_(std::make_unique<mesos::MesosExecutorDriver>(executor_.get())) {}
  ~ExecutorDriverImpl() { close(); }

  void close() {
    if (driver_) {
      py::gil_scoped_release release;
      driver_.reset();
    }
    if (executor_) {
      executor_->releaseProxy();
    }
  }

  mesos::MesosExecutorDriver& d() {
    if (!driver_) {
      throw std::runtime_error("the driver is closed");
    }
    return *driver_;
  }

  int join() {
    auto* driver = &d();
    return joinInterruptibly([driver](int ms) { return driver->joinFor(ms); });
  }
  int run() {
    int status;
    {
      py::gil_scoped_release release;
      status = d().start();
    }
    return status != mesos::DRIVER_RUNNING ? status : join();
  }

  std::unique_ptr<PyExecutor> executor_;
  std::unique_ptr<mesos::MesosExecutorDriver> driver_;
};

}  // namespace

PYBIND11_MODULE(_mesos, m) {
  m.doc() = "Plateau's C++ scheduler and executor drivers (use mesos.native instead)";
  using Release = py::call_guard<py::gil_scoped_release>;
  using S = SchedulerDriverImpl;
  py::class_<S>(m, "SchedulerDriverImpl")
      .def(py::init<py::object, std::string, std::string, bool, std::string>())
      .def("close", &S::close)
      .def(
          "start", [](S& s) { return static_cast<int>(s.d().start()); }, Release())
      .def(
          "stop", [](S& s, bool failover) { return static_cast<int>(s.d().stop(failover)); },
          Release())
      .def(
          "abort", [](S& s) { return static_cast<int>(s.d().abort()); }, Release())
      .def("join", &S::join)
      .def("run", &S::run)
      .def(
          "requestResources",
          [](S& s, const std::vector<std::string>& requests) {
            return static_cast<int>(s.d().requestResources(parseAll<mesos::Request>(requests)));
          },
          Release())
      .def(
          "launchTasks",
          [](S& s, const std::vector<std::string>& offer_ids, const std::vector<std::string>& tasks,
             const std::string& filters) {
            return static_cast<int>(s.d().launchTasks(parseAll<mesos::OfferID>(offer_ids),
                                                      parseAll<mesos::TaskInfo>(tasks),
                                                      parse<mesos::Filters>(filters)));
          },
          Release())
      .def(
          "killTask",
          [](S& s, const std::string& id) {
            return static_cast<int>(s.d().killTask(parse<mesos::TaskID>(id)));
          },
          Release())
      .def(
          "acceptOffers",
          [](S& s, const std::vector<std::string>& offer_ids,
             const std::vector<std::string>& operations, const std::string& filters) {
            return static_cast<int>(s.d().acceptOffers(
                parseAll<mesos::OfferID>(offer_ids), parseAll<mesos::Offer::Operation>(operations),
                parse<mesos::Filters>(filters)));
          },
          Release())
      .def(
          "declineOffer",
          [](S& s, const std::string& id, const std::string& filters) {
            return static_cast<int>(
                s.d().declineOffer(parse<mesos::OfferID>(id), parse<mesos::Filters>(filters)));
          },
          Release())
      .def(
          "reviveOffers", [](S& s) { return static_cast<int>(s.d().reviveOffers()); }, Release())
      .def(
          "suppressOffers", [](S& s) { return static_cast<int>(s.d().suppressOffers()); },
          Release())
      .def(
          "acknowledgeStatusUpdate",
          [](S& s, const std::string& status) {
            return static_cast<int>(
                s.d().acknowledgeStatusUpdate(parse<mesos::TaskStatus>(status)));
          },
          Release())
      .def(
          "sendFrameworkMessage",
          [](S& s, const std::string& executor_id, const std::string& slave_id,
             const std::string& data) {
            return static_cast<int>(s.d().sendFrameworkMessage(
                parse<mesos::ExecutorID>(executor_id), parse<mesos::SlaveID>(slave_id), data));
          },
          Release())
      .def(
          "reconcileTasks",
          [](S& s, const std::vector<std::string>& statuses) {
            return static_cast<int>(s.d().reconcileTasks(parseAll<mesos::TaskStatus>(statuses)));
          },
          Release());

  using E = ExecutorDriverImpl;
  py::class_<E>(m, "ExecutorDriverImpl")
      .def(py::init<py::object>())
      .def("close", &E::close)
      .def(
          "start", [](E& e) { return static_cast<int>(e.d().start()); }, Release())
      .def(
          "stop", [](E& e) { return static_cast<int>(e.d().stop()); }, Release())
      .def(
          "abort", [](E& e) { return static_cast<int>(e.d().abort()); }, Release())
      .def("join", &E::join)
      .def("run", &E::run)
      .def(
          "sendStatusUpdate",
          [](E& e, const std::string& status) {
            return static_cast<int>(e.d().sendStatusUpdate(parse<mesos::TaskStatus>(status)));
          },
          Release())
      .def(
          "sendFrameworkMessage",
          [](E& e, const std::string& data) {
            return static_cast<int>(e.d().sendFrameworkMessage(data));
          },
          Release());
}
