#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "client/convert.h"
#include "client/driver_lifecycle.h"
#include "plateau/scheduler.h"
#include "plateau/scheduler_client.h"
#include "runtime/clock.h"

namespace mesos {

namespace v1sched = mesos::v1::scheduler;
using plateau::client::convert;

namespace {

std::string currentUser() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
    return user;
  }
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    return pw->pw_name;
  }
  return "root";
}

std::string currentHostname() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

}  // namespace

struct MesosSchedulerDriver::Impl {
  MesosSchedulerDriver* driver = nullptr;
  Scheduler* scheduler = nullptr;
  FrameworkInfo framework;
  std::string master;
  std::string principal;  // the Credential given to the constructor ("" for none)
  std::string secret;
  bool implicit_acknowledgements = true;

  const plateau::Clock& clock = plateau::systemClock();
  plateau::client::DriverLifecycle<plateau::client::SchedulerClient> lifecycle;

  bool registered = false;  // callback thread only

  bool running() const { return lifecycle.running(); }

  // Sends `call` when running; returns the driver's state.
  Status send(v1sched::Call call, std::function<void()> dropped = nullptr) {
    return lifecycle.whileRunning([&](plateau::client::SchedulerClient& client) {
      client.send(std::move(call), std::move(dropped));
    });
  }

  void onEvent(const v1sched::Event& event) {
    if (event.type() == v1sched::Event::ERROR) {
      // As Mesos does: abort first, so that calls made from error() do nothing.
      bool was_running = running();
      lifecycle.finish(DRIVER_ABORTED, nullptr);
      if (was_running) {
        scheduler->error(driver, event.error().message());
      }
      return;
    }
    if (!running()) {
      return;
    }
    switch (event.type()) {
      case v1sched::Event::SUBSCRIBED: {
        auto master_info = convert<MasterInfo>(event.subscribed().master_info());
        if (!registered) {
          registered = true;
          scheduler->registered(driver, convert<FrameworkID>(event.subscribed().framework_id()),
                                master_info);
        } else {
          scheduler->reregistered(driver, master_info);
        }
        break;
      }
      case v1sched::Event::OFFERS: {
        auto offers = plateau::client::convertAll<Offer>(event.offers().offers());
        if (!offers.empty()) {
          scheduler->resourceOffers(driver, offers);
        }
        break;
      }
      case v1sched::Event::RESCIND:
        scheduler->offerRescinded(driver, convert<OfferID>(event.rescind().offer_id()));
        break;
      case v1sched::Event::UPDATE: {
        auto status = convert<TaskStatus>(event.update().status());
        scheduler->statusUpdate(driver, status);
        if (implicit_acknowledgements && status.has_uuid() && running()) {
          (void)acknowledge(status);
        }
        break;
      }
      case v1sched::Event::MESSAGE:
        scheduler->frameworkMessage(driver, convert<ExecutorID>(event.message().executor_id()),
                                    convert<SlaveID>(event.message().agent_id()),
                                    event.message().data());
        break;
      case v1sched::Event::FAILURE: {
        const auto& failure = event.failure();
        auto slave_id = convert<SlaveID>(failure.agent_id());
        if (failure.has_executor_id()) {
          scheduler->executorLost(driver, convert<ExecutorID>(failure.executor_id()), slave_id,
                                  failure.has_status() ? failure.status() : -1);
        } else {
          scheduler->slaveLost(driver, slave_id);
        }
        break;
      }
      default:
        break;  // HEARTBEAT, and events the classic API has no callback for
    }
  }

  void onDisconnected() {
    if (running() && registered) {
      scheduler->disconnected(driver);
    }
  }

  Status acknowledge(const TaskStatus& status) {
    v1sched::Call call;
    call.set_type(v1sched::Call::ACKNOWLEDGE);
    auto* ack = call.mutable_acknowledge();
    ack->mutable_agent_id()->set_value(status.slave_id().value());
    ack->mutable_task_id()->set_value(status.task_id().value());
    ack->set_uuid(status.uuid());
    return send(std::move(call));
  }

