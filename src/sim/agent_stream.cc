#include "sim/agent_stream.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "common/event_stream.h"
#include "http/content.h"
#include "sim/links.h"

namespace plateau::sim {

namespace internal = plateau::internal;
using namespace std::chrono_literals;

namespace {

// Registration may wait behind thousands of others (each stored in the registry first).
constexpr auto kStreamHeadTimeout = 120s;

http::ClientRequest agentPost(const internal::AgentCall& call) {
  return http::ClientRequest{
      .method = "POST",
      .path = "/agent/api/v1",
      .headers = {{"content-type", http::kProtobufMediaType}, {"accept", http::kProtobufMediaType}},
      .body = call.SerializePartialAsString()};
}

}  // namespace

AgentStream::AgentStream(EventLoop& loop, CallPipe& pipe, Leader& leader, std::string source,
                         std::shared_ptr<spdlog::logger> log)
    : loop_(loop), pipe_(pipe), leader_(leader), source_(std::move(source)), log_(std::move(log)) {}

AgentStream::~AgentStream() {
  *alive_ = false;
  reset();
}

void AgentStream::reset() {
  if (stream_) {
    stream_->cancel();
    stream_.reset();
  }
  if (heartbeat_timer_ != 0) {
    loop_.cancel(heartbeat_timer_);
    heartbeat_timer_ = 0;
  }
  id_.clear();
  by_tag_.clear();
  by_id_.clear();
  waiting_.clear();
}

void AgentStream::connect(AgentLink* agent) {
  by_tag_[agent->tag()] = agent;
  if (!stream_) {
    open(agent);
  } else if (id_.empty()) {
    waiting_.push_back(agent);
  } else {
    join(agent);
  }
}

void AgentStream::open(AgentLink* agent) {
  decoder_ = recordio::Decoder();
  master_ = leader_.current();
  master_.source = source_;
  internal::AgentCall call = agent->registrationCall();
  call.set_share_stream(true);
  call.set_stream_tag(agent->tag());
  stream_ = http::StreamingCall::open(
      loop_, master_, agentPost(call), kStreamHeadTimeout,
      {.on_head =
           [this](const http::Response& head) {
             if (head.status != 200) {
               ended(Status(StatusCode::kUnavailable,
                            fmt::format("registration refused: {}", head.status)),
                     &head);
             }
           },
       .on_data = [this](std::string_view data) { onData(data); },
       .on_closed =
           [this](const Status& why) {
             stream_.reset();  // ended: nothing to cancel
             ended(why, nullptr);
           }});
}

void AgentStream::join(AgentLink* agent) {
  internal::AgentCall call = agent->registrationCall();
  call.set_join_stream(id_);
  call.set_stream_tag(agent->tag());
  pipe_.send(agentPost(call), [this, alive = alive_, agent](Result<int> status) {
    if (!*alive || (status && *status == 202)) {
      return;  // its REGISTERED (or a SHUTDOWN) comes on the stream
    }
    auto it = by_tag_.find(agent->tag());
    if (it == by_tag_.end() || it->second != agent || agent->registered()) {
      return;  // it left, or registered anyway
    }
    forget(agent);
    agent->streamLost(status ? Status(StatusCode::kUnavailable,
                                      fmt::format("joining the stream refused: {}", *status))
                             : status.error(),
                      /*registered=*/false);
  });
}

bool AgentStream::carries(const AgentLink* agent, const http::Endpoint& master) const {
  if (!stream_ || master_.host != master.host || master_.port != master.port) {
    return false;
  }
  auto it = by_tag_.find(agent->tag());
  return it != by_tag_.end() && it->second == agent;
}

void AgentStream::forget(AgentLink* agent) {
  auto tag = by_tag_.find(agent->tag());
  if (tag != by_tag_.end() && tag->second == agent) {
    by_tag_.erase(tag);
  }
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    it = it->second == agent ? by_id_.erase(it) : std::next(it);
  }
  std::erase(waiting_, agent);
}

void AgentStream::leave(AgentLink* agent) {
  forget(agent);
  if (by_tag_.empty() && waiting_.empty()) {
    reset();  // no one left on it: the master sees it end
  }
}

