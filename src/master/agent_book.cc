#include "master/agent_book.h"

#include <fmt/format.h>

#include "common/invariant.h"

namespace plateau::master {

AgentBook::AgentBook(Timers& timers, const Clock& clock, std::chrono::nanoseconds ping_interval,
                     int max_missed_pings, Hooks hooks)
    : timers_(timers),
      clock_(clock),
      ping_interval_(ping_interval),
      max_missed_pings_(max_missed_pings),
      hooks_(std::move(hooks)) {}

AgentBook::~AgentBook() {
  for (auto& [id, agent] : agents_) {
    if (agent.ping_timer != 0) {
      timers_.cancel(agent.ping_timer);
    }
    if (agent.stream) {
      // The stream may outlive the book (or die with it): its end must not reach the book.
      agent.stream->onClosed([] {});
    }
  }
  if (expected_timer_ != 0) {
    timers_.cancel(expected_timer_);
  }
}

Agent* AgentBook::find(const std::string& id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

const Agent* AgentBook::find(const std::string& id) const {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

std::pair<Agent&, bool> AgentBook::admit(const std::string& id) {
  auto [it, inserted] = agents_.try_emplace(id);
  if (inserted) {
    it->second.id = id;
    expected_.erase(id);
  }
  return {it->second, inserted};
}

void AgentBook::attach(Agent& agent, std::shared_ptr<http::Stream> stream) {
  if (auto old = std::move(agent.stream)) {
    old->close();  // no longer the agent's link: its end goes unreported
  }
  agent.stream = std::move(stream);
  connected_count_ += agent.connected ? 0 : 1;
  agent.connected = true;
  heard(agent);
  std::weak_ptr<http::Stream> weak = agent.stream;
  agent.stream->onClosed([this, id = agent.id, weak] {
    Agent* current = find(id);
    if (current != nullptr && current->stream != nullptr && current->stream == weak.lock()) {
      hooks_.disconnected(id);
    }
  });
  if (agent.ping_timer == 0) {
    agent.ping_timer = timers_.every(ping_interval_, [this, id = agent.id] { checkPing(id); });
  }
}

void AgentBook::detach(Agent& agent) {
  connected_count_ -= agent.connected ? 1 : 0;
  agent.connected = false;
  agent.stream.reset();
}

void AgentBook::remove(const std::string& id) {
  auto it = agents_.find(id);
  if (it == agents_.end()) {
    return;
  }
  if (it->second.ping_timer != 0) {
    timers_.cancel(it->second.ping_timer);
  }
  connected_count_ -= it->second.connected ? 1 : 0;
  total_scalars_ -= ResourceVector::of(it->second.total_);
  used_scalars_ -= ResourceVector::of(it->second.used_);
  auto stream = std::move(it->second.stream);
  agents_.erase(it);
  if (stream) {
    stream->close();  // not a SHUTDOWN: an unreachable agent may come back and re-register
  }
}

bool AgentBook::beginRemoval(const std::string& id) {
  Agent* agent = find(id);
  if (agent == nullptr || agent->removing) {
    return false;
  }
  agent->removing = true;
  return true;
}

void AgentBook::endRemoval(const std::string& id) {
  if (Agent* agent = find(id)) {
    agent->removing = false;
  }
}

void AgentBook::checkPing(const std::string& id) {
  Agent* agent = find(id);
  if (agent == nullptr) {
    return;
  }
  hooks_.ping(*agent);
  if (!agent->removing && clock_.now() - agent->last_heard > ping_interval_ * max_missed_pings_) {
    hooks_.silent(id);
  }
}

void AgentBook::expect(std::map<std::string, mesos::v1::AgentInfo> agents,
                       std::chrono::nanoseconds timeout) {
  expected_ = std::move(agents);
  if (expected_timer_ != 0) {
    timers_.cancel(expected_timer_);
    expected_timer_ = 0;
  }
  if (!expected_.empty()) {
    expected_timer_ = timers_.after(timeout, [this] { expectedTimeout(); });
  }
}

void AgentBook::expectedTimeout() {
  expected_timer_ = 0;
  std::vector<std::string> missing;
  for (const auto& [id, info] : expected_) {
    missing.push_back(id);
  }
  if (!missing.empty()) {
    hooks_.not_back(missing);
  }
}

std::vector<internal::AgentEvent> AgentBook::takeHeld(const std::string& id) {
  auto held = held_.extract(id);
  return held ? std::move(held.mapped()) : std::vector<internal::AgentEvent>{};
}

void AgentBook::convert(Agent& agent, const Resources& from, const Resources& to) {
  if (!agent.total_.contains(from)) {
    invariantBroken(fmt::format("agent {} converts {} but has {}", agent.id, from.toString(),
                                agent.total_.toString()));
  }
  agent.total_ -= from;
  agent.total_ += to;
  total_scalars_ -= ResourceVector::of(from);
  total_scalars_ += ResourceVector::of(to);
}

void AgentBook::setTotal(Agent& agent, Resources total) {
  total_scalars_ -= ResourceVector::of(agent.total_);
  total_scalars_ += ResourceVector::of(total);
  agent.total_ = std::move(total);
}

void AgentBook::use(Agent& agent, const Resources& resources) {
  agent.used_ += resources;
  used_scalars_ += ResourceVector::of(resources);
}

void AgentBook::release(Agent& agent, const Resources& resources) {
  if (!agent.used_.contains(resources)) {
    invariantBroken(fmt::format("agent {} releases {} but uses {}", agent.id, resources.toString(),
                                agent.used_.toString()));
  }
  agent.used_ -= resources;
  used_scalars_ -= ResourceVector::of(resources);
}

}  // namespace plateau::master
