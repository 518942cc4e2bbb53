#include "master/allocator/allocator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace plateau::master::allocator {

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "Allocator: %s\n", what.c_str());
  std::abort();
}

template <class T>
T checked(Result<T> result) {
  if (!result) {
    die(result.error().message());
  }
  return *std::move(result);
}

template <class T>
uint32_t takeSlot(std::vector<T>& slots, std::vector<uint32_t>& free_slots) {
  if (!free_slots.empty()) {
    const uint32_t slot = free_slots.back();
    free_slots.pop_back();
    return slot;
  }
  slots.emplace_back();
  return static_cast<uint32_t>(slots.size() - 1);
}

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

Allocator::Allocator(Options options) : options_(options) {}

// ---------------------------------------------------------------------------------------------
// Lookups and lifecycle of handles

std::optional<uint32_t> Allocator::findAgent(const std::string& agent_id) const {
  const auto it = agent_ids_.find(agent_id);
  return it == agent_ids_.end() ? std::nullopt : std::optional(it->second);
}

std::optional<uint32_t> Allocator::findFramework(const std::string& framework_id) const {
  const auto it = framework_ids_.find(framework_id);
  return it == framework_ids_.end() ? std::nullopt : std::optional(it->second);
}

std::optional<uint32_t> Allocator::findAddedFramework(const std::string& framework_id) const {
  const auto found = findFramework(framework_id);
  if (!found || frameworks_[*found].role == kNone) {
    return std::nullopt;
  }
  return found;
}

uint32_t Allocator::frameworkOrPlaceholder(const std::string& framework_id) {
  if (auto found = findFramework(framework_id)) {
    return *found;
  }
  const uint32_t handle = takeSlot(frameworks_, free_frameworks_);
  frameworks_[handle] = Framework{};
  frameworks_[handle].id = framework_id;
  frameworks_[handle].live = true;
  framework_ids_.emplace(framework_id, handle);
  return handle;
}

void Allocator::forgetIfPlaceholder(uint32_t framework) {
  Framework& f = frameworks_[framework];
  if (f.role == kNone && f.agents_used.none()) {
    framework_ids_.erase(f.id);
    f = Framework{};
    free_frameworks_.push_back(framework);
  }
}

uint32_t Allocator::roleFor(const std::string& name) {
  if (const auto it = role_ids_.find(name); it != role_ids_.end()) {
    return it->second;
  }
  const uint32_t handle = takeSlot(roles_, free_roles_);
  Role& role = roles_[handle];
  role = Role{};
  role.name = name;
  role.live = true;
  role.frameworks.setTotal(cluster_total_);
  const auto weight = weights_.find(name);
  role.client = checked(role_sorter_.add(name, weight == weights_.end() ? 1.0 : weight->second));
  // A role takes part in sorting only while it has a framework that can take offers.
  role_sorter_.deactivate(role.client);
  if (role_of_client_.size() <= role.client) {
    role_of_client_.resize(role.client + 1, kNone);
  }
  role_of_client_[role.client] = handle;
  role_ids_.emplace(name, handle);
  return handle;
}

void Allocator::releaseRole(uint32_t handle) {
  Role& role = roles_[handle];
  role_sorter_.remove(role.client);
  role_ids_.erase(role.name);
  role = Role{};
  free_roles_.push_back(handle);
}

bool Allocator::eligible(const Framework& framework) const {
  return framework.role != kNone && framework.active && !framework.suppressed;
}

bool Allocator::updateEligibility(uint32_t framework, bool before) {
  const Framework& f = frameworks_[framework];
  const bool after = eligible(f);
  if (before == after) {
    return false;
  }
  Role& role = roles_[f.role];
  if (after) {
    role.frameworks.activate(f.client);
    if (role.eligible++ == 0) {
      role_sorter_.activate(role.client);
    }
    newly_eligible_.push_back(framework);
    return true;
  }
  role.frameworks.deactivate(f.client);
  if (--role.eligible == 0) {
    role_sorter_.deactivate(role.client);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping

void Allocator::addAllocation(uint32_t framework, uint32_t agent, const Resources& resources) {
  Agent& a = agents_[agent];
  Framework& f = frameworks_[framework];
  auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                            [framework](const auto& item) { return item.first == framework; });
  if (entry == a.allocations.end()) {
    a.allocations.emplace_back(framework, resources);
  } else {
    entry->second += resources;
  }
  f.agents_used.set(agent);
  const ResourceVector vector = ResourceVector::of(resources);
  f.allocated += vector;
  if (f.role != kNone) {
    Role& role = roles_[f.role];
    role.frameworks.allocated(f.client, vector);
    role_sorter_.allocated(role.client, vector);
  }
}

void Allocator::removeAllocation(uint32_t framework, uint32_t agent, const Resources& resources) {
  Agent& a = agents_[agent];
  Framework& f = frameworks_[framework];
  auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                            [framework](const auto& item) { return item.first == framework; });
  if (entry != a.allocations.end()) {
    entry->second -= resources;
    if (entry->second.empty()) {
      a.allocations.erase(entry);
      f.agents_used.reset(agent);
    }
  }
  const ResourceVector vector = ResourceVector::of(resources);
  f.allocated -= vector;
  if (f.role != kNone) {
    Role& role = roles_[f.role];
    role.frameworks.unallocated(f.client, vector);
    role_sorter_.unallocated(role.client, vector);
  }
}

