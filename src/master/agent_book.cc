#include "master/agent_book.h"

#include <fmt/format.h>

#include "common/invariant.h"

namespace plateau::master {
namespace {

// The revocable scalars named cpus, mem, disk and gpus (ResourceVector::of leaves them out).
ResourceVector revocableScalars(const Resources& resources) {
  static constexpr std::pair<const char*, ResourceVector::Slot> kSlots[] = {
      {"cpus", ResourceVector::kCpus},
      {"mem", ResourceVector::kMem},
      {"disk", ResourceVector::kDisk},
      {"gpus", ResourceVector::kGpus}};
  ResourceVector vector;
  for (const Resource& r : resources) {
    if (!r.revocable || r.type != ResourceType::kScalar) {
      continue;
    }
    for (const auto& [name, slot] : kSlots) {
      if (r.name == name) {
        vector.milli[slot] += r.scalar_milli;
      }
    }
  }
  return vector;
}

}  // namespace

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
  }
  for (auto& [key, link] : links_) {
    // The stream may outlive the book (or die with it): its end must not reach the book.
    link.stream->onClosed([] {});
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

void AgentBook::attach(Agent& agent, std::shared_ptr<http::Stream> stream,
                       const std::string& shared_id, const std::string& principal) {
  leave(agent);
  http::Stream* key = stream.get();
  Link& link = links_[key];
  link.stream = std::move(stream);
  link.shared_id = shared_id;
  link.principal = principal;
  if (!shared_id.empty()) {
    shared_ids_[shared_id] = &link;  // a node of links_: stays where it is until erased
  }
  enter(agent, link);
  // Last: a stream that has ended already reports it at once (the agent is on it by then).
  link.stream->onClosed([this, key] { linkClosed(key); });
}

const AgentBook::Link* AgentBook::findShared(const std::string& shared_id) const {
  auto it = shared_ids_.find(shared_id);
  return it == shared_ids_.end() || it->second->stream->closed() ? nullptr : it->second;
}

bool AgentBook::join(Agent& agent, const std::string& shared_id) {
  auto it = shared_ids_.find(shared_id);
  if (it == shared_ids_.end() || it->second->stream->closed()) {
    return false;
  }
  Link& link = *it->second;
  if (agent.stream != link.stream) {
    leave(agent);
  }
  enter(agent, link);
  return true;
}

void AgentBook::enter(Agent& agent, Link& link) {
  link.agents.insert(agent.id);
  agent.stream = link.stream;
  agent.shared_stream = !link.shared_id.empty();
  connected_count_ += agent.connected ? 0 : 1;
  agent.connected = true;
  heard(agent);
  if (agent.ping_timer == 0) {
    agent.ping_timer = timers_.every(ping_interval_, [this, id = agent.id] { checkPing(id); });
  }
}

void AgentBook::leave(Agent& agent) {
  std::shared_ptr<http::Stream> stream = std::move(agent.stream);
  agent.shared_stream = false;
  if (!stream) {
    return;
  }
  auto it = links_.find(stream.get());
  if (it == links_.end() || it->second.stream != stream) {
    return;  // its end was reported already
  }
  it->second.agents.erase(agent.id);
  if (!it->second.agents.empty()) {
    return;  // a shared link stays open for the agents still on it
  }
  if (!it->second.shared_id.empty()) {
    shared_ids_.erase(it->second.shared_id);
  }
  links_.erase(it);
  stream->onClosed([] {});  // no longer a link: its end goes unreported
  stream->close();
}

void AgentBook::linkClosed(http::Stream* key) {
  auto node = links_.extract(key);
  if (node.empty()) {
    return;
  }
  Link& link = node.mapped();
  if (!link.shared_id.empty()) {
    shared_ids_.erase(link.shared_id);
  }
  for (const std::string& id : link.agents) {
    Agent* agent = find(id);
    if (agent != nullptr && agent->stream == link.stream) {
      hooks_.disconnected(id);
    }
  }
}

void AgentBook::detach(Agent& agent) {
  connected_count_ -= agent.connected ? 1 : 0;
  agent.connected = false;
  leave(agent);
}

size_t AgentBook::onLinkWith(const Agent& agent) const {
  auto it = agent.stream ? links_.find(agent.stream.get()) : links_.end();
  return it == links_.end() ? 0 : it->second.agents.size();
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
  revocable_total_scalars_ -= revocableScalars(it->second.oversubscribed_);
  revocable_used_scalars_ -= revocableScalars(it->second.used_);
  // Not a SHUTDOWN: an unreachable agent may come back and re-register. Its own link is
  // closed; a shared one stays open for the others.
  leave(it->second);
  agents_.erase(it);
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
  bool ping = true;
  if (agent->shared_stream) {
    // One ping per shared link per half interval, whichever of its agents is due first.
    auto link = links_.find(agent->stream.get());
    if (link != links_.end()) {
      ping = clock_.now() - link->second.pinged >= ping_interval_ / 2;
      link->second.pinged = ping ? clock_.now() : link->second.pinged;
    }
  }
  if (ping) {
    hooks_.ping(*agent);
  }
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
  revocable_used_scalars_ += revocableScalars(resources);
}

void AgentBook::setOversubscribed(Agent& agent, Resources oversubscribed) {
  revocable_total_scalars_ -= revocableScalars(agent.oversubscribed_);
  revocable_total_scalars_ += revocableScalars(oversubscribed);
  agent.oversubscribed_ = std::move(oversubscribed);
}

void AgentBook::release(Agent& agent, const Resources& resources) {
  if (!agent.used_.contains(resources)) {
    invariantBroken(fmt::format("agent {} releases {} but uses {}", agent.id, resources.toString(),
                                agent.used_.toString()));
  }
  agent.used_ -= resources;
  used_scalars_ -= ResourceVector::of(resources);
  revocable_used_scalars_ -= revocableScalars(resources);
}

}  // namespace plateau::master