  // Mesos answers tasks launched while disconnected with TASK_LOST from the driver itself.
  void lostInFlight(const std::vector<TaskInfo>& tasks) {
    for (const auto& task : tasks) {
      if (!running()) {
        return;
      }
      TaskStatus status;
      *status.mutable_task_id() = task.task_id();
      *status.mutable_slave_id() = task.slave_id();
      status.set_state(TASK_LOST);
      status.set_source(TaskStatus::SOURCE_MASTER);
      status.set_reason(TaskStatus::REASON_MASTER_DISCONNECTED);
      status.set_message("Master disconnected");
      status.set_timestamp(clock.wallSeconds());
      scheduler->statusUpdate(driver, status);
    }
  }
};

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master)
    : MesosSchedulerDriver(scheduler, framework, master, true) {}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master, const Credential& credential)
    : MesosSchedulerDriver(scheduler, framework, master, true) {
  impl_->principal = credential.principal();
  impl_->secret = credential.secret();
}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master, bool implicit,
                                           const Credential& credential)
    : MesosSchedulerDriver(scheduler, framework, master, implicit) {
  impl_->principal = credential.principal();
  impl_->secret = credential.secret();
}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master, bool implicit)
    : impl_(std::make_unique<Impl>()) {
  impl_->driver = this;
  impl_->scheduler = scheduler;
  impl_->framework = framework;
  impl_->master = master;
  impl_->implicit_acknowledgements = implicit;
  if (impl_->framework.user().empty()) {
    impl_->framework.set_user(currentUser());
  }
  if (impl_->framework.hostname().empty()) {
    impl_->framework.set_hostname(currentHostname());
  }
}

MesosSchedulerDriver::~MesosSchedulerDriver() { impl_->lifecycle.shutdown(); }

Status MesosSchedulerDriver::start() {
  Impl* impl = impl_.get();
  auto create = [impl] {
    return plateau::client::SchedulerClient::create(
        {.master = impl->master,
         .framework = convert<mesos::v1::FrameworkInfo>(impl->framework),
         .principal = impl->principal,
         .secret = impl->secret},
        {.connected = nullptr,
         .disconnected = [impl](const std::string&) { impl->onDisconnected(); },
         .received = [impl](const v1sched::Event& event) { impl->onEvent(event); }});
  };
  return impl_->lifecycle.start(create, [this](const std::string& why) {
    impl_->scheduler->error(
        this, fmt::format("Failed to create a master detector for '{}': {}", impl_->master, why));
  });
}

Status MesosSchedulerDriver::stop(bool failover) {
  return impl_->lifecycle.stop(
      [failover](plateau::client::SchedulerClient& client) { client.stop(!failover); });
}

Status MesosSchedulerDriver::abort() { return impl_->lifecycle.abort(); }

Status MesosSchedulerDriver::join() { return impl_->lifecycle.join(); }

Status MesosSchedulerDriver::joinFor(int milliseconds) {
  return impl_->lifecycle.joinFor(std::chrono::milliseconds(milliseconds));
}

Status MesosSchedulerDriver::run() {
  Status status = start();
  return status != DRIVER_RUNNING ? status : join();
}

Status MesosSchedulerDriver::requestResources(const std::vector<Request>& requests) {
  v1sched::Call call;
  call.set_type(v1sched::Call::REQUEST);
  for (const auto& request : requests) {
    *call.mutable_request()->add_requests() = convert<mesos::v1::Request>(request);
  }
  return impl_->send(std::move(call));
}

Status MesosSchedulerDriver::launchTasks(const std::vector<OfferID>& offer_ids,
                                         const std::vector<TaskInfo>& tasks,
                                         const Filters& filters) {
  std::vector<Offer::Operation> operations;
  if (!tasks.empty()) {
    Offer::Operation launch;
    launch.set_type(Offer::Operation::LAUNCH);
    for (const auto& task : tasks) {
      *launch.mutable_launch()->add_task_infos() = task;
    }
    operations.push_back(std::move(launch));
  }
  v1sched::Call call;
  call.set_type(v1sched::Call::ACCEPT);
  for (const auto& id : offer_ids) {
    *call.mutable_accept()->add_offer_ids() = convert<mesos::v1::OfferID>(id);
  }
  for (const auto& op : operations) {
    *call.mutable_accept()->add_operations() = convert<mesos::v1::Offer::Operation>(op);
  }
  *call.mutable_accept()->mutable_filters() = convert<mesos::v1::Filters>(filters);
  Impl* impl = impl_.get();
  return impl_->send(std::move(call), [impl, tasks] { impl->lostInFlight(tasks); });
}

