// plateau-example-framework: a scheduler on the classic driver API. It launches --tasks
// tasks on plateau-example-executor (found beside this binary), one per offer that fits,
// and stops once they have all finished.
//
//   build/bin/plateau-example-framework 127.0.0.1:5050 [tasks]

#include <unistd.h>

#include <climits>
#include <filesystem>
#include <iostream>
#include <string>

#include <plateau/scheduler.h>

namespace {

mesos::Resource scalar(const std::string& name, double value) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

class ExampleScheduler : public mesos::Scheduler {
 public:
  ExampleScheduler(mesos::ExecutorInfo executor, int tasks)
      : executor_(std::move(executor)), wanted_(tasks) {}

  int failed() const { return failed_; }

  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override {
    std::cout << "Registered with framework ID " << id.value() << std::endl;
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(mesos::SchedulerDriver*) override {}

  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override {
    for (const auto& offer : offers) {
      double cpus = 0;
      double mem = 0;
      for (const auto& r : offer.resources()) {
        if (r.name() == "cpus") cpus += r.scalar().value();
        if (r.name() == "mem") mem += r.scalar().value();
      }
      if (launched_ >= wanted_ || cpus < 0.1 || mem < 32) {
        driver->declineOffer(offer.id());
        continue;
      }
      mesos::TaskInfo task;
      task.set_name("example task " + std::to_string(launched_));
      task.mutable_task_id()->set_value(std::to_string(launched_++));
      *task.mutable_slave_id() = offer.slave_id();
      *task.mutable_executor() = executor_;
      *task.add_resources() = scalar("cpus", 0.1);
      *task.add_resources() = scalar("mem", 32);
      task.set_data("finish");
      driver->launchTasks(offer.id(), {task});
    }
  }

  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}

  void statusUpdate(mesos::SchedulerDriver* driver, const mesos::TaskStatus& status) override {
    std::cout << "Task " << status.task_id().value() << " is in state "
              << mesos::TaskState_Name(status.state()) << std::endl;
    if (status.state() == mesos::TASK_RUNNING) {
      return;
    }
    failed_ += status.state() == mesos::TASK_FINISHED ? 0 : 1;
    if (++ended_ == wanted_) {
      driver->stop();
    }
  }

  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string&) override {}
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                    int) override {}
  void error(mesos::SchedulerDriver*, const std::string& message) override {
    std::cerr << "Error: " << message << std::endl;
  }

 private:
  mesos::ExecutorInfo executor_;
  int wanted_;
  int launched_ = 0;
  int ended_ = 0;
  int failed_ = 0;
};

std::string selfDirectory() {
  char path[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::filesystem::path(std::string(path, n)).parent_path().string() : ".";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "Usage: " << argv[0] << " <master> [tasks]" << std::endl;
    return 2;
  }
  int tasks = argc > 2 ? std::stoi(argv[2]) : 3;

  mesos::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("example");
  executor.set_name("plateau example executor (C++)");
  executor.mutable_command()->set_value(selfDirectory() + "/plateau-example-executor");

  mesos::FrameworkInfo framework;
  framework.set_user("");  // the driver fills in the current user
  framework.set_name("Plateau example framework (C++)");

  ExampleScheduler scheduler(executor, tasks);
  mesos::MesosSchedulerDriver driver(&scheduler, framework, argv[1]);
  mesos::Status status = driver.run();
  return status == mesos::DRIVER_STOPPED && scheduler.failed() == 0 ? 0 : 1;
}
