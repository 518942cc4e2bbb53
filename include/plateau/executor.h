#pragma once

// The classic Mesos executor driver API (Executor, ExecutorDriver, MesosExecutorDriver), in
// namespace `mesos` with the unversioned messages, as in Mesos's <mesos/executor.hpp>. It runs
// on Plateau's v1 executor library (plateau/executor_client.h).

#include <memory>
#include <string>

#include <mesos/mesos.pb.h>

namespace mesos {

class ExecutorDriver;

// What an executor implements. Callbacks run one at a time on the driver's callback thread
// (a callback may block, e.g. run a task to completion; the driver keeps its connection).
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void registered(ExecutorDriver* driver, const ExecutorInfo& executorInfo,
                          const FrameworkInfo& frameworkInfo, const SlaveInfo& slaveInfo) = 0;
  virtual void reregistered(ExecutorDriver* driver, const SlaveInfo& slaveInfo) = 0;
  virtual void disconnected(ExecutorDriver* driver) = 0;
  virtual void launchTask(ExecutorDriver* driver, const TaskInfo& task) = 0;
  virtual void killTask(ExecutorDriver* driver, const TaskID& taskId) = 0;
  virtual void frameworkMessage(ExecutorDriver* driver, const std::string& data) = 0;
  // The agent asks the executor to stop its tasks; the driver stops once this returns.
  virtual void shutdown(ExecutorDriver* driver) = 0;
  virtual void error(ExecutorDriver* driver, const std::string& message) = 0;
};

// What an executor calls. Every call returns the driver's state.
class ExecutorDriver {
 public:
  virtual ~ExecutorDriver() = default;
  virtual Status start() = 0;
  virtual Status stop() = 0;
  virtual Status abort() = 0;
  virtual Status join() = 0;
  virtual Status run() = 0;
  // Sent reliably: kept and resent until the agent acknowledges it. TASK_STAGING is refused.
  virtual Status sendStatusUpdate(const TaskStatus& status) = 0;
  virtual Status sendFrameworkMessage(const std::string& data) = 0;
};

// The driver for an executor started by an agent (configured from the MESOS_* environment the
// agent sets). Thread-safe.
class MesosExecutorDriver : public ExecutorDriver {
 public:
  explicit MesosExecutorDriver(Executor* executor);
  // Stops the driver; must not run inside a callback.
  ~MesosExecutorDriver() override;

  Status start() override;
  Status stop() override;
  Status abort() override;
  Status join() override;
  Status run() override;
  Status sendStatusUpdate(const TaskStatus& status) override;
  Status sendFrameworkMessage(const std::string& data) override;

  // Plateau extension: join() for at most `milliseconds`; DRIVER_RUNNING if still running.
  Status joinFor(int milliseconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mesos
