#include "master/allocator/allocator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "common/roles.h"
#include "master/allocator/allocation_round.h"
#include "master/allocator/explanations.h"
#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status unknownFramework(const std::string& id) {
  return Status(StatusCode::kNotFound, fmt::format("unknown framework '{}'", id));
}

Status unknownAgent(const std::string& id) {
  return Status(StatusCode::kNotFound, fmt::format("unknown agent '{}'", id));
}

}  // namespace

Allocator::Allocator(Options options) : options_(std::move(options)) {
  tree_.excludeFromFairness(options_.fair_sharing_excluded);
}

// ---------------------------------------------------------------------------------------------
// Frameworks and their seats

// ---------------------------------------------------------------------------------------------
// Bookkeeping of allocations and totals

void Allocator::addAllocation(uint32_t seat, uint32_t agent, const Resources& resources) {
  const QuotaBook::Change change = quota_.beforeChange(tree_.seat(seat).role);
  Agent& a = agents_[agent];
  auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                            [seat](const auto& item) { return item.first == seat; });
  if (entry == a.allocations.end()) {
    a.allocations.emplace_back(seat, resources);
  } else {
    entry->second += resources;
  }
  tree_.setUsesAgent(seat, agent, true);
  const ResourceVector vector = ResourceVector::of(resources);
  tree_.allocate(seat, vector);
  if (resources.unreservedOnly()) {
    quota_.addUnreservedAllocated(vector, true);
  } else {
    quota_.addUnreservedAllocated(unreservedVector(resources), true);
    tree_.trackReserved(resources, true, true);
  }
  if (quota_.afterChange(change)) {
    queue_.quotaRelaxed();  // guarantees met need less headroom
  }
}

void Allocator::removeAllocation(uint32_t seat, uint32_t agent, const Resources& resources) {
  const QuotaBook::Change change = quota_.beforeChange(tree_.seat(seat).role);
  Agent& a = agents_[agent];
  auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                            [seat](const auto& item) { return item.first == seat; });
  if (entry != a.allocations.end()) {
    entry->second -= resources;
    if (entry->second.empty()) {
      a.allocations.erase(entry);
      tree_.setUsesAgent(seat, agent, false);
    }
  }
  const ResourceVector vector = ResourceVector::of(resources);
  tree_.unallocate(seat, vector);
  if (resources.unreservedOnly()) {
    quota_.addUnreservedAllocated(vector, false);
  } else {
    quota_.addUnreservedAllocated(unreservedVector(resources), false);
    tree_.trackReserved(resources, true, false);
  }
  quota_.afterChange(change);
  queue_.quotaRelaxed();
}

void Allocator::trackTotal(const Agent& agent, bool add) {
  tree_.addTotal(agent.total_vector, add);
  quota_.addUnreservedTotal(agent.unreserved_vector, add);
  if (!agent.total.unreservedOnly()) {
    tree_.trackReserved(agent.total, false, add);
    quota_.reservationsChanged();  // unallocated reservations count towards guarantees
  }
  queue_.quotaRelaxed();
}

// ---------------------------------------------------------------------------------------------
// Agents

Status Allocator::addAgent(const std::string& agent_id, const Resources& total,
                           const std::vector<Allocation>& used_by_framework, AgentLabels labels) {
  if (agent_id.empty()) {
    return invalid("agent id is empty");
  }
  if (agents_.find(agent_id)) {
    return Status(StatusCode::kAlreadyExists, fmt::format("agent '{}' exists", agent_id));
  }
  Resources used;
  for (const auto& [framework_id, role, resources] : used_by_framework) {
    if (framework_id.empty()) {
      return invalid(fmt::format("agent '{}' names an empty framework id", agent_id));
    }
    if (Status status = roles::validate(role); !status.isOk()) {
      return invalid(fmt::format("agent '{}': {}", agent_id, status.message()));
    }
    used += resources;
  }
  // Revocable resources in use may outlast the estimate that offered them (it comes later).
  if (!total.contains(used.nonRevocable())) {
    return invalid(fmt::format("agent '{}' uses {} beyond its total {}", agent_id, used.toString(),
                               total.toString()));
  }
  const uint32_t handle = agents_.add(agent_id);
  Agent& agent = agents_[handle];
  agent.resetTotal(total);
  agent.free = total - used;
  agent.labels = std::move(labels);
  agent.whitelisted = !whitelist_ || whitelist_->contains(agent.labels.hostname);
  filters_.addAgent(handle);
  trackTotal(agent, true);
  for (const auto& [framework_id, role, resources] : used_by_framework) {
    if (!resources.empty()) {
      addAllocation(frameworks_.seatFor(frameworks_.orPlaceholder(framework_id), role), handle,
                    resources);
    }
  }
  queue_.markDirty(handle);
  return Status::ok();
}

