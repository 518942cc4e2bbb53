// The agent's link to the master (master_link.h): register, follow the event stream, heartbeat,
// reconnect.

#include "agent/master_link.h"

#include <algorithm>

#include "common/backoff.h"
#include "common/event_stream.h"
#include "http/content.h"

namespace plateau::agent {

using namespace std::chrono_literals;

namespace {

// The master pings every two heartbeat periods: this many silent periods mean it is gone.
constexpr int kSilentPeriods = 6;
constexpr std::chrono::nanoseconds kMinBackoff = 100ms;
// The longest wait before a call the master refused with 429 (rate limited) is sent again.
constexpr std::chrono::nanoseconds kMaxLimitedWait = 30s;

}  // namespace

MasterLink::MasterLink(const Clock& clock, Timers& timers, Transport& transport,
                       std::chrono::nanoseconds max_backoff, std::optional<uint64_t> jitter_seed,
                       std::shared_ptr<spdlog::logger> log, Hooks hooks)
    : clock_(clock),
      timers_(timers),
      transport_(transport),
      max_backoff_(max_backoff),
      log_(std::move(log)),
      hooks_(std::move(hooks)) {
  if (jitter_seed) {
    jitter_.emplace(*jitter_seed);
  }
}

MasterLink::~MasterLink() {
  cancelTimer(heartbeat_timer_);
  for (Timers::TimerId id : reconnect_timers_) {
    timers_.cancel(id);
  }
  for (Timers::TimerId id : retry_timers_) {
    timers_.cancel(id);
  }
  if (stream_) {
    stream_->cancel();
  }
}

void MasterLink::cancelTimer(Timers::TimerId& id) {
  if (id != 0) {
    timers_.cancel(id);
    id = 0;
  }
}

void MasterLink::setMaster(std::optional<http::Endpoint> master) {
  if (!master) {
    master_known_ = false;
    return;
  }
  bool changed = !master_known_ || master->toString() != master_.toString();
  master_ = *master;
  master_known_ = true;
  if (!changed) {
    return;
  }
  if (stream_) {
    // Leave the old master: the next REGISTER goes to the new one.
    drop(Status(StatusCode::kUnavailable, "a new master was elected"));
  } else {
    connect();
  }
}

void MasterLink::connect() {
  if (!master_known_ || stream_) {
    return;  // setMaster() calls again once a master is known
  }
  decoder_ = recordio::Decoder();
  internal::AgentCall registration = hooks_.registration();
  if (!session_.empty()) {
    registration.set_session(session_);  // the master may still hold our stream open
  }
  stream_ =
      transport_.subscribe(master_, registration,
                           {.on_head =
                                [this](const http::Response& head) {
                                  if (head.status != 200) {
                                    log_->warn("agent_register_refused status={}", head.status);
                                  }
                                },
                            .on_data = [this](std::string_view data) { onData(data); },
                            .on_closed = [this](const Status& why) { onClosed(why); }});
}

void MasterLink::onData(std::string_view data) {
  last_event_ = clock_.now();
  auto events = recordio::decodeEvents<internal::AgentEvent>(decoder_, data);
  if (!events) {
    log_->error("master_stream_corrupt error=\"{}\"", events.error().message());
    return drop(events.error());
  }
  for (const auto& event : *events) {
    switch (event.type()) {
      case internal::AgentEvent::REGISTERED:
        onRegistered(event.registered());
        break;
      case internal::AgentEvent::HEARTBEAT:
        break;
      default:
        hooks_.event(event);
    }
  }
}

void MasterLink::onRegistered(const internal::AgentEvent::Registered& registered) {
  registered_ = true;
  backoff_ = 0s;
  session_ = registered.session();
  master_hostname_ = registered.master_info().hostname();
  double interval =
      registered.has_heartbeat_interval_seconds() ? registered.heartbeat_interval_seconds() : 5;
  auto period = std::chrono::nanoseconds(static_cast<int64_t>(std::max(interval, 0.1) * 1e9));
  cancelTimer(heartbeat_timer_);
  heartbeat_timer_ = timers_.after(period, [this, period] { heartbeat(period); });
  hooks_.registered(registered);
}

void MasterLink::heartbeat(std::chrono::nanoseconds period) {
  heartbeat_timer_ = 0;
  if (clock_.now() - last_event_ > kSilentPeriods * period && stream_) {
    return drop(Status(StatusCode::kUnavailable, "no heartbeat from the master"));
  }
  heartbeat_timer_ = timers_.after(period, [this, period] { heartbeat(period); });
  internal::AgentCall call;
  call.set_type(internal::AgentCall::HEARTBEAT);
  *call.mutable_agent_id() = hooks_.agent_id();
  send(call);
}

void MasterLink::drop(const Status& why) {
  if (stream_) {
    stream_->cancel();
  }
  onClosed(why);
}

void MasterLink::onClosed(const Status& why) {
  registered_ = false;
  stream_.reset();
  cancelTimer(heartbeat_timer_);
  hooks_.disconnected();
  backoff_ = nextBackoff<std::chrono::nanoseconds>(backoff_, kMinBackoff, max_backoff_);
  const std::chrono::nanoseconds wait = jitter_ ? (*jitter_)(backoff_) : backoff_;
  log_->warn("master_disconnected reason=\"{}\" retry_in_ms={}", why.message(),
             std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
  // An earlier retry still pending stays so: whichever fires first while no stream is open
  // registers (a leader change may have connected, and failed, in between).
  auto id = std::make_shared<Timers::TimerId>(0);
  *id = timers_.after(wait, [this, id] {
    reconnect_timers_.erase(*id);
    connect();
  });
  reconnect_timers_.insert(*id);
}

void MasterLink::send(const internal::AgentCall& call) { sendAttempt(call, 0); }

void MasterLink::sendAttempt(const internal::AgentCall& call, int attempt) {
  internal::AgentCall stamped = call;
  stamped.set_session(session_);
  transport_.send(master_, stamped, [this, call, attempt](Result<int> status) {
    if (!status) {
      log_->debug("master_call_failed error=\"{}\"", status.error().message());
    } else if (*status == 404 && registered_) {
      log_->warn("master_forgot_agent");
      drop(Status(StatusCode::kNotFound, "master does not know this agent"));
    } else if (*status == 429) {
      retryLimited(call, attempt);
    }
  });
}

void MasterLink::retryLimited(const internal::AgentCall& call, int attempt) {
  if (call.type() == internal::AgentCall::HEARTBEAT) {
    return;  // the next one is due soon anyway
  }
  // The master's Retry-After counts whole seconds: wait one, doubling up to kMaxLimitedWait.
  const std::chrono::nanoseconds wait = std::min<std::chrono::nanoseconds>(
      kMaxLimitedWait, 1s * (int64_t{1} << std::min(attempt, 5)));
  log_->warn("master_call_rate_limited type={} attempt={} retry_in_ms={}",
             internal::AgentCall::Type_Name(call.type()), attempt + 1,
             std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
  auto id = std::make_shared<Timers::TimerId>(0);
  *id = timers_.after(wait, [this, call, attempt, id] {
    retry_timers_.erase(*id);
    // Once the link is down, the next REGISTER carries what the agent runs (and its status
    // update streams resend what is not acknowledged): nothing to retry then.
    if (registered_) {
      sendAttempt(call, attempt + 1);
    }
  });
  retry_timers_.insert(*id);
}

std::shared_ptr<http::StreamingCall> HttpMasterTransport::subscribe(
    const http::Endpoint& master, const internal::AgentCall& call,
    http::StreamingCall::Callbacks callbacks) {
  http::ClientRequest request{.method = "POST",
                              .path = "/agent/api/v1",
                              .headers = headers(),
                              .body = call.SerializePartialAsString()};
  return http::StreamingCall::open(loop_, master, std::move(request), 5s, std::move(callbacks));
}

http::Headers HttpMasterTransport::headers() const {
  http::Headers out{{"content-type", http::kProtobufMediaType}};
  if (!authorization_.empty()) {
    out["authorization"] = authorization_;
  }
  return out;
}

void HttpMasterTransport::send(const http::Endpoint& master, const internal::AgentCall& call,
                               std::function<void(Result<int> status)> done) {
  http::ClientRequest request{.method = "POST",
                              .path = "/agent/api/v1",
                              .headers = headers(),
                              .body = call.SerializePartialAsString()};
  client_.fetch(master, std::move(request), 10s,
                [done = std::move(done)](Result<http::Response> response) {
                  if (!response) {
                    return done(std::unexpected(response.error()));
                  }
                  done(response->status);
                });
}

}  // namespace plateau::agent
