#include "plateau/scheduler_client.h"

#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "client/client_threads.h"
#include "client/master_detector.h"
#include "client/subscription.h"
#include "common/base64.h"
#include "common/uuid.h"
#include "http/client.h"
#include "http/content.h"

namespace plateau::client {

namespace scheduler = mesos::v1::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr int kMaxRedirects = 8;

// A call to the scheduler API; calls other than SUBSCRIBE name the stream they belong to.
http::ClientRequest schedulerRequest(const scheduler::Call& call,
                                     std::optional<std::string> stream_id,
                                     const SchedulerOptions& options) {
  http::ClientRequest request{
      .method = "POST",
      .path = "/api/v1/scheduler",
      .headers = {{"content-type", http::kProtobufMediaType}, {"accept", http::kProtobufMediaType}},
      .body = call.SerializeAsString()};
  if (stream_id) {
    request.headers["mesos-stream-id"] = std::move(*stream_id);
  }
  if (!options.principal.empty()) {
    request.headers["authorization"] =
        "Basic " + base64::encode(options.principal + ":" + options.secret);
  }
  return request;
}

}  // namespace

// Members below `threads` are touched on the loop thread only, except where noted.
struct SchedulerClient::Impl : std::enable_shared_from_this<Impl> {
  struct Queued {
    scheduler::Call call;
    std::function<void()> dropped;
    std::function<void()> then;  // on the loop thread once the call is answered
  };

  SchedulerOptions options;
  SchedulerCallbacks callbacks;
  ClientThreads threads;
  std::unique_ptr<MasterDetector> detector;
  std::unique_ptr<Subscription> subscription;
  http::Client client{threads.loop()};

  mutable std::mutex id_mutex;
  std::string framework_id;  // guarded by id_mutex

  std::string stream_id;
  std::deque<Queued> queue;
  bool in_flight = false;

  void deliver(std::function<void()> fn) { threads.deliver(shared_from_this(), std::move(fn)); }

  void createSubscription() {
    Subscription::Options subscription_options{
        .peer = "master",
        .reconnect = {.backoff_min = options.backoff_min,
                      .backoff_max = options.backoff_max,
                      .jitter_seed = options.seed != 0 ? options.seed : osRandomSeed()},
        .max_redirects = kMaxRedirects,
        .redirect_default_port = 5050,
        .refusal_is_final = true};
    subscription = std::make_unique<Subscription>(
        std::move(subscription_options),
        Subscription::Callbacks{
            .request = [this] { return subscribeRequest(); },
            .opened = [this](const http::Response& head) { onOpened(head); },
            .data = decodeEach<scheduler::Event>(
                [this](scheduler::Event& event) { return onEvent(event); }),
            .closed = [this](const Subscription::Closed& closed) { onClosed(closed); },
            .refused = [this](const std::string& why) { onRefused(why); }},
        *detector, threads.loop(), threads.loop().clock(), streamsOn(threads.loop()));
  }

  http::ClientRequest subscribeRequest() {
    scheduler::Call call;
    call.set_type(scheduler::Call::SUBSCRIBE);
    auto* info = call.mutable_subscribe()->mutable_framework_info();
    *info = options.framework;
    {
      std::lock_guard lock(id_mutex);
      if (!framework_id.empty()) {
        info->mutable_id()->set_value(framework_id);
      }
    }
    if (info->has_id()) {
      *call.mutable_framework_id() = info->id();
    }
    for (const auto& role : options.suppressed_roles) {
      call.mutable_subscribe()->add_suppressed_roles(role);
    }
    return schedulerRequest(call, std::nullopt, options);
  }

  void onOpened(const http::Response& head) {
    stream_id = head.header("mesos-stream-id");
    deliver([this] {
      if (callbacks.connected) {
        callbacks.connected();
      }
    });
  }