Status Allocator::updateAgentTotal(const std::string& agent_id, const Resources& total) {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  Agent& agent = agents_[*found];
  Resources used;
  for (const auto& [seat, resources] : agent.allocations) {
    used += resources.nonRevocable();
  }
  if (!total.nonRevocable().contains(used)) {
    return invalid(fmt::format("agent '{}': new total {} does not hold the allocated {}", agent_id,
                               total.toString(), used.toString()));
  }
  const Resources revocable_free = agent.free.revocable();
  trackTotal(agent, false);
  agent.resetTotal(total.nonRevocable() + agent.total.revocable());
  agent.free = agent.total.nonRevocable() - used + revocable_free;
  trackTotal(agent, true);
  queue_.markDirty(*found);
  return Status::ok();
}

Status Allocator::updateOversubscribed(const std::string& agent_id, const Resources& revocable) {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  if (std::any_of(revocable.begin(), revocable.end(),
                  [](const Resource& r) { return !r.revocable; })) {
    return invalid(fmt::format("agent '{}': oversubscribed resources {} are not all revocable",
                               agent_id, revocable.toString()));
  }
  Agent& agent = agents_[*found];
  trackTotal(agent, false);
  agent.resetTotal(agent.total.nonRevocable() + revocable);
  trackTotal(agent, true);
  agent.free = agent.free.nonRevocable();
  clampRevocableFree(agent);
  queue_.markDirty(*found);
  return Status::ok();
}

void Allocator::clampRevocableFree(Agent& agent) {
  Resources used;
  for (const auto& [seat, resources] : agent.allocations) {
    used += resources.revocable();
  }
  agent.free = agent.free.nonRevocable() + (agent.total.revocable() - used);
}

Status Allocator::updateAgentLabels(const std::string& agent_id, AgentLabels labels) {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  Agent& agent = agents_[*found];
  agent.labels = std::move(labels);
  agent.whitelisted = !whitelist_ || whitelist_->contains(agent.labels.hostname);
  queue_.markDirty(*found);  // roles its old labels kept out may take its free resources now
  return Status::ok();
}

Status Allocator::removeAgent(const std::string& agent_id) {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  const uint32_t handle = *found;
  Agent& agent = agents_[handle];
  const auto allocations = agent.allocations;
  for (const auto& [seat, resources] : allocations) {
    removeAllocation(seat, handle, resources);
    tree_.setUsesAgent(seat, handle, false);
  }
  agent.allocations.clear();
  filters_.removeAgent(handle);
  trackTotal(agent, false);
  agents_.release(handle);
  for (const auto& [seat, resources] : allocations) {
    frameworks_.maybeReleaseSeat(seat);
  }
  return Status::ok();
}

Status Allocator::activateAgent(const std::string& agent_id) {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  if (!agents_[*found].active) {
    agents_[*found].active = true;
    queue_.markDirty(*found);
  }
  return Status::ok();
}

Status Allocator::deactivateAgent(const std::string& agent_id) {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  agents_[*found].active = false;
  return Status::ok();
}

void Allocator::updateWhitelist(std::optional<std::set<std::string>> hostnames) {
  whitelist_ = std::move(hostnames);
  for (uint32_t handle = 0; handle < agents_.bound(); ++handle) {
    if (!agents_.live(handle)) {
      continue;
    }
    Agent& agent = agents_[handle];
    const bool listed = !whitelist_ || whitelist_->contains(agent.labels.hostname);
    if (listed && !agent.whitelisted) {
      queue_.markDirty(handle);  // its free resources wait for an offer again
    }
    agent.whitelisted = listed;
  }
}

// ---------------------------------------------------------------------------------------------
// Frameworks

Status Allocator::addFramework(const std::string& framework_id, const FrameworkSpec& spec,
                               bool active) {
  return frameworks_.add(framework_id, spec, active);
}

Status Allocator::updateFramework(const std::string& framework_id, const FrameworkSpec& spec) {
  return frameworks_.update(framework_id, spec);
}