void AgentStream::onData(std::string_view data) {
  auto events = recordio::decodeEvents<internal::AgentEvent>(decoder_, data);
  if (!events) {
    stream_->cancel();
    stream_.reset();
    return ended(events.error(), nullptr);
  }
  for (const auto& event : *events) {
    dispatch(event);
    if (!stream_) {
      return;  // ended while dispatching
    }
  }
}

void AgentStream::dispatch(const internal::AgentEvent& event) {
  if (event.type() == internal::AgentEvent::HEARTBEAT) {
    return;  // the master's ping of the stream
  }
  AgentLink* agent = nullptr;
  if (auto it = by_id_.find(event.agent_id().value()); it != by_id_.end()) {
    agent = it->second;
  } else if (auto tag = by_tag_.find(event.stream_tag());
             event.has_stream_tag() && tag != by_tag_.end()) {
    agent = tag->second;
  }
  if (agent == nullptr) {
    return;  // an agent that left the stream on this side
  }
  switch (event.type()) {
    case internal::AgentEvent::REGISTERED:
      return onRegistered(agent, event);
    case internal::AgentEvent::DETACHED:
      forget(agent);
      return agent->streamLost(Status(StatusCode::kUnavailable, "detached"), true);
    case internal::AgentEvent::SHUTDOWN:
      agent->streamEvent(event);
      if (!by_id_.contains(event.agent_id().value())) {
        forget(agent);  // the answer to its REGISTER: refused
        agent->streamLost(Status(StatusCode::kUnavailable, "registration refused"), false);
      }
      return;
    default:
      return agent->streamEvent(event);
  }
}

void AgentStream::onRegistered(AgentLink* agent, const internal::AgentEvent& event) {
  const auto& registered = event.registered();
  by_id_[registered.agent_id().value()] = agent;
  if (registered.has_stream_id() && id_.empty()) {
    id_ = registered.stream_id();
    for (AgentLink* waiting : std::exchange(waiting_, {})) {
      join(waiting);
    }
  }
  if (heartbeat_timer_ == 0) {
    const double seconds =
        registered.has_heartbeat_interval_seconds() ? registered.heartbeat_interval_seconds() : 5;
    heartbeat_timer_ =
        loop_.every(std::chrono::milliseconds(static_cast<int64_t>(std::max(seconds, 0.1) * 1000)),
                    [this] { heartbeats(); });
  }
  agent->streamRegistered(registered);
}

void AgentStream::ended(const Status& why, const http::Response* head) {
  if (stream_) {
    stream_->cancel();  // refused: its body is the reason, not events
    stream_.reset();
  }
  // Everyone on it is told once; the state is cleared first (they may connect again at once).
  std::vector<AgentLink*> agents;
  for (const auto& [tag, agent] : by_tag_) {
    agents.push_back(agent);
  }
  for (AgentLink* agent : waiting_) {
    if (std::find(agents.begin(), agents.end(), agent) == agents.end()) {
      agents.push_back(agent);
    }
  }
  reset();
  log_->debug("sim_agent_stream_ended agents={} reason=\"{}\"", agents.size(), why.message());
  for (AgentLink* agent : agents) {
    if (head != nullptr) {
      agent->streamRefused(*head);
    } else {
      agent->streamLost(why, agent->registered());
    }
  }
}

void AgentStream::addHeartbeat(const std::string& agent_id, const std::string& session) {
  auto* beat = batch_.add_heartbeats();
  beat->mutable_agent_id()->set_value(agent_id);
  beat->set_session(session);
}

void AgentStream::heartbeats() {
  batch_.Clear();
  batch_.set_type(internal::AgentCall::HEARTBEAT);
  collecting_ = true;
  for (const auto& [id, agent] : by_id_) {
    agent->heartbeat();  // its HEARTBEAT comes back through addHeartbeat()
  }
  collecting_ = false;
  if (batch_.heartbeats_size() > 0) {
    pipe_.sendFirst(agentPost(batch_));
  }
}

}  // namespace plateau::sim
