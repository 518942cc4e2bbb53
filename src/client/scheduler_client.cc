#include "plateau/scheduler_client.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "client/callback_thread.h"
#include "client/master_detector.h"
#include "common/backoff.h"
#include "common/event_stream.h"
#include "common/recordio.h"
#include "http/client.h"
#include "http/content.h"
#include "runtime/event_loop.h"

namespace plateau::client {

namespace scheduler = mesos::v1::scheduler;
using namespace std::chrono_literals;

namespace {

constexpr auto kRequestTimeout = 10s;
constexpr int kMaxRedirects = 8;

}  // namespace

// All members below `loop` are touched on the loop thread only, except where noted.
struct SchedulerClient::Impl : std::enable_shared_from_this<Impl> {
  struct Queued {
    scheduler::Call call;
    std::function<void()> dropped;
    std::function<void()> then;  // on the loop thread once the call is answered
  };

  SchedulerOptions options;
  SchedulerCallbacks callbacks;
  EventLoop loop;
  std::unique_ptr<MasterDetector> detector;
  http::Client client{loop};
  CallbackThread callback_thread;
  std::thread io_thread;

  std::atomic<bool> stopped{false};  // any thread: stop() was called, no more callbacks
  bool finished = false;             // no more connections (stopped, or refused for good)
  mutable std::mutex id_mutex;
  std::string framework_id;  // guarded by id_mutex

  std::optional<http::Endpoint> leader;
  std::shared_ptr<http::StreamingCall> stream;
  recordio::Decoder decoder;
  std::string stream_id;
  bool connected = false;   // the stream's head arrived
  bool subscribed = false;  // SUBSCRIBED arrived on this stream
  int redirects = 0;
  std::chrono::milliseconds backoff{0};
  EventLoop::TimerId retry_timer = 0;
  EventLoop::TimerId heartbeat_timer = 0;
  std::chrono::nanoseconds heartbeat_timeout{0};
  std::deque<Queued> queue;
  bool in_flight = false;

  std::mutex closed_mutex;  // with closed_cv, guards closed
  std::condition_variable closed_cv;
  bool closed = false;

  void deliver(std::function<void()> fn) {
    callback_thread.post([self = shared_from_this(), fn = std::move(fn)] {
      if (!self->stopped) {
        fn();
      }
    });
  }

  void detectLeader() {
    retry_timer = 0;
    if (finished) {
      return;
    }
    detector->detect(std::nullopt, [this](Result<MasterDetector::Leader> leader) {
      if (!leader || !leader->has_value()) {
        return retryLater();
      }
      connect(**leader);
    });
  }

  void retryLater() {
    if (finished || retry_timer != 0) {
      return;
    }
    backoff = nextBackoff(backoff, options.backoff_min, options.backoff_max);
    retry_timer = loop.after(backoff, [this] { detectLeader(); });
  }

  void connect(http::Endpoint endpoint) {
    if (finished) {
      return;
    }
    leader = endpoint;
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
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1/scheduler",
                                .headers = {{"content-type", http::kProtobufMediaType},
                                            {"accept", http::kProtobufMediaType}},
                                .body = call.SerializeAsString()};
    decoder = recordio::Decoder();
    connected = false;
    subscribed = false;
    stream = http::StreamingCall::open(
        loop, endpoint, std::move(request), kRequestTimeout,
        {.on_head = [this](const http::Response& head) { onHead(head); },
         .on_data = [this](std::string_view data) { onData(data); },
         .on_closed = [this](const Status& why) { onClosed(why.message()); }});
    // Follow a leader change the detector reports while this connection lives.
    detector->detect(leader, [this](Result<MasterDetector::Leader> next) {
      if (next && next->has_value() && !finished) {
        dropConnection("The leading master changed");
      }
    });
  }

  void onHead(const http::Response& head) {
    if (head.status == 200) {
      connected = true;
      redirects = 0;
      stream_id = head.header("mesos-stream-id");
      deliver([this] {
        if (callbacks.connected) {
          callbacks.connected();
        }
      });
      return;
    }
    auto old = std::move(stream);
    old->cancel();
    if (head.status == 307 && redirects < kMaxRedirects) {
      auto target = http::Endpoint::parse(head.header("location"), 5050);
      if (target) {
        ++redirects;
        return connect(*target);
      }
    }
    if (head.status == 503 || head.status == 307) {
      return retryLater();  // no leader yet, or a redirect loop: try again later
    }
    // Anything else is the master refusing us for good: tell the scheduler as an error.
    scheduler::Event error;
    error.set_type(scheduler::Event::ERROR);
    error.mutable_error()->set_message(
        fmt::format("The master refused the subscription: HTTP {}", head.status));
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

  void onData(std::string_view data) {
    auto events = recordio::decodeEvents<scheduler::Event>(decoder, data);
    if (!events) {
      return dropConnection(events.error().message());
    }
    for (auto& event : *events) {
      armHeartbeat();
      if (event.type() == scheduler::Event::SUBSCRIBED) {
        subscribed = true;
        backoff = std::chrono::milliseconds(0);
        {
          std::lock_guard lock(id_mutex);
          framework_id = event.subscribed().framework_id().value();
        }
        double seconds = event.subscribed().has_heartbeat_interval_seconds()
                             ? event.subscribed().heartbeat_interval_seconds()
                             : 15.0;
        heartbeat_timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(seconds * 3 + 1));
        armHeartbeat();
      }
      if (event.type() == scheduler::Event::ERROR) {
        return finishWithError(event);
      }
      deliver([this, event = std::move(event)] {
        if (callbacks.received) {
          callbacks.received(event);
        }
      });
    }
  }

