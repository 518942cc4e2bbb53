// plateau-example-executor: a custom executor on the classic driver API. Each task runs
// until killed, or finishes at once when its data is "finish". Framework messages:
// "ping" is answered with "pong", "exit" makes the executor exit with status 3 (which the
// scheduler sees as executorLost).

#include <cstdlib>
#include <iostream>

#include <plateau/executor.h>

namespace {

class ExampleExecutor : public mesos::Executor {
 public:
  void registered(mesos::ExecutorDriver*, const mesos::ExecutorInfo& executor,
                  const mesos::FrameworkInfo&, const mesos::SlaveInfo& slave) override {
    std::cout << "Registered executor " << executor.executor_id().value() << " on "
              << slave.hostname() << std::endl;
  }
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(mesos::ExecutorDriver*) override {}

  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override {
    update(driver, task.task_id(), mesos::TASK_RUNNING);
    if (task.data() == "finish") {
      update(driver, task.task_id(), mesos::TASK_FINISHED);
    }
  }

  void killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) override {
    update(driver, task_id, mesos::TASK_KILLED);
  }

  void frameworkMessage(mesos::ExecutorDriver* driver, const std::string& data) override {
    if (data == "ping") {
      driver->sendFrameworkMessage("pong");
    } else if (data == "exit") {
      std::_Exit(3);
    }
  }

  void shutdown(mesos::ExecutorDriver*) override {}
  void error(mesos::ExecutorDriver*, const std::string& message) override {
    std::cerr << "Executor error: " << message << std::endl;
  }

 private:
  static void update(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id,
                     mesos::TaskState state) {
    mesos::TaskStatus status;
    *status.mutable_task_id() = task_id;
    status.set_state(state);
    driver->sendStatusUpdate(status);
  }
};

}  // namespace

int main() {
  ExampleExecutor executor;
  mesos::MesosExecutorDriver driver(&executor);
  return driver.run() == mesos::DRIVER_STOPPED ? 0 : 1;
}