Status MesosSchedulerDriver::launchTasks(const OfferID& offer_id,
                                         const std::vector<TaskInfo>& tasks,
                                         const Filters& filters) {
  return launchTasks(std::vector<OfferID>{offer_id}, tasks, filters);
}

Status MesosSchedulerDriver::killTask(const TaskID& task_id) {
  v1sched::Call call;
  call.set_type(v1sched::Call::KILL);
  *call.mutable_kill()->mutable_task_id() = convert<mesos::v1::TaskID>(task_id);
  return impl_->send(std::move(call));
}

Status MesosSchedulerDriver::acceptOffers(const std::vector<OfferID>& offer_ids,
                                          const std::vector<Offer::Operation>& operations,
                                          const Filters& filters) {
  v1sched::Call call;
  call.set_type(v1sched::Call::ACCEPT);
  std::vector<TaskInfo> tasks;
  for (const auto& id : offer_ids) {
    *call.mutable_accept()->add_offer_ids() = convert<mesos::v1::OfferID>(id);
  }
  for (const auto& op : operations) {
    *call.mutable_accept()->add_operations() = convert<mesos::v1::Offer::Operation>(op);
    if (op.type() == Offer::Operation::LAUNCH) {
      tasks.insert(tasks.end(), op.launch().task_infos().begin(), op.launch().task_infos().end());
    }
  }
  *call.mutable_accept()->mutable_filters() = convert<mesos::v1::Filters>(filters);
  Impl* impl = impl_.get();
  return impl_->send(std::move(call), [impl, tasks] { impl->lostInFlight(tasks); });
}

Status MesosSchedulerDriver::declineOffer(const OfferID& offer_id, const Filters& filters) {
  v1sched::Call call;
  call.set_type(v1sched::Call::DECLINE);
  *call.mutable_decline()->add_offer_ids() = convert<mesos::v1::OfferID>(offer_id);
  *call.mutable_decline()->mutable_filters() = convert<mesos::v1::Filters>(filters);
  return impl_->send(std::move(call));
}

Status MesosSchedulerDriver::reviveOffers() {
  v1sched::Call call;
  call.set_type(v1sched::Call::REVIVE);
  return impl_->send(std::move(call));
}

Status MesosSchedulerDriver::suppressOffers() {
  v1sched::Call call;
  call.set_type(v1sched::Call::SUPPRESS);
  return impl_->send(std::move(call));
}

Status MesosSchedulerDriver::acknowledgeStatusUpdate(const TaskStatus& status) {
  if (impl_->implicit_acknowledgements) {
    fmt::print(stderr, "acknowledgeStatusUpdate: implicit acknowledgements are enabled; ignored\n");
    return impl_->lifecycle.status();
  }
  if (!status.has_uuid()) {
    return impl_->lifecycle.status();  // nothing to acknowledge (master or reconciliation updates)
  }
  return impl_->acknowledge(status);
}

Status MesosSchedulerDriver::sendFrameworkMessage(const ExecutorID& executor_id,
                                                  const SlaveID& slave_id,
                                                  const std::string& data) {
  v1sched::Call call;
  call.set_type(v1sched::Call::MESSAGE);
  auto* message = call.mutable_message();
  *message->mutable_agent_id() = convert<mesos::v1::AgentID>(slave_id);
  *message->mutable_executor_id() = convert<mesos::v1::ExecutorID>(executor_id);
  message->set_data(data);
  return impl_->send(std::move(call));
}

Status MesosSchedulerDriver::reconcileTasks(const std::vector<TaskStatus>& statuses) {
  v1sched::Call call;
  call.set_type(v1sched::Call::RECONCILE);
  auto* reconcile = call.mutable_reconcile();
  for (const auto& status : statuses) {
    auto* task = reconcile->add_tasks();
    task->mutable_task_id()->set_value(status.task_id().value());
    if (status.has_slave_id()) {
      task->mutable_agent_id()->set_value(status.slave_id().value());
    }
  }
  return impl_->send(std::move(call));
}

}  // namespace mesos
