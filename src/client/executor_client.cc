#include "plateau/executor_client.h"

#include <cstdlib>
#include <deque>
#include <map>

#include <fmt/format.h>

#include "client/client_threads.h"
#include "client/master_detector.h"
#include "client/subscription.h"
#include "common/task_state.h"
#include "common/units.h"
#include "http/client.h"
#include "http/content.h"

namespace plateau::client {

namespace v1 = mesos::v1;
namespace executor = mesos::v1::executor;
using namespace std::chrono_literals;

namespace {

// How long an executor keeps trying to reach an agent that has never accepted it.
constexpr auto kFirstSubscriptionWindow = 60s;

http::ClientRequest executorRequest(const executor::Call& call, const std::string& token) {
  http::ClientRequest request{
      .method = "POST",
      .path = "/api/v1/executor",
      .headers = {{"content-type", http::kProtobufMediaType}, {"accept", http::kProtobufMediaType}},
      .body = call.SerializeAsString()};
  if (!token.empty()) {
    request.headers["authorization"] = "Bearer " + token;
  }
  return request;
}

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
  o.authentication_token = env("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
  o.checkpoint = env("MESOS_CHECKPOINT") == "1";
  if (auto d = parseDuration(env("MESOS_RECOVERY_TIMEOUT")); d) {
    o.recovery_timeout = *d;
  }
  if (auto d = parseDuration(env("MESOS_SUBSCRIPTION_BACKOFF_MAX")); d) {
    o.backoff_max = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  return o;
}

// Members below `threads` are touched on the loop thread only.
struct ExecutorClient::Impl : std::enable_shared_from_this<Impl> {
  ExecutorOptions options;
  ExecutorCallbacks callbacks;
  ClientThreads threads;
  std::unique_ptr<MasterDetector> detector;
  std::unique_ptr<Subscription> subscription;
  http::Client client{threads.loop()};

  std::map<std::string, v1::TaskInfo> tasks;                     // launched, not yet terminal+acked
  std::map<std::string, executor::Call::Update> unacknowledged;  // by uuid
  std::deque<executor::Call> queue;
  bool in_flight = false;

  void deliver(std::function<void()> fn) { threads.deliver(shared_from_this(), std::move(fn)); }

  void createSubscription(const http::Endpoint& agent) {
    detector = fixedDetector(threads.loop(), agent);
    // Without checkpointing the executor cannot outlive its connection to the agent; before
    // the first subscription the agent may simply not be ready yet.
    Subscription::Options subscription_options{
        .peer = "agent",
        .reconnect = {.backoff_min = 100ms,
                      .backoff_max = options.backoff_max,
                      .recovery_window = options.checkpoint ? options.recovery_timeout : 0ns,
                      .first_subscription_window = kFirstSubscriptionWindow}};
    subscription = std::make_unique<Subscription>(
        std::move(subscription_options),
        Subscription::Callbacks{
            .request =
                [this] { return executorRequest(subscribeCall(), options.authentication_token); },
            .data = decodeEach<executor::Event>(
                [this](executor::Event& event) { return onEvent(event); }),
            .closed = [this](const Subscription::Closed& closed) { onClosed(closed); }},
        *detector, threads.loop(), threads.loop().clock(), streamsOn(threads.loop()));
  }

  executor::Call subscribeCall() const {
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
    return call;
  }

  void fill(executor::Call& call) const {
    call.mutable_framework_id()->set_value(options.framework_id);
    call.mutable_executor_id()->set_value(options.executor_id);
  }

  bool onEvent(executor::Event& event) {
    switch (event.type()) {
      case executor::Event::SUBSCRIBED:
        subscription->subscribed();
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
      case executor::Event::ACKNOWLEDGED:
        acknowledged(event.acknowledged().uuid());
        break;
      default:
        break;
    }
    deliver([this, event = std::move(event)] {
      if (callbacks.received) {
        callbacks.received(event);
      }
    });
    return true;
  }

  void acknowledged(const std::string& uuid) {
    auto it = unacknowledged.find(uuid);
    if (it == unacknowledged.end()) {
      return;
    }
    if (isTerminal(it->second.status().state())) {
      tasks.erase(it->second.status().task_id().value());
    }
    unacknowledged.erase(it);
  }

  void onClosed(const Subscription::Closed& closed) {
    if (closed.next == Subscription::Next::kNothing) {
      return threads.markClosed();
    }
    bool gave_up = closed.next == Subscription::Next::kGiveUp;
    if (gave_up && subscription->everSubscribed()) {
      deliver([this, why = closed.why] {
        if (callbacks.lost) {
          callbacks.lost(why);
        }
      });
      return threads.markClosed();
    }
    if (closed.was_subscribed) {
      deliver([this, why = closed.why] {
        if (callbacks.disconnected) {
          callbacks.disconnected(why);
        }
      });
    }
    if (gave_up) {
      deliver([this, why = closed.why] {
        if (callbacks.lost) {
          callbacks.lost("Could not subscribe to the agent: " + why);
        }
      });
      threads.markClosed();
    }
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
    if (in_flight || queue.empty() || !subscription->isSubscribed()) {
      return;
    }
    executor::Call call = std::move(queue.front());
    queue.pop_front();
    in_flight = true;
    postCall(client, *subscription->peer(), executorRequest(call, options.authentication_token),
             "executor", executor::Call::Type_Name(call.type()), [this] {
               in_flight = false;
               pump();
             });
  }

  void drainThenClose() {
    if (!subscription->isSubscribed() || (queue.empty() && !in_flight)) {
      return closeNow();
    }
    threads.loop().after(10ms, [this] { drainThenClose(); });
  }

  void closeNow() {
    subscription->close();
    threads.markClosed();
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
  impl->createSubscription(*agent);
  impl->threads.start([raw = impl.get()] { raw->subscription->start(); });
  return std::unique_ptr<ExecutorClient>(new ExecutorClient(std::move(impl)));
}

ExecutorClient::~ExecutorClient() {
  stop();
  impl_->threads.join(5s);
  // Destroy the connections and the detector while nothing runs the loop.
  impl_->subscription.reset();
  impl_->detector.reset();
}

void ExecutorClient::send(executor::Call call) {
  impl_->threads.loop().post(
      [impl = impl_.get(), call = std::move(call)]() mutable { impl->enqueue(std::move(call)); });
}

void ExecutorClient::stop() {
  if (!impl_->threads.stop()) {
    return;
  }
  impl_->threads.loop().post([impl = impl_.get()] { impl->drainThenClose(); });
}

}  // namespace plateau::client