Status Allocator::removeFramework(const std::string& framework_id) {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  const std::vector<uint32_t> seats = frameworks_[*found].seats;
  for (uint32_t seat : seats) {
    tree_.seat(seat).agents_used.forEach([&](size_t index) {
      const auto agent = static_cast<uint32_t>(index);
      Agent& a = agents_[agent];
      for (const auto& [holder, resources] : a.allocations) {
        if (holder == seat) {
          a.free += resources;
          const bool revocable = a.has_revocable || !resources.revocable().empty();
          removeAllocation(seat, agent, Resources(resources));
          if (revocable) {
            clampRevocableFree(a);
          }
          break;
        }
      }
      queue_.markDirty(agent);
    });
    frameworks_.unsubscribe(seat);
  }
  frameworks_.forget(*found);
  return Status::ok();
}

Status Allocator::activateFramework(const std::string& framework_id) {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  frameworks_.setActive(*found, true);
  return Status::ok();
}

Status Allocator::deactivateFramework(const std::string& framework_id) {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  frameworks_.setActive(*found, false);
  return Status::ok();
}

Status Allocator::pauseOffers(const std::string& framework_id, bool paused) {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  if (frameworks_[*found].paused != paused) {
    frameworks_.setPaused(*found, paused);
  }
  return Status::ok();
}

Status Allocator::suppress(const std::string& framework_id, const std::set<std::string>& roles) {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  frameworks_.suppress(*found, roles);
  return Status::ok();
}

