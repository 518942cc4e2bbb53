#include "plateau/executor_client.h"
#include "common/task_state.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "client/callback_thread.h"
#include "common/backoff.h"
#include "common/event_stream.h"
#include "common/recordio.h"
#include "common/units.h"
#include "http/client.h"
#include "http/content.h"
#include "runtime/event_loop.h"

namespace plateau::client {

namespace v1 = mesos::v1;
namespace executor = mesos::v1::executor;
using namespace std::chrono_literals;

namespace {

constexpr auto kRequestTimeout = 10s;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::expected<ExecutorOptions, std::string> ExecutorOptions::fromEnvironment() {
  ExecutorOptions o;
  o.framework_id = env("MESOS_FRAMEWORK_ID");
  o.executor_id = env("MESOS_EXECUTOR_ID");
  o.agent = env("MESOS_AGENT_ENDPOINT");
  if (o.framework_id.empty() || o.executor_id.empty() || o.agent.empty()) {
    return std::unexpected(
        "MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID and MESOS_AGENT_ENDPOINT must be set: an "
        "executor is started by an agent");
  }
  o.checkpoint = env("MESOS_CHECKPOINT") == "1";
  if (auto d = parseDuration(env("MESOS_RECOVERY_TIMEOUT")); d) {
    o.recovery_timeout = *d;
  }
  if (auto d = parseDuration(env("MESOS_SUBSCRIPTION_BACKOFF_MAX")); d) {
    o.backoff_max = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  return o;
}

// Members below `loop` are touched on the loop thread only, except where noted.
struct ExecutorClient::Impl : std::enable_shared_from_this<Impl> {
  ExecutorOptions options;
  ExecutorCallbacks callbacks;
  http::Endpoint agent;
  EventLoop loop;
  http::Client client{loop};
  CallbackThread callback_thread;
  std::thread io_thread;
  std::atomic<bool> stopped{false};  // any thread

  bool finished = false;
  std::shared_ptr<http::StreamingCall> stream;
  recordio::Decoder decoder;
  bool subscribed = false;
  bool ever_subscribed = false;
  std::optional<std::chrono::steady_clock::time_point> disconnected_at;
  std::chrono::milliseconds backoff{0};
  EventLoop::TimerId retry_timer = 0;
  std::map<std::string, v1::TaskInfo> tasks;                     // launched, not yet terminal+acked
  std::map<std::string, executor::Call::Update> unacknowledged;  // by uuid
  std::deque<executor::Call> queue;
  bool in_flight = false;

  std::mutex closed_mutex;
  std::condition_variable closed_cv;
  bool closed = false;

  void deliver(std::function<void()> fn) {
    callback_thread.post([self = shared_from_this(), fn = std::move(fn)] {
      if (!self->stopped) {
        fn();
      }
    });
  }

  void subscribe() {
    retry_timer = 0;
    if (finished) {
      return;
    }
    executor::Call call;
    call.set_type(executor::Call::SUBSCRIBE);
    fill(call);
    for (const auto& [id, task] : tasks) {
      *call.mutable_subscribe()->add_unacknowledged_tasks() = task;
    }
    for (const auto& [uuid, update] : unacknowledged) {
      *call.mutable_subscribe()->add_unacknowledged_updates() = update;
    }
    call.mutable_subscribe();
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1/executor",
                                .headers = {{"content-type", http::kProtobufMediaType},
                                            {"accept", http::kProtobufMediaType}},
                                .body = call.SerializeAsString()};
    decoder = recordio::Decoder();
    stream = http::StreamingCall::open(
        loop, agent, std::move(request), kRequestTimeout,
        {.on_head =
             [this](const http::Response& head) {
               if (head.status != 200) {
                 auto old = std::move(stream);
                 old->cancel();
                 onClosed(fmt::format("The agent refused the subscription: HTTP {}", head.status));
               }
             },
         .on_data = [this](std::string_view data) { onData(data); },
         .on_closed = [this](const Status& why) { onClosed(why.message()); }});
  }

  void fill(executor::Call& call) const {
    call.mutable_framework_id()->set_value(options.framework_id);
    call.mutable_executor_id()->set_value(options.executor_id);
  }

  void onData(std::string_view data) {
    auto events = recordio::decodeEvents<executor::Event>(decoder, data);
    if (!events) {
      auto old = std::move(stream);
      old->cancel();
      return onClosed(events.error().message());
    }
    for (const auto& event : *events) {
      switch (event.type()) {
        case executor::Event::SUBSCRIBED:
          subscribed = true;
          ever_subscribed = true;
          disconnected_at.reset();
          backoff = 0ms;
          deliver([this] {
            if (callbacks.connected) {
              callbacks.connected();
            }
          });
          pump();
          break;
        case executor::Event::LAUNCH:
          tasks[event.launch().task().task_id().value()] = event.launch().task();
          break;
        case executor::Event::LAUNCH_GROUP:
          for (const auto& task : event.launch_group().task_group().tasks()) {
            tasks[task.task_id().value()] = task;
          }
          break;
        case executor::Event::ACKNOWLEDGED: {
          auto it = unacknowledged.find(event.acknowledged().uuid());
          if (it != unacknowledged.end()) {
            if (isTerminal(it->second.status().state())) {
              tasks.erase(it->second.status().task_id().value());
            }
            unacknowledged.erase(it);
          }
          break;
        }
        default:
          break;
      }
      deliver([this, event = std::move(event)] {
        if (callbacks.received) {
          callbacks.received(event);
        }
      });
    }
  }

  void onClosed(const std::string& why) {
    stream.reset();
    bool was_subscribed = subscribed;
    subscribed = false;
    if (finished) {
      return markClosed();
    }
    auto now = std::chrono::steady_clock::now();
    if (!disconnected_at) {
      disconnected_at = now;
    }
    bool recoverable = options.checkpoint && now - *disconnected_at < options.recovery_timeout;
    // Before the first subscription the agent may simply not be ready yet.
    if (!recoverable && ever_subscribed) {
      finished = true;
      deliver([this, why] {
        if (callbacks.lost) {
          callbacks.lost(why);
        }
      });
      return markClosed();
    }
    if (was_subscribed) {
      deliver([this, why] {
        if (callbacks.disconnected) {
          callbacks.disconnected(why);
        }
      });
    }
    if (!ever_subscribed && now - *disconnected_at > 60s) {
      finished = true;
      deliver([this, why] {
        if (callbacks.lost) {
          callbacks.lost("Could not subscribe to the agent: " + why);
        }
      });
      return markClosed();
    }
    backoff = nextBackoff(backoff, std::chrono::milliseconds(100), options.backoff_max);
    retry_timer = loop.after(backoff, [this] { subscribe(); });
  }

  void enqueue(executor::Call call) {
    fill(call);
    if (call.type() == executor::Call::UPDATE) {
      unacknowledged[call.update().status().uuid()] = call.update();
    }
    queue.push_back(std::move(call));
    pump();
  }

  void pump() {
    if (in_flight || queue.empty() || !subscribed) {
      return;
    }
    executor::Call call = std::move(queue.front());
    queue.pop_front();
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1/executor",
                                .headers = {{"content-type", http::kProtobufMediaType},
                                            {"accept", http::kProtobufMediaType}},
                                .body = call.SerializeAsString()};
    in_flight = true;
    client.fetch(agent, std::move(request), kRequestTimeout,
                 [this, type = call.type()](Result<http::Response> r) {
                   in_flight = false;
                   if (!r) {
                     fmt::print(stderr, "plateau executor library: {} call failed: {}\n",
                                executor::Call::Type_Name(type), r.error().message());
                   } else if (r->status != 202) {
                     fmt::print(stderr, "plateau executor library: {} call refused: HTTP {} {}\n",
                                executor::Call::Type_Name(type), r->status, r->body);
                   }
                   pump();
                 });
  }