void Allocator::markDirty(uint32_t agent) {
  if (in_dirty_.size() <= agent) {
    in_dirty_.resize(agents_.size(), 0);
  }
  if (in_dirty_[agent] == 0) {
    in_dirty_[agent] = 1;
    dirty_agents_.push_back(agent);
  }
}

void Allocator::syncTotals() {
  if (!totals_changed_) {
    return;
  }
  role_sorter_.setTotal(cluster_total_);
  for (Role& role : roles_) {
    if (role.live) {
      role.frameworks.setTotal(cluster_total_);
    }
  }
  totals_changed_ = false;
}

// ---------------------------------------------------------------------------------------------
// Agents

Status Allocator::addAgent(
    const std::string& agent_id, const Resources& total,
    const std::vector<std::pair<std::string, Resources>>& used_by_framework) {
  if (agent_id.empty()) {
    return invalid("agent id is empty");
  }
  if (findAgent(agent_id)) {
    return Status(StatusCode::kAlreadyExists, fmt::format("agent '{}' exists", agent_id));
  }
  Resources used;
  for (const auto& [framework_id, resources] : used_by_framework) {
    if (framework_id.empty()) {
      return invalid(fmt::format("agent '{}' names an empty framework id", agent_id));
    }
    used += resources;
  }
  if (!total.contains(used)) {
    return invalid(fmt::format("agent '{}' uses {} beyond its total {}", agent_id, used.toString(),
                               total.toString()));
  }
  const uint32_t handle = takeSlot(agents_, free_agents_);
  Agent& agent = agents_[handle];
  agent = Agent{};
  agent.id = agent_id;
  agent.total = total;
  agent.free = total - used;
  agent.total_vector = ResourceVector::of(total);
  agent.live = true;
  agent_ids_.emplace(agent_id, handle);
  for (const auto& [framework_id, resources] : used_by_framework) {
    if (!resources.empty()) {
      addAllocation(frameworkOrPlaceholder(framework_id), handle, resources);
    }
  }
  cluster_total_ += agent.total_vector;
  totals_changed_ = true;
  markDirty(handle);
  return Status::ok();
}