Status Allocator::revive(const std::string& framework_id, const std::set<std::string>& roles) {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  frameworks_.revive(*found, roles);
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Roles: weights and quota

Status Allocator::setWeight(const std::string& role_name, double weight) {
  if (!std::isfinite(weight) || weight <= 0) {
    return invalid(
        fmt::format("weight {} of role '{}' is not finite and positive", weight, role_name));
  }
  if (Status status = roles::validate(role_name); !status.isOk()) {
    return status;
  }
  return tree_.setWeight(role_name, weight);
}

Status Allocator::setQuota(const std::string& role_name, const Quota& quota) {
  const Result<QuotaLimits> limits = parseQuota(role_name, quota);
  if (!limits) {
    return limits.error();
  }
  if (limits->none && !tree_.find(role_name)) {
    return Status::ok();
  }
  const uint32_t role = tree_.roleFor(role_name);
  quota_.set(role, *limits);
  tree_.setPinned(role, !limits->none);
  // Guarantees or limits moved: every agent with free resources may now go elsewhere.
  markAllWithFree(agents_, queue_);
  if (limits->none) {
    tree_.maybeRelease(role);
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Recovery

Status Allocator::checkHolds(const std::string& framework_id, const std::string& role,
                             const std::string& agent_id, const Resources& resources,
                             uint32_t& framework_out, uint32_t& agent_out,
                             uint32_t& seat_out) const {
  const auto framework = frameworks_.find(framework_id);
  if (!framework) {
    return unknownFramework(framework_id);
  }
  const auto agent = agents_.find(agent_id);
  if (!agent) {
    return unknownAgent(agent_id);
  }
  const std::optional<uint32_t> seat = frameworks_.seatNamed(*framework, role);
  const auto& allocations = agents_[*agent].allocations;
  const auto entry = std::find_if(allocations.begin(), allocations.end(),
                                  [&](const auto& item) { return seat && item.first == *seat; });
  if (entry == allocations.end() || !entry->second.contains(resources)) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("framework '{}' does not hold {} on agent '{}' in role '{}'",
                              framework_id, resources.toString(), agent_id, role));
  }
  framework_out = *framework;
  agent_out = *agent;
  seat_out = *seat;
  return Status::ok();
}

Status Allocator::recoverResources(const std::string& framework_id, const std::string& role,
                                   const std::string& agent_id, const Resources& resources,
                                   std::optional<std::chrono::nanoseconds> refuse, TimePoint now) {
  uint32_t framework = kNone, agent = kNone, seat = kNone;
  if (Status status = checkHolds(framework_id, role, agent_id, resources, framework, agent, seat);
      !status.isOk()) {
    return status;
  }
  removeAllocation(seat, agent, resources);
  agents_[agent].free += resources;
  if (agents_[agent].has_revocable || !resources.revocable().empty()) {
    clampRevocableFree(agents_[agent]);  // the estimate may have shrunk meanwhile
  }
  queue_.markDirty(agent);
  if (refuse.has_value() && !resources.empty() && tree_.seat(seat).subscribed) {
    const std::chrono::nanoseconds duration =
        *refuse < std::chrono::nanoseconds::zero() ? options_.default_refuse : *refuse;
    if (duration > std::chrono::nanoseconds::zero()) {
      filters_.add(seat, agent, resources, duration, now);
    }
  }
  frameworks_.maybeReleaseSeat(seat);
  return Status::ok();
}

Status Allocator::updateAllocation(const std::string& framework_id, const std::string& role,
                                   const std::string& agent_id, const Resources& from,
                                   const Resources& to) {
  uint32_t framework = kNone, agent = kNone, seat = kNone;
  if (Status status = checkHolds(framework_id, role, agent_id, from, framework, agent, seat);
      !status.isOk()) {
    return status;
  }
  Agent& a = agents_[agent];
  Resources total = a.total;
  total -= from;
  total += to;
  trackTotal(a, false);
  removeAllocation(seat, agent, from);
  a.resetTotal(std::move(total));
  trackTotal(a, true);
  addAllocation(seat, agent, to);
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Allocation

std::vector<Offer> Allocator::allocate(TimePoint now) {
  return allocate(now, std::numeric_limits<size_t>::max());
}

std::vector<Offer> Allocator::allocate(TimePoint now, size_t max_agents) {
  last_round_ = RoundStats{};
  ++round_;
  std::vector<uint32_t> expired;
  filters_.expire(now, expired);
  for (uint32_t agent : expired) {
    ++last_round_.agents_with_expired_filters;
    queue_.markDirty(agent);
  }
  tree_.syncTotals();
  queue_.requeueHeld([this](uint32_t agent) { return agents_.live(agent); });
  std::vector<Offer> offers;
  AllocationRound round(agents_, tree_, quota_, filters_, rules_, queue_, last_round_,
                        [&](uint32_t agent, uint32_t seat, Resources resources) {
                          offer(agent, seat, std::move(resources), offers);
                        });
  round.run(std::max<size_t>(max_agents, 1));
  last_round_.offers = offers.size();
  return offers;
}

void Allocator::offer(uint32_t agent, uint32_t seat, Resources resources,
                      std::vector<Offer>& offers) {
  // The round took `resources` off the agent's free resources.
  addAllocation(seat, agent, resources);
  tree_.markOffered(seat, round_);
  const RoleTree::Seat& s = tree_.seat(seat);
  offers.push_back(Offer{frameworks_.table().id(s.framework), agents_.id(agent), tree_.name(s.role),
                         std::move(resources)});
}

bool Allocator::pending() const { return queue_.hasDirty() || queue_.sweeping(); }

// ---------------------------------------------------------------------------------------------
// Introspection

Result<Resources> Allocator::allocation(const std::string& framework_id) const {
  const auto found = frameworks_.find(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  Resources total;
  for (uint32_t seat : frameworks_[*found].seats) {
    tree_.seat(seat).agents_used.forEach([&](size_t agent) {
      for (const auto& [holder, resources] : agents_[static_cast<uint32_t>(agent)].allocations) {
        if (holder == seat) {
          total += resources;
        }
      }
    });
  }
  return total;
}

Result<Resources> Allocator::available(const std::string& agent_id) const {
  const auto found = agents_.find(agent_id);
  if (!found) {
    return std::unexpected(unknownAgent(agent_id));
  }
  return agents_[*found].free;
}

Result<double> Allocator::frameworkShare(const std::string& framework_id) const {
  const auto found = frameworks_.find(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  ResourceVector total;
  for (uint32_t seat : frameworks_[*found].seats) {
    total += tree_.seat(seat).allocated;
  }
  return dominantShare(total, tree_.total());
}

Result<double> Allocator::roleShare(const std::string& role_name) const {
  const auto found = tree_.find(role_name);
  if (!found) {
    return notFound(fmt::format("unknown role '{}'", role_name));
  }
  return dominantShare(tree_.role(*found).allocated, tree_.total());
}

Result<std::vector<Explanation>> Allocator::explainFramework(
    const std::string& framework_id) const {
  const auto found = frameworks_.findAdded(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  return Explainer(agents_, frameworks_.table(), sorted(), quota_, filters_, rules_, round_)
      .framework(*found);
}

Result<Explanation> Allocator::explainRole(const std::string& role_name) const {
  const auto found = tree_.find(role_name);
  if (!found) {
    return notFound(fmt::format("unknown role '{}'", role_name));
  }
  return Explainer(agents_, frameworks_.table(), sorted(), quota_, filters_, rules_, round_)
      .role(*found);
}

}  // namespace plateau::master::allocator
