#include "client/subscription.h"

#include <fmt/format.h>

namespace plateau::client {

OpenStream streamsOn(EventLoop& loop) {
  return [&loop](const http::Endpoint& endpoint, http::ClientRequest request,
                 std::chrono::nanoseconds timeout, http::StreamingCall::Callbacks callbacks) {
    return http::StreamingCall::open(loop, endpoint, std::move(request), timeout,
                                     std::move(callbacks));
  };
}

Subscription::Subscription(Options options, Callbacks callbacks, MasterDetector& detector,
                           Timers& timers, const Clock& clock, OpenStream open)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      detector_(detector),
      timers_(timers),
      open_stream_(std::move(open)),
      policy_(options_.reconnect, clock) {}

Subscription::~Subscription() {
  *alive_ = false;
  close();
}

void Subscription::start() { detect(); }

void Subscription::subscribed() {
  subscribed_ = true;
  policy_.subscribed();
}

void Subscription::setHeartbeatTimeout(std::chrono::nanoseconds timeout) {
  heartbeat_timeout_ = timeout;
}

void Subscription::drop(const std::string& why) {
  if (!stream_) {
    return;
  }
  auto old = std::move(stream_);
  old->cancel();
  fail(why);
}

void Subscription::stopReconnecting() {
  reconnecting_ = false;
  cancelTimer(retry_timer_);
}

void Subscription::close() {
  finished_ = true;
  reconnecting_ = false;
  cancelTimer(retry_timer_);
  cancelTimer(heartbeat_timer_);
  if (stream_) {
    auto old = std::move(stream_);
    old->cancel();
  }
  open_ = false;
  subscribed_ = false;
}

void Subscription::detect() {
  if (finished_ || !reconnecting_) {
    return;
  }
  redirects_ = 0;
  detector_.detect(std::nullopt, [this, alive = alive_](Result<MasterDetector::Leader> leader) {
    if (!*alive || finished_ || !reconnecting_) {
      return;
    }
    if (!leader) {
      return fail(leader.error().message());
    }
    if (!leader->has_value()) {
      return fail(fmt::format("No leading {} is known", options_.peer));
    }
    detected_ = **leader;
    connect(**leader);
  });
}

void Subscription::connect(const http::Endpoint& endpoint) {
  if (finished_ || !reconnecting_) {
    return;
  }
  peer_ = endpoint;
  decoder_ = recordio::Decoder();
  open_ = false;
  subscribed_ = false;
  uint64_t generation = ++generation_;
  stream_ = open_stream_(
      endpoint, callbacks_.request(), options_.request_timeout,
      {.on_head = [this, generation](const http::Response& head) { onHead(generation, head); },
       .on_data = [this, generation](std::string_view chunk) { onData(generation, chunk); },
       .on_closed =
           [this, generation](const Status& why) {
             if (current(generation)) {
               stream_.reset();
               fail(why.message());
             }
           }});
  // The leader the detector reported, not where a redirect took us: a detector that knows a
  // single fixed master would otherwise report a change at once.
  detector_.detect(detected_,
                   [this, alive = alive_, generation](Result<MasterDetector::Leader> next) {
                     if (*alive && next && next->has_value() && current(generation)) {
                       drop(fmt::format("The leading {} changed", options_.peer));
                     }
                   });
}

void Subscription::onHead(uint64_t generation, const http::Response& head) {
  if (!current(generation)) {
    return;
  }
  if (head.status == 200) {
    open_ = true;
    redirects_ = 0;
    if (callbacks_.opened) {
      callbacks_.opened(head);
    }
    return;
  }
  auto old = std::move(stream_);
  old->cancel();
  if (head.status == 307 && redirects_ < options_.max_redirects) {
    auto target = http::Endpoint::parse(head.header("location"), options_.redirect_default_port);
    if (target) {
      ++redirects_;
      return connect(*target);
    }
  }
  auto why = fmt::format("The {} refused the subscription: HTTP {}", options_.peer, head.status);
  if (options_.refusal_is_final && head.status != 307 && head.status != 503) {
    close();
    if (callbacks_.refused) {
      callbacks_.refused(why);
    }
    return;
  }
  fail(why);
}

void Subscription::onData(uint64_t generation, std::string_view chunk) {
  if (!current(generation)) {
    return;
  }
  auto delivered = callbacks_.data(decoder_, chunk);
  if (!current(generation) || finished_) {
    return;  // the owner dropped or closed the stream while handling the events
  }
  if (!delivered) {
    return drop(delivered.error().message());
  }
  if (*delivered > 0) {
    armHeartbeat();
  }
}

// Every failure ends here, the stream already gone.
void Subscription::fail(const std::string& why) {
  Closed closed{.why = why, .was_open = open_, .was_subscribed = subscribed_};
  stream_.reset();
  open_ = false;
  subscribed_ = false;
  cancelTimer(heartbeat_timer_);
  if (finished_ || retry_timer_ != 0) {
    return;
  }
  if (!reconnecting_) {
    closed.next = Next::kNothing;
  } else if (auto decision = policy_.failed(); decision.give_up) {
    finished_ = true;
    reconnecting_ = false;
    closed.next = Next::kGiveUp;
  } else {
    retry_timer_ = timers_.after(decision.delay, [this] {
      retry_timer_ = 0;
      detect();
    });
  }
  if (callbacks_.closed) {
    callbacks_.closed(closed);
  }
}

void Subscription::armHeartbeat() {
  cancelTimer(heartbeat_timer_);
  if (heartbeat_timeout_.count() > 0 && stream_) {
    heartbeat_timer_ = timers_.after(heartbeat_timeout_, [this] {
      heartbeat_timer_ = 0;
      drop(fmt::format("No heartbeat from the {}", options_.peer));
    });
  }
}

void Subscription::cancelTimer(Timers::TimerId& id) {
  if (id != 0) {
    timers_.cancel(id);
    id = 0;
  }
}

}  // namespace plateau::client