Status Allocator::removeAgent(const std::string& agent_id) {
  const auto found = findAgent(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  const uint32_t handle = *found;
  Agent& agent = agents_[handle];
  const auto allocations = std::move(agent.allocations);
  agent.allocations.clear();
  for (const auto& [framework, resources] : allocations) {
    removeAllocation(framework, handle, resources);
    frameworks_[framework].agents_used.reset(handle);
    forgetIfPlaceholder(framework);
  }
  for (uint32_t framework : agent.filters.frameworks()) {
    frameworks_[framework].agents_filtered.reset(handle);
  }
  if (agent.next_expiry != TimePoint::max()) {
    expiries_.erase({agent.next_expiry, handle});
  }
  cluster_total_ -= agent.total_vector;
  totals_changed_ = true;
  agent_ids_.erase(agent.id);
  agent = Agent{};
  free_agents_.push_back(handle);
  return Status::ok();
}

Status Allocator::activateAgent(const std::string& agent_id) {
  const auto found = findAgent(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  if (!agents_[*found].active) {
    agents_[*found].active = true;
    markDirty(*found);
  }
  return Status::ok();
}

Status Allocator::deactivateAgent(const std::string& agent_id) {
  const auto found = findAgent(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  agents_[*found].active = false;
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Frameworks

Status Allocator::addFramework(const std::string& framework_id, const std::string& role_name,
                               bool active) {
  if (framework_id.empty() || role_name.empty()) {
    return invalid(
        fmt::format("framework '{}' needs a non-empty id and role '{}'", framework_id, role_name));
  }
  if (auto found = findFramework(framework_id); found && frameworks_[*found].role != kNone) {
    return Status(StatusCode::kAlreadyExists, fmt::format("framework '{}' exists", framework_id));
  }
  const uint32_t handle = frameworkOrPlaceholder(framework_id);
  const uint32_t role_handle = roleFor(role_name);
  Role& role = roles_[role_handle];
  Framework& framework = frameworks_[handle];
  framework.role = role_handle;
  framework.client = checked(role.frameworks.add(framework_id));
  role.frameworks.deactivate(framework.client);
  if (role.framework_of_client.size() <= framework.client) {
    role.framework_of_client.resize(framework.client + 1, kNone);
  }
  role.framework_of_client[framework.client] = handle;
  ++role.members;
  // Resources an agent reported before the framework was added count from now on.
  role.frameworks.allocated(framework.client, framework.allocated);
  role_sorter_.allocated(role.client, framework.allocated);
  framework.active = active;
  framework.suppressed = false;
  updateEligibility(handle, false);
  return Status::ok();
}

Status Allocator::removeFramework(const std::string& framework_id) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  const uint32_t handle = *found;
  Framework& framework = frameworks_[handle];
  framework.agents_used.forEach([&](size_t agent) {
    Agent& a = agents_[agent];
    for (const auto& [holder, resources] : a.allocations) {
      if (holder == handle) {
        a.free += resources;
      }
    }
    std::erase_if(a.allocations, [handle](const auto& item) { return item.first == handle; });
    markDirty(static_cast<uint32_t>(agent));
  });
  clearFilters(handle);
  const bool was_eligible = eligible(framework);
  framework.active = false;
  updateEligibility(handle, was_eligible);
  Role& role = roles_[framework.role];
  role_sorter_.unallocated(role.client, framework.allocated);
  role.frameworks.remove(framework.client);
  role.framework_of_client[framework.client] = kNone;
  if (--role.members == 0) {
    releaseRole(framework.role);
  }
  framework_ids_.erase(framework.id);
  framework = Framework{};
  free_frameworks_.push_back(handle);
  return Status::ok();
}

Result<std::pair<uint32_t, bool>> Allocator::setFrameworkFlag(const std::string& framework_id,
                                                                bool Framework::*flag,
                                                                bool value) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  Framework& framework = frameworks_[*found];
  const bool before = eligible(framework);
  framework.*flag = value;
  return std::pair{*found, updateEligibility(*found, before)};
}

Status Allocator::activateFramework(const std::string& framework_id) {
  auto set = setFrameworkFlag(framework_id, &Framework::active, true);
  return set ? Status::ok() : set.error();
}

Status Allocator::deactivateFramework(const std::string& framework_id) {
  auto set = setFrameworkFlag(framework_id, &Framework::active, false);
  if (!set) {
    return set.error();
  }
  clearFilters(set->first);
  return Status::ok();
}

Status Allocator::suppress(const std::string& framework_id) {
  auto set = setFrameworkFlag(framework_id, &Framework::suppressed, true);
  return set ? Status::ok() : set.error();
}

Status Allocator::revive(const std::string& framework_id) {
  auto set = setFrameworkFlag(framework_id, &Framework::suppressed, false);
  if (!set) {
    return set.error();
  }
  auto [handle, rose] = *set;
  if (!rose) {
    // Eligible before and after: only the agents it had filtered can change hands.
    frameworks_[handle].agents_filtered.forEach(
        [this](size_t agent) { markDirty(static_cast<uint32_t>(agent)); });
  }
  clearFilters(handle);
  return Status::ok();
}

Status Allocator::setWeight(const std::string& role_name, double weight) {
  if (!std::isfinite(weight) || weight <= 0) {
    return invalid(
        fmt::format("weight {} of role '{}' is not finite and positive", weight, role_name));
  }
  weights_[role_name] = weight;
  if (const auto it = role_ids_.find(role_name); it != role_ids_.end()) {
    return role_sorter_.setWeight(roles_[it->second].client, weight);
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Filters

void Allocator::addFilter(uint32_t framework, uint32_t agent, const Resources& refused,
                          std::chrono::nanoseconds duration, TimePoint now) {
  const auto length = std::chrono::duration_cast<Clock::duration>(duration);
  // Saturate: a refusal of 1e9 seconds, or nanoseconds::max(), must not wrap around.
  const bool forever = now.time_since_epoch().count() >= 0 && length >= TimePoint::max() - now;
  const TimePoint expiry = forever ? TimePoint::max() : now + length;
  Agent& a = agents_[agent];
  a.filters.add(framework, refused, expiry);
  frameworks_[framework].agents_filtered.set(agent);
  if (expiry < a.next_expiry) {
    if (a.next_expiry != TimePoint::max()) {
      expiries_.erase({a.next_expiry, agent});
    }
    a.next_expiry = expiry;
    expiries_.emplace(expiry, agent);
  }
}

void Allocator::clearFilters(uint32_t framework) {
  Framework& f = frameworks_[framework];
  f.agents_filtered.forEach([&](size_t agent) { agents_[agent].filters.remove(framework); });
  f.agents_filtered.clear();
}

void Allocator::expireFilters(TimePoint now) {
  std::vector<uint32_t> cleared;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const uint32_t agent = expiries_.begin()->second;
    expiries_.erase(expiries_.begin());
    Agent& a = agents_[agent];
    const size_t before = a.filters.size();
    cleared.clear();
    a.next_expiry = a.filters.expire(now, cleared);
    if (a.next_expiry != TimePoint::max()) {
      expiries_.emplace(a.next_expiry, agent);
    }
    for (uint32_t framework : cleared) {
      frameworks_[framework].agents_filtered.reset(agent);
    }
    if (a.filters.size() != before) {
      ++last_round_.agents_with_expired_filters;
      markDirty(agent);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recovery and allocation

Status Allocator::recoverResources(const std::string& framework_id, const std::string& agent_id,
                                   const Resources& resources,
                                   std::optional<std::chrono::nanoseconds> refuse, TimePoint now) {
  const auto framework = findFramework(framework_id);
  if (!framework) {
    return unknownFramework(framework_id);
  }
  const auto agent = findAgent(agent_id);
  if (!agent) {
    return unknownAgent(agent_id);
  }
  Agent& a = agents_[*agent];
  const auto entry =
      std::find_if(a.allocations.begin(), a.allocations.end(),
                   [handle = *framework](const auto& item) { return item.first == handle; });
  if (entry == a.allocations.end() || !entry->second.contains(resources)) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("framework '{}' does not hold {} on agent '{}'", framework_id,
                              resources.toString(), agent_id));
  }
  removeAllocation(*framework, *agent, resources);
  a.free += resources;
  markDirty(*agent);
  if (refuse.has_value() && !resources.empty() && frameworks_[*framework].role != kNone) {
    const std::chrono::nanoseconds duration =
        *refuse < std::chrono::nanoseconds::zero() ? options_.default_refuse : *refuse;
    if (duration > std::chrono::nanoseconds::zero()) {
      addFilter(*framework, *agent, resources, duration, now);
    }
  }
  forgetIfPlaceholder(*framework);
  return Status::ok();
}

std::vector<Offer> Allocator::allocate(TimePoint now) {
  last_round_ = RoundStats{};
  expireFilters(now);
  syncTotals();
  std::vector<Offer> offers;
  std::vector<uint32_t> dirty;
  dirty.swap(dirty_agents_);
  for (uint32_t agent : dirty) {
    if (agents_[agent].live) {
      examine(agent, offers);
    }
  }
  // Every other agent with free resources is settled: no framework that was eligible last round
  // can take them. Only frameworks that became eligible since then can, so try just those.
  std::vector<uint32_t> newly;
  newly.swap(newly_eligible_);
  std::sort(newly.begin(), newly.end());
  newly.erase(std::unique(newly.begin(), newly.end()), newly.end());
  std::erase_if(newly, [this](uint32_t framework) {
    return !frameworks_[framework].live || !eligible(frameworks_[framework]);
  });
  if (!newly.empty()) {
    // Past a handful of newcomers the sorted walk of examine() is cheaper than comparing each.
    constexpr size_t kMaxTargeted = 16;
    for (uint32_t agent = 0; agent < agents_.size(); ++agent) {
      const bool examined = agent < in_dirty_.size() && in_dirty_[agent] != 0;
      if (!agents_[agent].live || examined || agents_[agent].free.empty()) {
        continue;
      }
      if (newly.size() > kMaxTargeted) {
        examine(agent, offers);
      } else {
        examineFor(agent, newly, offers);
      }
    }
  }
  for (uint32_t agent : dirty) {
    in_dirty_[agent] = 0;
  }
  last_round_.offers = offers.size();
  return offers;
}

void Allocator::offer(uint32_t agent, uint32_t framework, Resources resources,
                      std::vector<Offer>& offers) {
  addAllocation(framework, agent, resources);
  offers.push_back(Offer{frameworks_[framework].id, agents_[agent].id, std::move(resources)});
}

void Allocator::examine(uint32_t agent, std::vector<Offer>& offers) {
  Agent& a = agents_[agent];
  if (a.free.empty() || !a.active) {
    return;
  }
  ++last_round_.agents_examined;
  // Usually every free resource is unreserved: then each role may take all of them, and the
  // filter check uses the cache prepared for the whole free set.
  const bool unreserved = a.free.unreservedOnly();
  const bool filtered = !a.filters.empty();
  if (unreserved && filtered) {
    a.filters.prepare(a.free);
  }
  while (!a.free.empty()) {
    uint32_t chosen = kNone;
    Resources offered;
    role_sorter_.findFirst([&](DrfSorter::Handle role_client) {
      Role& role = roles_[role_of_client_[role_client]];
      Resources allocatable = unreserved ? Resources() : a.free.allocatableTo(role.name);
      const Resources& candidate = unreserved ? a.free : allocatable;
      if (candidate.empty()) {
        return false;
      }
      const auto client = role.frameworks.findFirst([&](DrfSorter::Handle framework_client) {
        if (!filtered) {
          return true;
        }
        const uint32_t framework = role.framework_of_client[framework_client];
        return unreserved ? !a.filters.blocksPrepared(framework)
                          : !a.filters.blocks(framework, candidate);
      });
      if (!client) {
        return false;
      }
      chosen = role.framework_of_client[*client];
      offered = unreserved ? std::move(a.free) : std::move(allocatable);
      return true;
    });
    if (chosen == kNone) {
      return;
    }
    if (unreserved) {
      a.free = Resources();
    } else {
      a.free -= offered;
    }
    offer(agent, chosen, std::move(offered), offers);
  }
}

bool Allocator::precedes(uint32_t x, uint32_t y) {
  const Framework& fx = frameworks_[x];
  const Framework& fy = frameworks_[y];
  Role& rx = roles_[fx.role];
  Role& ry = roles_[fy.role];
  if (fx.role != fy.role) {
    const double sx = role_sorter_.weightedShare(rx.client);
    const double sy = role_sorter_.weightedShare(ry.client);
    return sx != sy ? sx < sy : rx.name < ry.name;
  }
  const double sx = rx.frameworks.weightedShare(fx.client);
  const double sy = rx.frameworks.weightedShare(fy.client);
  return sx != sy ? sx < sy : fx.id < fy.id;
}

void Allocator::examineFor(uint32_t agent, const std::vector<uint32_t>& candidates,
                           std::vector<Offer>& offers) {
  Agent& a = agents_[agent];
  if (!a.active) {
    return;
  }
  ++last_round_.agents_examined;
  const bool unreserved = a.free.unreservedOnly();
  const bool filtered = !a.filters.empty();
  if (unreserved && filtered) {
    a.filters.prepare(a.free);
  }
  while (!a.free.empty()) {
    uint32_t best = kNone;
    Resources best_allocatable;
    for (uint32_t framework : candidates) {
      Resources allocatable =
          unreserved ? Resources() : a.free.allocatableTo(roles_[frameworks_[framework].role].name);
      const Resources& candidate = unreserved ? a.free : allocatable;
      if (candidate.empty()) {
        continue;
      }
      if (filtered && (unreserved ? a.filters.blocksPrepared(framework)
                                  : a.filters.blocks(framework, candidate))) {
        continue;
      }
      if (best == kNone || precedes(framework, best)) {
        best = framework;
        best_allocatable = std::move(allocatable);
      }
    }
    if (best == kNone) {
      return;
    }
    Resources offered = unreserved ? std::exchange(a.free, Resources()) : best_allocatable;
    if (!unreserved) {
      a.free -= offered;
    }
    offer(agent, best, std::move(offered), offers);
  }
}

// ---------------------------------------------------------------------------------------------
// Introspection

Result<Resources> Allocator::allocation(const std::string& framework_id) const {
  const auto found = findFramework(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  Resources total;
  frameworks_[*found].agents_used.forEach([&](size_t agent) {
    for (const auto& [holder, resources] : agents_[agent].allocations) {
      if (holder == *found) {
        total += resources;
      }
    }
  });
  return total;
}

Result<Resources> Allocator::available(const std::string& agent_id) const {
  const auto found = findAgent(agent_id);
  if (!found) {
    return std::unexpected(unknownAgent(agent_id));
  }
  return agents_[*found].free;
}

Result<double> Allocator::frameworkShare(const std::string& framework_id) const {
  const auto found = findFramework(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  return dominantShare(frameworks_[*found].allocated, cluster_total_);
}

Result<double> Allocator::roleShare(const std::string& role_name) const {
  const auto it = role_ids_.find(role_name);
  if (it == role_ids_.end()) {
    return notFound(fmt::format("unknown role '{}'", role_name));
  }
  return dominantShare(role_sorter_.allocation(roles_[it->second].client), cluster_total_);
}

}  // namespace plateau::master::allocator
