#include "sim/links.h"

#include <algorithm>

#include "common/event_stream.h"
#include "http/content.h"
#include "sim/call_retry.h"
#include "sim/failover.h"

namespace plateau::sim {

namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;
namespace internal = plateau::internal;
using namespace std::chrono_literals;

namespace {

constexpr auto kCallTimeout = 60s;
// Registration may wait behind thousands of others (each stored in the registry first).
constexpr auto kStreamHeadTimeout = 120s;
// plateau-agent's registration backoff (MasterLink) with its default
// --registration_backoff_factor: 100 ms doubling up to 1 s.
constexpr std::chrono::milliseconds kMinLinkBackoff{100};
constexpr std::chrono::milliseconds kMaxLinkBackoff{1000};
// How long an agent that an elected master did not take waits for ZooKeeper to name the next
// leader before it tries again anyway (leaderChanged() comes first when one is elected).
constexpr std::chrono::milliseconds kElectedWait{5000};
constexpr size_t kMaxFrameworkInFlight = 8;

http::ClientRequest protobufPost(std::string path, std::string body) {
  return http::ClientRequest{
      .method = "POST",
      .path = std::move(path),
      .headers = {{"content-type", http::kProtobufMediaType}, {"accept", http::kProtobufMediaType}},
      .body = std::move(body)};
}

std::chrono::milliseconds nextBackoff(std::chrono::milliseconds b) {
  return std::clamp(b * 2, kMinLinkBackoff, kMaxLinkBackoff);
}

}  // namespace

CallPipe::CallPipe(EventLoop& loop, const Leader& leader, size_t max_in_flight, LinkStats& stats)
    : loop_(loop), client_(loop), leader_(leader), max_in_flight_(max_in_flight), stats_(stats) {}

void CallPipe::send(http::ClientRequest request, std::function<void(Result<int>)> done,
                    std::optional<Clock::TimePoint> made) {
  queue_.push_back({.request = std::move(request),
                    .done = std::move(done),
                    .made = made.value_or(loop_.clock().now())});
  stats_.max_queued = std::max(stats_.max_queued, queue_.size());
  pump();
}

CallPipe::~CallPipe() {
  for (Timers::TimerId timer : retry_timers_) {
    loop_.cancel(timer);
  }
}

bool CallPipe::retry(Queued& call, const http::Response& response) {
  if (isRetryable(response.status)) {
    stats_.calls_refused++;
  }
  random_ ^= random_ << 13;  // xorshift64: only to spread the waits
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  auto wait = retryDelay(response.status, response.header("retry-after"), call.attempts, random_);
  if (!wait) {
    return false;
  }
  stats_.calls_retried++;
  auto again = std::make_shared<Queued>(std::move(call));
  auto timer = std::make_shared<Timers::TimerId>();
  *timer = loop_.after(*wait, [this, again, timer] {
    std::erase(retry_timers_, *timer);
    queue_.push_front(std::move(*again));  // it was first in line once already
    pump();
  });
  retry_timers_.push_back(*timer);
  return true;
}

void CallPipe::sendFirst(http::ClientRequest request) {
  first_.push_back({.request = std::move(request), .done = nullptr, .made = loop_.clock().now()});
  pump();
}

void CallPipe::sendAhead(http::ClientRequest request, Clock::TimePoint made) {
  ahead_.push_back({.request = std::move(request), .done = nullptr, .made = made});
  pump();
}

void CallPipe::pump() {
  while (in_flight_ < max_in_flight_ && (!first_.empty() || !ahead_.empty() || !queue_.empty())) {
    auto& lane = !first_.empty() ? first_ : !ahead_.empty() ? ahead_ : queue_;
    auto call = std::make_shared<Queued>(std::move(lane.front()));
    lane.pop_front();
    in_flight_++;
    stats_.calls++;
    if (call->attempts++ == 0) {
      stats_.queue_wait.add(
          std::chrono::duration<double>(loop_.clock().now() - call->made).count());
    }
    client_.fetch(leader_.current(), call->request, kCallTimeout,
                  [this, call](Result<http::Response> response) {
                    in_flight_--;
                    if (!response) {
                      stats_.calls_failed++;
                    } else if (response->status / 100 != 2) {
                      if (retry(*call, *response)) {
                        return pump();  // its `done` waits for the answer to the next send
                      }
                      stats_.calls_rejected++;
                    }
                    if (call->done) {
                      call->done(response ? Result<int>(response->status)
                                          : Result<int>(std::unexpected(response.error())));
                    }
                    pump();
                  });
  }
}

AgentLink::AgentLink(EventLoop& loop, CallPipe& pipe, Leader& leader, std::string source,
                     AgentSpec spec, SimAgent::Options options, uint64_t seed, TaskLedger& ledger,
                     LinkStats& stats, std::shared_ptr<spdlog::logger> log)
    : loop_(loop),
      pipe_(pipe),
      leader_(leader),
      source_(std::move(source)),
      stats_(stats),
      log_(std::move(log)),
      agent_(loop.clock(), loop, std::move(spec), options, seed,
             {.send = [this](const internal::AgentCall& call) { send(call); },
              .task_received =
                  [this, &ledger](const std::string& task_id) {
                    ledger.atAgent(task_id, loop_.clock().now());
                  }}),
      random_(static_cast<std::minstd_rand::result_type>(seed ^ (seed >> 32))) {}

void AgentLink::send(const internal::AgentCall& call) {
  if (call.type() == internal::AgentCall::HEARTBEAT && shared_ != nullptr) {
    // One call per shared stream carries its agents' heartbeats.
    return shared_->addHeartbeat(call.agent_id().value(), session_);
  }
  internal::AgentCall stamped = call;
  stamped.set_session(session_);
  if (call.type() == internal::AgentCall::HEARTBEAT) {
    return pipe_.sendFirst(protobufPost("/agent/api/v1", stamped.SerializePartialAsString()));
  }
  if (call.type() != internal::AgentCall::STATUS_UPDATE) {
    return pipe_.send(protobufPost("/agent/api/v1", stamped.SerializePartialAsString()), nullptr);
  }
  // A resend of an update whose copy (same session) is still waiting in the pipe or on its way
  // adds only a duplicate: that copy is not lost, it is queued inside the simulator. In a batch
  // (status_updates) each update is looked at alone; the batch goes with those not queued.
  std::vector<std::string> keys;
  auto fresh = [&](const internal::AgentCall::StatusUpdate& update) {
    std::string key = session_ + '/' + update.status().uuid();
    if (!updates_in_pipe_->insert(key).second) {
      stats_.updates_not_resent++;
      return false;
    }
    keys.push_back(std::move(key));
    return true;
  };
  if (stamped.has_status_update() && !fresh(stamped.status_update())) {
    return;
  }
  auto* batch = stamped.mutable_status_updates();
  batch->erase(
      std::remove_if(batch->begin(), batch->end(), [&](const auto& u) { return !fresh(u); }),
      batch->end());
  if (keys.empty()) {
    return;
  }
  pipe_.send(protobufPost("/agent/api/v1", stamped.SerializePartialAsString()),
             [in_pipe = updates_in_pipe_, keys = std::move(keys)](const Result<int>&) {
               for (const std::string& key : keys) {
                 in_pipe->erase(key);
               }
             });
}

AgentLink::~AgentLink() {
  *alive_ = false;
  for (Timers::TimerId id : {heartbeat_timer_, reconnect_timer_}) {
    if (id != 0) {
      loop_.cancel(id);
    }
  }
  if (stream_) {
    stream_->cancel();
  }
  if (shared_ != nullptr) {
    shared_->leave(this);
  }
}

void AgentLink::start() {
  started_ = true;
  connect();
}

void AgentLink::shareStream(AgentStream* stream, std::string tag) {
  shared_ = stream;
  tag_ = std::move(tag);
}

internal::AgentCall AgentLink::registrationCall() const {
  internal::AgentCall call = agent_.registration();
  if (!session_.empty()) {
    call.set_session(session_);
  }
  return call;
}

void AgentLink::streamRegistered(const internal::AgentEvent::Registered& registered) {
  registered_ = true;
  backoff_ = 0ms;
  stats_.agent_registrations.emplace_back(loop_.clock().now(), &agent_.spec().hostname);
  session_ = registered.session();
  agent_.registered(registered.agent_id().value(), registered.batches());
}

void AgentLink::streamLost(const Status& why, bool registered) {
  registered_ = registered;  // onClosed() reads what it was
  onClosed(why);
}

void AgentLink::streamRefused(const http::Response& head) { onRefused(head); }

void AgentLink::connect() {
  reconnect_timer_ = 0;
  if (shared_ != nullptr) {
    master_ = leader_.current();
    return shared_->connect(this);  // its heartbeats go with the stream's (no timer here)
  }
  decoder_ = recordio::Decoder();
  master_ = leader_.current();
  master_.source = source_;
  internal::AgentCall call = agent_.registration();
  if (!session_.empty()) {
    call.set_session(session_);
  }
  stream_ = http::StreamingCall::open(
      loop_, master_, protobufPost("/agent/api/v1", call.SerializePartialAsString()),
      kStreamHeadTimeout,
      {.on_head =
           [this](const http::Response& head) {
             if (head.status != 200) {
               onRefused(head);
             }
           },
       .on_data = [this](std::string_view data) { onData(data); },
       .on_closed = [this](const Status& why) { onClosed(why); }});
}

void AgentLink::onData(std::string_view data) {
  auto events = recordio::decodeEvents<internal::AgentEvent>(decoder_, data);
  if (!events) {
    stream_->cancel();
    return onClosed(events.error());
  }
  for (const auto& event : *events) {
    switch (event.type()) {
      case internal::AgentEvent::REGISTERED: {
        streamRegistered(event.registered());
        double seconds = event.registered().has_heartbeat_interval_seconds()
                             ? event.registered().heartbeat_interval_seconds()
                             : 5.0;
        if (heartbeat_timer_ != 0) {
          loop_.cancel(heartbeat_timer_);
        }
        heartbeat_timer_ = loop_.every(
            std::chrono::milliseconds(static_cast<int64_t>(std::max(seconds, 0.1) * 1000)),
            [this] { agent_.heartbeat(); });
        break;
      }
      case internal::AgentEvent::HEARTBEAT:
        break;
      default:
        agent_.handle(event);
    }
  }
}

void AgentLink::dropLink() {
  if (stream_) {
    stream_->cancel();
    stream_.reset();
  }
  if (shared_ != nullptr) {
    shared_->leave(this);  // off the shared stream on this side (a no-op once it is off)
  }
  if (registered_) {
    stats_.agent_links_lost.push_back(loop_.clock().now());
  } else {
    leader_.unreachable(master_);  // with a list of masters, the next one is tried
  }
  registered_ = false;
  agent_.disconnected();
  if (heartbeat_timer_ != 0) {
    loop_.cancel(heartbeat_timer_);
    heartbeat_timer_ = 0;
  }
}

void AgentLink::leaderChanged() {
  const http::Endpoint& leader = leader_.current();
  if (!started_) {
    return;  // it will register with whoever leads when its turn comes
  }
  if (stream_ && master_.host == leader.host && master_.port == leader.port) {
    return;  // already there
  }
  if (shared_ != nullptr && shared_->carries(this, leader)) {
    return;  // already there, on its shared stream
  }
  // As plateau-agent's MasterLink::setMaster: with no registration open it registers with the
  // new leader at once; one still open (to the old leader) is ended first, and the next
  // REGISTER waits out the backoff.
  const bool open = stream_ != nullptr || registered_;
  attempt_++;  // a reachability answer still to come is for the old leader
  dropLink();
  backoff_ = open ? nextBackoff(backoff_) : 0ms;
  if (open) {
    return retry("");
  }
  if (reconnect_timer_ != 0) {
    loop_.cancel(reconnect_timer_);
  }
  connect();
}

void AgentLink::onClosed(const Status& why) {
  const bool was_registered = registered_;
  stream_.reset();
  dropLink();
  stats_.stream_drops++;
  backoff_ = nextBackoff(backoff_);
  if (!was_registered && leader_.elected()) {
    // The elected master did not take the registration (it is gone): the masters elect another
    // within ZooKeeper's session timeout and leaderChanged() comes then; until it does, retrying
    // here costs a registration each time for nothing. A longer wait stays as a fallback.
    backoff_ = kElectedWait;
  }
  log_->debug("sim_agent_disconnected hostname={} reason=\"{}\" backoff_ms={}",
              agent_.spec().hostname, why.message(), backoff_.count());
  retry("");
}

void AgentLink::onRefused(const http::Response& head) {
  // Its body is the reason, not events: the stream ends here (cancel() reports no close).
  if (stream_) {
    stream_->cancel();
    stream_.reset();
  }
  dropLink();
  stats_.stream_drops++;
  backoff_ = nextBackoff(backoff_);
  const std::string after = head.header("retry-after");
  log_->warn("sim_agent_register_refused hostname={} status={} retry_after=\"{}\"",
             agent_.spec().hostname, head.status, after);
  retry(after);
}

void AgentLink::retry(std::string_view retry_after) {
  std::uniform_real_distribution<double> share(0, 1);
  if (reconnect_timer_ != 0) {
    loop_.cancel(reconnect_timer_);
  }
  reconnect_timer_ = loop_.after(registrationRetryDelay(retry_after, backoff_, share(random_)),
                                 [this] { reconnect(); });
}

void AgentLink::reconnect() {
  reconnect_timer_ = 0;
  const uint64_t attempt = ++attempt_;
  leader_.whenReachable(leader_.current(), [this, alive = alive_, attempt](bool reachable) {
    if (!*alive || attempt != attempt_ || reconnect_timer_ != 0) {
      return;  // a leader change came first
    }
    if (reachable) {
      return connect();
    }
    backoff_ = kElectedWait;  // leaderChanged() comes when the next leader is elected
    log_->debug("sim_agent_waits_for_leader hostname={} master={}", agent_.spec().hostname,
                leader_.current().toString());
    retry("");
  });
}

FrameworkLink::FrameworkLink(EventLoop& loop, CallPipe& pipe, Leader& leader,
                             const FrameworkGroup& spec, int index, uint64_t seed,
                             TaskLedger& ledger, LinkStats& stats,
                             std::shared_ptr<spdlog::logger> log)
    : loop_(loop),
      pipe_(pipe),
      leader_(leader),
      stats_(stats),
      log_(std::move(log)),
      framework_(loop.clock(), loop, spec, index, seed, ledger,
                 {.send = [this](scheduler::Call call) { send(std::move(call)); }}),
      random_(static_cast<std::minstd_rand::result_type>((seed ^ (seed >> 32)) + index)) {}

FrameworkLink::~FrameworkLink() {
  *alive_ = false;
  if (reconnect_timer_ != 0) {
    loop_.cancel(reconnect_timer_);
  }
  if (stream_) {
    stream_->cancel();
  }
}

void FrameworkLink::start() { connect(); }

void FrameworkLink::connect() {
  reconnect_timer_ = 0;
  decoder_ = recordio::Decoder();
  master_ = leader_.current();
  scheduler::Call call = framework_.subscription();
  stream_ = http::StreamingCall::open(
      loop_, master_, protobufPost("/api/v1/scheduler", call.SerializePartialAsString()),
      kStreamHeadTimeout,
      {.on_head =
           [this](const http::Response& head) {
             stream_id_ = head.header("mesos-stream-id");
             if (head.status != 200) {
               retry_after_ = head.header("retry-after");
               log_->warn(
                   "sim_framework_subscribe_refused status={} retry_after=\"{}\" body=\"{}\"",
                   head.status, retry_after_, head.body);
             }
             pump();
           },
       .on_data = [this](std::string_view data) { onData(data); },
       .on_closed = [this](const Status& why) { onClosed(why); }});
}

void FrameworkLink::onData(std::string_view data) {
  auto events = recordio::decodeEvents<scheduler::Event>(decoder_, data);
  if (!events) {
    stream_->cancel();
    return onClosed(events.error());
  }
  for (const auto& event : *events) {
    framework_.handle(event);
  }
}

void FrameworkLink::leaderChanged() {
  const http::Endpoint& leader = leader_.current();
  if (stream_ && master_.host == leader.host && master_.port == leader.port) {
    return;  // already there
  }
  if (stream_) {
    stream_->cancel();
    stream_.reset();
  }
  stream_id_.clear();
  retry_after_.clear();
  if (reconnect_timer_ != 0) {
    loop_.cancel(reconnect_timer_);
  }
  connect();
}

void FrameworkLink::onClosed(const Status& why) {
  if (stream_id_.empty()) {
    leader_.unreachable(master_);  // with a list of masters, the next one is tried
  }
  stream_.reset();
  stream_id_.clear();
  stats_.stream_drops++;
  // A refusal's Retry-After (a busy master, 503 or 429) is honoured, as a well-behaved client
  // does; otherwise it subscribes again after a second (at once when a new leader is named).
  std::uniform_real_distribution<double> share(0, 1);
  const auto wait = subscriptionRetryDelay(retry_after_, share(random_));
  retry_after_.clear();
  log_->warn("sim_framework_disconnected reason=\"{}\" retry_ms={}", why.message(), wait.count());
  reconnect_timer_ = loop_.after(wait, [this] { connect(); });
}

void FrameworkLink::send(scheduler::Call call) {
  if (call.type() == scheduler::Call::ACKNOWLEDGE && !stream_id_.empty()) {
    // Ordered with no other call: it neither waits in the framework's queue (behind a SUPPRESS
    // or REVIVE waiting for everything before it) nor counts against its calls in flight.
    http::ClientRequest request =
        protobufPost("/api/v1/scheduler", call.SerializePartialAsString());
    request.headers["mesos-stream-id"] = stream_id_;
    return pipe_.sendAhead(std::move(request), loop_.clock().now());
  }
  const bool barrier =
      call.type() == scheduler::Call::SUPPRESS || call.type() == scheduler::Call::REVIVE;
  calls_.push_back({call.SerializePartialAsString(), barrier, loop_.clock().now()});
  pump();
}

void FrameworkLink::pump() {
  while (!calls_.empty() && !stream_id_.empty() && !barrier_in_flight_ &&
         in_flight_ < kMaxFrameworkInFlight) {
    const bool barrier = calls_.front().barrier;
    if (barrier && in_flight_ > 0) {
      return;  // it goes once everything before it is answered
    }
    http::ClientRequest request = protobufPost("/api/v1/scheduler", std::move(calls_.front().body));
    const Clock::TimePoint made = calls_.front().made;
    calls_.pop_front();
    request.headers["mesos-stream-id"] = stream_id_;
    in_flight_++;
    barrier_in_flight_ = barrier;
    pipe_.send(
        std::move(request),
        [this, alive = alive_, barrier](Result<int>) {
          if (!*alive) {
            return;
          }
          in_flight_--;
          if (barrier) {
            barrier_in_flight_ = false;
          }
          pump();
        },
        made);
  }
}

}  // namespace plateau::sim