  void drainThenClose() {
    if (!subscribed || (queue.empty() && !in_flight)) {
      return closeNow();
    }
    loop.after(10ms, [this] { drainThenClose(); });
  }

  void closeNow() {
    finished = true;
    if (retry_timer != 0) {
      loop.cancel(retry_timer);
      retry_timer = 0;
    }
    if (stream) {
      auto old = std::move(stream);
      old->cancel();
    }
    markClosed();
  }

  void markClosed() {
    {
      std::lock_guard lock(closed_mutex);
      closed = true;
    }
    closed_cv.notify_all();
  }
};

ExecutorClient::ExecutorClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<ExecutorClient>, std::string> ExecutorClient::create(
    ExecutorOptions options, ExecutorCallbacks callbacks) {
  auto agent = http::Endpoint::parse(options.agent, 5051);
  if (!agent) {
    return std::unexpected(
        fmt::format("Invalid agent endpoint '{}': {}", options.agent, agent.error().message()));
  }
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  impl->agent = *agent;
  impl->loop.post([raw = impl.get()] { raw->subscribe(); });
  impl->io_thread = std::thread([raw = impl.get()] { raw->loop.run(); });
  return std::unique_ptr<ExecutorClient>(new ExecutorClient(std::move(impl)));
}

ExecutorClient::~ExecutorClient() {
  stop();
  {
    std::unique_lock lock(impl_->closed_mutex);
    impl_->closed_cv.wait_for(lock, 5s, [this] { return impl_->closed; });
  }
  impl_->loop.stop();
  if (impl_->io_thread.joinable()) {
    impl_->io_thread.join();
  }
  // A callback still running (it may have called stop() itself) holds the state alive; wait for
  // it, so that no user code runs after the client is gone.
  impl_->callback_thread.stopAndWait();
  impl_->stream.reset();
}

void ExecutorClient::send(executor::Call call) {
  impl_->loop.post(
      [impl = impl_.get(), call = std::move(call)]() mutable { impl->enqueue(std::move(call)); });
}

void ExecutorClient::stop() {
  if (impl_->stopped.exchange(true)) {
    return;
  }
  impl_->loop.post([impl = impl_.get()] {
    if (impl->retry_timer != 0) {
      impl->loop.cancel(impl->retry_timer);
      impl->retry_timer = 0;
    }
    impl->drainThenClose();
  });
}

}  // namespace plateau::client