  // False once the master has refused or removed the framework: nothing more is delivered.
  bool onEvent(scheduler::Event& event) {
    if (event.type() == scheduler::Event::SUBSCRIBED) {
      subscription->subscribed();
      {
        std::lock_guard lock(id_mutex);
        framework_id = event.subscribed().framework_id().value();
      }
      double seconds = event.subscribed().has_heartbeat_interval_seconds()
                           ? event.subscribed().heartbeat_interval_seconds()
                           : 15.0;
      subscription->setHeartbeatTimeout(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(seconds * 3 + 1)));
    }
    if (event.type() == scheduler::Event::ERROR) {
      finishWithError(event);
      return false;
    }
    deliver([this, event = std::move(event)] {
      if (callbacks.received) {
        callbacks.received(event);
      }
    });
    return true;
  }

  void onRefused(const std::string& why) {
    // The master refusing us for good: the scheduler learns it as an error event.
    scheduler::Event error;
    error.set_type(scheduler::Event::ERROR);
    error.mutable_error()->set_message(why);
    finishWithError(error);
  }

  void finishWithError(const scheduler::Event& error) {
    deliver([this, error] {
      if (callbacks.received) {
        callbacks.received(error);
      }
    });
    closeNow();
  }

  void onClosed(const Subscription::Closed& closed) {
    failQueued();
    if (closed.next == Subscription::Next::kNothing) {
      return threads.markClosed();
    }
    if (closed.was_open) {
      deliver([this, why = closed.why] {
        if (callbacks.disconnected) {
          callbacks.disconnected(why);
        }
      });
    }
  }

  void failQueued() {
    for (auto& queued : queue) {
      if (queued.dropped) {
        deliver(std::move(queued.dropped));
      }
    }
    queue.clear();
  }

  void enqueue(Queued queued) {
    if (!subscription->isSubscribed()) {
      if (queued.dropped) {
        deliver(std::move(queued.dropped));
      }
      if (queued.then) {
        queued.then();
      }
      return;
    }
    queue.push_back(std::move(queued));
    pump();
  }

  void pump() {
    if (in_flight || queue.empty() || !subscription->peer()) {
      return;
    }
    Queued queued = std::move(queue.front());
    queue.pop_front();
    {
      std::lock_guard lock(id_mutex);
      queued.call.mutable_framework_id()->set_value(framework_id);
    }
    in_flight = true;
    postCall(client, *subscription->peer(), schedulerRequest(queued.call, stream_id, options),
             "scheduler", scheduler::Call::Type_Name(queued.call.type()),
             [this, then = std::move(queued.then)] {
               in_flight = false;
               if (then) {
                 then();
               }
               pump();
             });
  }

  // Stops on the loop thread: flushes what is queued, then closes the stream.
  void stopOnLoop(bool teardown) {
    subscription->stopReconnecting();
    if (teardown && subscription->isSubscribed()) {
      scheduler::Call call;
      call.set_type(scheduler::Call::TEARDOWN);
      queue.push_back(
          {.call = std::move(call), .dropped = nullptr, .then = [this] { closeNow(); }});
      return pump();
    }
    drainThenClose();
  }

  void drainThenClose() {
    if (queue.empty() && !in_flight) {
      return closeNow();
    }
    threads.loop().after(10ms, [this] { drainThenClose(); });
  }

  void closeNow() {
    subscription->close();
    queue.clear();
    threads.markClosed();
  }
};

SchedulerClient::SchedulerClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<SchedulerClient>, std::string> SchedulerClient::create(
    SchedulerOptions options, SchedulerCallbacks callbacks) {
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  if (impl->options.framework.has_id()) {
    impl->framework_id = impl->options.framework.id().value();
  }
  auto detector = createMasterDetector(impl->threads.loop(), impl->options.master);
  if (!detector) {
    return std::unexpected(detector.error().message());
  }
  impl->detector = std::move(*detector);
  impl->createSubscription();
  impl->threads.start([raw = impl.get()] { raw->subscription->start(); });
  return std::unique_ptr<SchedulerClient>(new SchedulerClient(std::move(impl)));
}

SchedulerClient::~SchedulerClient() {
  stop(false);
  impl_->threads.join(5s);
  // Destroy the connections and the detector while nothing runs the loop.
  impl_->subscription.reset();
  impl_->detector.reset();
}

void SchedulerClient::send(scheduler::Call call, std::function<void()> dropped) {
  impl_->threads.loop().post(
      [impl = impl_.get(), call = std::move(call), dropped = std::move(dropped)] {
        impl->enqueue({.call = call, .dropped = dropped, .then = nullptr});
      });
}

void SchedulerClient::stop(bool teardown) {
  if (!impl_->threads.stop()) {
    return;
  }
  impl_->threads.loop().post([impl = impl_.get(), teardown] { impl->stopOnLoop(teardown); });
}

std::string SchedulerClient::frameworkId() const {
  std::lock_guard lock(impl_->id_mutex);
  return impl_->framework_id;
}

}  // namespace plateau::client
