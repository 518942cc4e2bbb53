#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "client/convert.h"
#include "plateau/executor.h"
#include "plateau/executor_client.h"

namespace mesos {

namespace v1exec = mesos::v1::executor;
using plateau::client::convert;

struct MesosExecutorDriver::Impl {
  MesosExecutorDriver* driver = nullptr;
  Executor* executor = nullptr;

  std::mutex mutex;  // guards status, client, agent_id and random
  std::condition_variable changed;
  Status status = DRIVER_NOT_STARTED;
  std::unique_ptr<plateau::client::ExecutorClient> client;
  std::string agent_id;
  std::string executor_id;
  std::mt19937_64 random{std::random_device{}()};

  bool registered = false;  // callback thread only

  bool running() {
    std::lock_guard lock(mutex);
    return status == DRIVER_RUNNING;
  }

  void finish(Status final_status) {
    std::lock_guard lock(mutex);
    if (status == DRIVER_RUNNING) {
      status = final_status;
      if (client) {
        client->stop();
      }
      changed.notify_all();
    }
  }

  Status send(v1exec::Call call) {
    std::lock_guard lock(mutex);
    if (status != DRIVER_RUNNING) {
      return status;
    }
    client->send(std::move(call));
    return status;
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

MesosExecutorDriver::~MesosExecutorDriver() {
  std::unique_ptr<plateau::client::ExecutorClient> client;
  {
    std::lock_guard lock(impl_->mutex);
    client = std::move(impl_->client);
    if (impl_->status == DRIVER_RUNNING) {
      impl_->status = DRIVER_STOPPED;
    }
    impl_->changed.notify_all();
  }
  client.reset();
}

Status MesosExecutorDriver::start() {
  std::unique_lock lock(impl_->mutex);
  if (impl_->status != DRIVER_NOT_STARTED) {
    return impl_->status;
  }
  auto fail = [&](const std::string& why) {
    impl_->status = DRIVER_ABORTED;
    impl_->changed.notify_all();
    lock.unlock();
    impl_->executor->error(this, why);
    return DRIVER_ABORTED;
  };
  auto options = plateau::client::ExecutorOptions::fromEnvironment();
  if (!options) {
    return fail(options.error());
  }
  impl_->executor_id = options->executor_id;
  Impl* impl = impl_.get();
  auto client = plateau::client::ExecutorClient::create(
      std::move(*options),
      {.connected = nullptr,
       .disconnected =
           [impl](const std::string&) {
             if (impl->running()) {
               impl->executor->disconnected(impl->driver);
             }
           },
       .lost =
           [impl](const std::string&) {
             // Without the agent nothing can reach the tasks: shut them down and end.
             if (impl->running()) {
               impl->executor->disconnected(impl->driver);
               impl->executor->shutdown(impl->driver);
               impl->finish(DRIVER_ABORTED);
             }
           },
       .received = [impl](const v1exec::Event& event) { impl->onEvent(event); }});
  if (!client) {
    return fail(client.error());
  }
  impl_->client = std::move(*client);
  impl_->status = DRIVER_RUNNING;
  return impl_->status;
}

Status MesosExecutorDriver::stop() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->status != DRIVER_RUNNING && impl_->status != DRIVER_ABORTED) {
    return impl_->status;
  }
  bool aborted = impl_->status == DRIVER_ABORTED;
  if (impl_->client) {
    impl_->client->stop();
  }
  impl_->status = DRIVER_STOPPED;
  impl_->changed.notify_all();
  return aborted ? DRIVER_ABORTED : DRIVER_STOPPED;
}

Status MesosExecutorDriver::abort() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->status != DRIVER_RUNNING) {
    return impl_->status;
  }
  impl_->status = DRIVER_ABORTED;
  impl_->changed.notify_all();
  return impl_->status;
}

Status MesosExecutorDriver::join() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [this] { return impl_->status != DRIVER_RUNNING; });
  return impl_->status;
}

Status MesosExecutorDriver::joinFor(int milliseconds) {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_for(lock, std::chrono::milliseconds(milliseconds),
                          [this] { return impl_->status != DRIVER_RUNNING; });
  return impl_->status;
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
    update->set_timestamp(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
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
