#include <chrono>
#include <cstring>
#include <expected>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "client/convert.h"
#include "client/driver_lifecycle.h"
#include "plateau/executor.h"
#include "plateau/executor_client.h"
#include "runtime/clock.h"

namespace mesos {

namespace v1exec = mesos::v1::executor;
using plateau::client::convert;

struct MesosExecutorDriver::Impl {
  MesosExecutorDriver* driver = nullptr;
  Executor* executor = nullptr;

  const plateau::Clock& clock = plateau::systemClock();
  plateau::client::DriverLifecycle<plateau::client::ExecutorClient> lifecycle;

  std::mutex mutex;  // guards agent_id, executor_id and random
  std::string agent_id;
  std::string executor_id;
  std::mt19937_64 random{std::random_device{}()};

  bool registered = false;  // callback thread only

  bool running() const { return lifecycle.running(); }

  void finish(Status final_status) {
    lifecycle.finish(final_status, [](plateau::client::ExecutorClient& client) { client.stop(); });
  }

  Status send(v1exec::Call call) {
    return lifecycle.whileRunning(
        [&](plateau::client::ExecutorClient& client) { client.send(std::move(call)); });
  }

  std::expected<std::unique_ptr<plateau::client::ExecutorClient>, std::string> createClient() {
    auto options = plateau::client::ExecutorOptions::fromEnvironment();
    if (!options) {
      return std::unexpected(options.error());
    }
    {
      std::lock_guard lock(mutex);
      executor_id = options->executor_id;
    }
    return plateau::client::ExecutorClient::create(
        std::move(*options), {.connected = nullptr,
                              .disconnected =
                                  [this](const std::string&) {
                                    if (running()) {
                                      executor->disconnected(driver);
                                    }
                                  },
                              .lost =
                                  [this](const std::string&) {
                                    // Without the agent nothing can reach the tasks: shut them down
                                    // and end.
                                    if (running()) {
                                      executor->disconnected(driver);
                                      executor->shutdown(driver);
                                      finish(DRIVER_ABORTED);
                                    }
                                  },
                              .received = [this](const v1exec::Event& event) { onEvent(event); }});
  }

  std::string uuid() {
    std::lock_guard lock(mutex);
    std::string bytes(16, '\0');
    for (size_t i = 0; i < 16; i += 8) {
      uint64_t r = random();
      std::memcpy(bytes.data() + i, &r, 8);
    }
    bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
    return bytes;
  }

  void onEvent(const v1exec::Event& event) {
    if (!running()) {
      return;
    }
    switch (event.type()) {
      case v1exec::Event::SUBSCRIBED: {
        const auto& subscribed = event.subscribed();
        {
          std::lock_guard lock(mutex);
          agent_id = subscribed.agent_info().id().value();
        }
        auto slave_info = convert<SlaveInfo>(subscribed.agent_info());
        if (!registered) {
          registered = true;
          executor->registered(driver, convert<ExecutorInfo>(subscribed.executor_info()),
                               convert<FrameworkInfo>(subscribed.framework_info()), slave_info);
        } else {
          executor->reregistered(driver, slave_info);
        }
        break;
      }
      case v1exec::Event::LAUNCH:
        executor->launchTask(driver, convert<TaskInfo>(event.launch().task()));
        break;
      case v1exec::Event::LAUNCH_GROUP:
        for (const auto& task : event.launch_group().task_group().tasks()) {
          executor->launchTask(driver, convert<TaskInfo>(task));
        }
        break;
      case v1exec::Event::KILL:
        executor->killTask(driver, convert<TaskID>(event.kill().task_id()));
        break;
      case v1exec::Event::MESSAGE:
        executor->frameworkMessage(driver, event.message().data());
        break;
      case v1exec::Event::SHUTDOWN:
        executor->shutdown(driver);
        finish(DRIVER_STOPPED);
        break;
      case v1exec::Event::ERROR:
        executor->error(driver, event.error().message());
        break;
      default:
        break;  // ACKNOWLEDGED is the library's; HEARTBEAT needs nothing
    }
  }
};

MesosExecutorDriver::MesosExecutorDriver(Executor* executor) : impl_(std::make_unique<Impl>()) {
  impl_->driver = this;
  impl_->executor = executor;
}

MesosExecutorDriver::~MesosExecutorDriver() { impl_->lifecycle.shutdown(); }

Status MesosExecutorDriver::start() {
  return impl_->lifecycle.start(
      [this] { return impl_->createClient(); },
      [this](const std::string& why) { impl_->executor->error(this, why); });
}

Status MesosExecutorDriver::stop() {
  return impl_->lifecycle.stop([](plateau::client::ExecutorClient& client) { client.stop(); });
}

Status MesosExecutorDriver::abort() { return impl_->lifecycle.abort(); }

Status MesosExecutorDriver::join() { return impl_->lifecycle.join(); }

Status MesosExecutorDriver::joinFor(int milliseconds) {
  return impl_->lifecycle.joinFor(std::chrono::milliseconds(milliseconds));
}

Status MesosExecutorDriver::run() {
  Status status = start();
  return status != DRIVER_RUNNING ? status : join();
}

Status MesosExecutorDriver::sendStatusUpdate(const TaskStatus& status) {
  if (status.state() == TASK_STAGING) {
    if (impl_->running()) {
      impl_->finish(DRIVER_ABORTED);
      impl_->executor->error(this, "Attempted to send TASK_STAGING status update");
    }
    return DRIVER_ABORTED;
  }
  v1exec::Call call;
  call.set_type(v1exec::Call::UPDATE);
  auto* update = call.mutable_update()->mutable_status();
  *update = convert<mesos::v1::TaskStatus>(status);
  update->set_uuid(impl_->uuid());
  update->set_source(mesos::v1::TaskStatus::SOURCE_EXECUTOR);
  if (!update->has_timestamp()) {
    update->set_timestamp(impl_->clock.wallSeconds());
  }
  {
    std::lock_guard lock(impl_->mutex);
    if (!update->has_agent_id() && !impl_->agent_id.empty()) {
      update->mutable_agent_id()->set_value(impl_->agent_id);
    }
    if (!update->has_executor_id() && !impl_->executor_id.empty()) {
      update->mutable_executor_id()->set_value(impl_->executor_id);
    }
  }
  return impl_->send(std::move(call));
}

Status MesosExecutorDriver::sendFrameworkMessage(const std::string& data) {
  v1exec::Call call;
  call.set_type(v1exec::Call::MESSAGE);
  call.mutable_message()->set_data(data);
  return impl_->send(std::move(call));
}

}  // namespace mesos