  void armHeartbeat() {
    if (heartbeat_timer != 0) {
      loop.cancel(heartbeat_timer);
      heartbeat_timer = 0;
    }
    if (heartbeat_timeout.count() > 0 && stream) {
      heartbeat_timer = loop.after(heartbeat_timeout, [this] {
        heartbeat_timer = 0;
        dropConnection("No heartbeat from the master");
      });
    }
  }

  void dropConnection(const std::string& why) {
    if (stream) {
      auto old = std::move(stream);
      old->cancel();
    }
    onClosed(why);
  }

  void onClosed(const std::string& why) {
    stream.reset();
    if (heartbeat_timer != 0) {
      loop.cancel(heartbeat_timer);
      heartbeat_timer = 0;
    }
    bool was_connected = connected;
    connected = false;
    subscribed = false;
    failQueued();
    if (finished) {
      return markClosed();
    }
    if (was_connected) {
      deliver([this, why] {
        if (callbacks.disconnected) {
          callbacks.disconnected(why);
        }
      });
    }
    retryLater();
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
    if (!subscribed) {
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
    if (in_flight || queue.empty() || !leader) {
      return;
    }
    Queued queued = std::move(queue.front());
    queue.pop_front();
    {
      std::lock_guard lock(id_mutex);
      queued.call.mutable_framework_id()->set_value(framework_id);
    }
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1/scheduler",
                                .headers = {{"content-type", http::kProtobufMediaType},
                                            {"accept", http::kProtobufMediaType},
                                            {"mesos-stream-id", stream_id}},
                                .body = queued.call.SerializeAsString()};
    in_flight = true;
    auto type = queued.call.type();
    client.fetch(*leader, std::move(request), kRequestTimeout,
                 [this, type, then = std::move(queued.then)](Result<http::Response> r) {
                   in_flight = false;
                   if (!r) {
                     fmt::print(stderr, "plateau scheduler library: {} call failed: {}\n",
                                scheduler::Call::Type_Name(type), r.error().message());
                   } else if (r->status != 202) {
                     fmt::print(stderr, "plateau scheduler library: {} call refused: HTTP {} {}\n",
                                scheduler::Call::Type_Name(type), r->status, r->body);
                   }
                   if (then) {
                     then();
                   }
                   pump();
                 });
  }

  // Stops on the loop thread: flushes what is queued, then closes the stream.
  void stopOnLoop(bool teardown) {
    finished = true;
    if (retry_timer != 0) {
      loop.cancel(retry_timer);
      retry_timer = 0;
    }
    auto close = [this] { closeNow(); };
    if (teardown && subscribed) {
      scheduler::Call call;
      call.set_type(scheduler::Call::TEARDOWN);
      queue.push_back({.call = std::move(call), .dropped = nullptr, .then = close});
      return pump();
    }
    drainThenClose();
  }

  void drainThenClose() {
    if (queue.empty() && !in_flight) {
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
    if (heartbeat_timer != 0) {
      loop.cancel(heartbeat_timer);
      heartbeat_timer = 0;
    }
    if (stream) {
      auto old = std::move(stream);
      old->cancel();
    }
    queue.clear();
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

SchedulerClient::SchedulerClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<SchedulerClient>, std::string> SchedulerClient::create(
    SchedulerOptions options, SchedulerCallbacks callbacks) {
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  if (impl->options.framework.has_id()) {
    impl->framework_id = impl->options.framework.id().value();
  }
  auto detector = createMasterDetector(impl->loop, impl->options.master);
  if (!detector) {
    return std::unexpected(detector.error().message());
  }
  impl->detector = std::move(*detector);
  impl->loop.post([raw = impl.get()] { raw->detectLeader(); });
  impl->io_thread = std::thread([raw = impl.get()] { raw->loop.run(); });
  return std::unique_ptr<SchedulerClient>(new SchedulerClient(std::move(impl)));
}

SchedulerClient::~SchedulerClient() {
  stop(false);
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
  // Destroy the detector and the connections while nothing runs the loop.
  impl_->stream.reset();
  impl_->detector.reset();
}

void SchedulerClient::send(scheduler::Call call, std::function<void()> dropped) {
  impl_->loop.post([impl = impl_.get(), call = std::move(call), dropped = std::move(dropped)] {
    impl->enqueue({.call = call, .dropped = dropped, .then = nullptr});
  });
}

void SchedulerClient::stop(bool teardown) {
  bool was_stopped = impl_->stopped.exchange(true);
  if (was_stopped) {
    return;
  }
  impl_->loop.post([impl = impl_.get(), teardown] { impl->stopOnLoop(teardown); });
}

std::string SchedulerClient::frameworkId() const {
  std::lock_guard lock(impl_->id_mutex);
  return impl_->framework_id;
}

}  // namespace plateau::client
