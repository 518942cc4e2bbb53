#include "master/allocator/allocator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "common/roles.h"
#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

namespace {

constexpr const char* kSelfLeaf = ".";

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

double quotaShare(const ResourceVector& consumed, const ResourceVector& guarantee) {
  double share = 0;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (guarantee.milli[slot] > 0) {
      share = std::max(share, static_cast<double>(consumed.milli[slot]) /
                                  static_cast<double>(guarantee.milli[slot]));
    }
  }
  return share;
}

}  // namespace

Allocator::Allocator(Options options) : options_(std::move(options)) {
  roles_.emplace_back();
  roles_[kRoot].live = true;
}

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
  if (!found || !frameworks_[*found].added) {
    return std::nullopt;
  }
  return found;
}

std::optional<uint32_t> Allocator::findRole(const std::string& name) const {
  const auto it = role_ids_.find(name);
  return it == role_ids_.end() ? std::nullopt : std::optional(it->second);
}

std::optional<uint32_t> Allocator::findSeat(uint32_t framework, uint32_t role) const {
  for (uint32_t seat : frameworks_[framework].seats) {
    if (seats_[seat].role == role) {
      return seat;
    }
  }
  return std::nullopt;
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

void Allocator::maybeForgetFramework(uint32_t framework) {
  Framework& f = frameworks_[framework];
  if (f.live && !f.added && f.seats.empty()) {
    framework_ids_.erase(f.id);
    f = Framework{};
    free_frameworks_.push_back(framework);
  }
}

uint32_t Allocator::roleFor(const std::string& name) {
  if (const auto found = findRole(name)) {
    return *found;
  }
  const std::string_view up = roles::parent(name);
  const uint32_t parent = up.empty() ? kRoot : roleFor(std::string(up));
  const uint32_t handle = takeSlot(roles_, free_roles_);
  Role& role = roles_[handle];
  role = Role{};
  role.name = name;
  role.parent = parent;
  role.live = true;
  role.limit.fill(kUncapped);
  role.frameworks.setTotal(cluster_total_);
  role.children.setTotal(cluster_total_);
  role.self = checked(role.children.add(kSelfLeaf));
  role.children.deactivate(role.self);
  role.role_of_child.assign(role.self + 1, kNone);
  const auto weight = weights_.find(name);
  Role& p = roles_[parent];
  role.client = checked(p.children.add(name, weight == weights_.end() ? 1.0 : weight->second));
  p.children.deactivate(role.client);
  if (p.role_of_child.size() <= role.client) {
    p.role_of_child.resize(role.client + 1, kNone);
  }
  p.role_of_child[role.client] = handle;
  ++p.child_count;
  role_ids_.emplace(name, handle);
  return handle;
}

void Allocator::maybeReleaseRole(uint32_t handle) {
  while (handle != kRoot) {
    Role& role = roles_[handle];
    if (!role.live || role.seats != 0 || role.child_count != 0 || role.has_quota ||
        !role.reserved.isZero() || !role.allocated.isZero()) {
      return;
    }
    const uint32_t parent = role.parent;
    Role& p = roles_[parent];
    p.children.remove(role.client);
    p.role_of_child[role.client] = kNone;
    --p.child_count;
    role_ids_.erase(role.name);
    role = Role{};
    free_roles_.push_back(handle);
    handle = parent;
  }
}

uint32_t Allocator::seatFor(uint32_t framework, const std::string& role_name) {
  const uint32_t role_handle = roleFor(role_name);
  if (const auto found = findSeat(framework, role_handle)) {
    return *found;
  }
  const uint32_t handle = takeSlot(seats_, free_seats_);
  Seat& seat = seats_[handle];
  seat = Seat{};
  seat.framework = framework;
  seat.role = role_handle;
  seat.live = true;
  Role& role = roles_[role_handle];
  seat.client = checked(role.frameworks.add(frameworks_[framework].id));
  role.frameworks.deactivate(seat.client);
  if (role.seat_of_client.size() <= seat.client) {
    role.seat_of_client.resize(seat.client + 1, kNone);
  }
  role.seat_of_client[seat.client] = handle;
  ++role.seats;
  frameworks_[framework].seats.push_back(handle);
  return handle;
}

void Allocator::maybeReleaseSeat(uint32_t handle) {
  Seat& seat = seats_[handle];
  if (!seat.live || seat.subscribed || !seat.agents_used.none()) {
    return;
  }
  setEligible(handle, false);
  clearFilters(handle);
  const uint32_t role_handle = seat.role;
  const uint32_t framework = seat.framework;
  Role& role = roles_[role_handle];
  role.frameworks.remove(seat.client);
  role.seat_of_client[seat.client] = kNone;
  --role.seats;
  std::erase(frameworks_[framework].seats, handle);
  seat = Seat{};
  free_seats_.push_back(handle);
  maybeReleaseRole(role_handle);
  maybeForgetFramework(framework);
}

void Allocator::setEligible(uint32_t handle, bool eligible) {
  Seat& seat = seats_[handle];
  if (seat.eligible == eligible) {
    return;
  }
  seat.eligible = eligible;
  Role& role = roles_[seat.role];
  if (eligible) {
    role.frameworks.activate(seat.client);
    if (role.eligible_self++ == 0) {
      role.children.activate(role.self);
    }
    for (uint32_t r = seat.role; r != kRoot; r = roles_[r].parent) {
      if (roles_[r].eligible_subtree++ == 0) {
        roles_[roles_[r].parent].children.activate(roles_[r].client);
      }
    }
    newly_eligible_.push_back(handle);
    return;
  }
  role.frameworks.deactivate(seat.client);
  if (--role.eligible_self == 0) {
    role.children.deactivate(role.self);
  }
  for (uint32_t r = seat.role; r != kRoot; r = roles_[r].parent) {
    if (--roles_[r].eligible_subtree == 0) {
      roles_[roles_[r].parent].children.deactivate(roles_[r].client);
    }
  }
}

void Allocator::refreshEligibility(uint32_t handle) {
  const Seat& seat = seats_[handle];
  const Framework& f = frameworks_[seat.framework];
  setEligible(handle, f.added && f.active && seat.subscribed && !seat.suppressed);
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping

void Allocator::trackReserved(const Resources& resources, bool allocated, bool add) {
  // Entries of one role usually come together: sum each run, then walk the role's ancestors once.
  const std::string* run_role = nullptr;
  ResourceVector vector;
  auto flush = [&] {
    if (run_role == nullptr || vector.isZero()) {
      return;
    }
    const uint32_t role = roleFor(*run_role);
    for (uint32_t n = role; n != kRoot; n = roles_[n].parent) {
      ResourceVector& target = allocated ? roles_[n].reserved_allocated : roles_[n].reserved;
      if (add) {
        target += vector;
      } else {
        target -= vector;
      }
    }
    if (!add) {
      maybeReleaseRole(role);
    }
  };
  for (const Resource& r : resources) {
    if (r.role == "*") {
      continue;
    }
    const size_t slot = slotOf(r.name);
    if (r.type != ResourceType::kScalar || slot == ResourceVector::kSlotCount ||
        r.scalar_milli <= 0) {
      continue;
    }
    if (run_role == nullptr || *run_role != r.role) {
      flush();
      run_role = &r.role;
      vector = ResourceVector{};
    }
    ResourceVector one;
    one.milli[slot] = r.scalar_milli;
    vector += one;  // saturating, as ResourceVector::of
  }
  flush();
}

void Allocator::trackTotal(Agent& agent, bool add) {
  if (add) {
    cluster_total_ += agent.total_vector;
    cluster_unreserved_ += agent.unreserved_vector;
  } else {
    cluster_total_ -= agent.total_vector;
    cluster_unreserved_ -= agent.unreserved_vector;
  }
  if (!agent.total.unreservedOnly()) {
    trackReserved(agent.total, false, add);
  }
  totals_changed_ = true;
  quota_relaxed_ = true;
  if (!quota_roles_.empty() && !agent.total.unreservedOnly()) {
    required_stale_ = true;  // unallocated reservations count towards guarantees
  }
}

void Allocator::addAllocation(uint32_t handle, uint32_t agent, const Resources& resources) {
  const uint32_t top = quota_roles_.empty() ? kNone : topGuaranteed(seats_[handle].role);
  const ResourceVector missing_before = top == kNone ? ResourceVector{} : unmet(roles_[top]);
  Agent& a = agents_[agent];
  Seat& seat = seats_[handle];
  auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                            [handle](const auto& item) { return item.first == handle; });
  if (entry == a.allocations.end()) {
    a.allocations.emplace_back(handle, resources);
  } else {
    entry->second += resources;
  }
  seat.agents_used.set(agent);
  const ResourceVector vector = ResourceVector::of(resources);
  seat.allocated += vector;
  Role& role = roles_[seat.role];
  role.frameworks.allocated(seat.client, vector);
  role.children.allocated(role.self, vector);
  for (uint32_t r = seat.role; r != kRoot; r = roles_[r].parent) {
    roles_[r].allocated += vector;
    roles_[roles_[r].parent].children.allocated(roles_[r].client, vector);
  }
  if (resources.unreservedOnly()) {
    allocated_unreserved_ += vector;
  } else {
    allocated_unreserved_ += unreservedVector(resources);
    trackReserved(resources, true, true);
  }
  if (top != kNone) {
    required_ -= missing_before;
    required_ += unmet(roles_[top]);
    quota_relaxed_ = true;  // guarantees met need less headroom
  }
}

void Allocator::removeAllocation(uint32_t handle, uint32_t agent, const Resources& resources) {
  const uint32_t top = quota_roles_.empty() ? kNone : topGuaranteed(seats_[handle].role);
  const ResourceVector missing_before = top == kNone ? ResourceVector{} : unmet(roles_[top]);
  Agent& a = agents_[agent];
  Seat& seat = seats_[handle];
  auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                            [handle](const auto& item) { return item.first == handle; });
  if (entry != a.allocations.end()) {
    entry->second -= resources;
    if (entry->second.empty()) {
      a.allocations.erase(entry);
      seat.agents_used.reset(agent);
    }
  }
  const ResourceVector vector = ResourceVector::of(resources);
  seat.allocated -= vector;
  Role& role = roles_[seat.role];
  role.frameworks.unallocated(seat.client, vector);
  role.children.unallocated(role.self, vector);
  for (uint32_t r = seat.role; r != kRoot; r = roles_[r].parent) {
    roles_[r].allocated -= vector;
    roles_[roles_[r].parent].children.unallocated(roles_[r].client, vector);
  }
  if (resources.unreservedOnly()) {
    allocated_unreserved_ -= vector;
  } else {
    allocated_unreserved_ -= unreservedVector(resources);
    trackReserved(resources, true, false);
  }
  if (top != kNone) {
    required_ -= missing_before;
    required_ += unmet(roles_[top]);
  }
  quota_relaxed_ = true;
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

void Allocator::markAllWithFree() {
  for (uint32_t agent = 0; agent < agents_.size(); ++agent) {
    if (agents_[agent].live && !agents_[agent].free.empty()) {
      markDirty(agent);
    }
  }
}

void Allocator::syncTotals() {
  if (!totals_changed_) {
    return;
  }
  for (Role& role : roles_) {
    if (role.live) {
      role.children.setTotal(cluster_total_);
      role.frameworks.setTotal(cluster_total_);
    }
  }
  totals_changed_ = false;
}

// ---------------------------------------------------------------------------------------------
// Agents

Status Allocator::addAgent(const std::string& agent_id, const Resources& total,
                           const std::vector<Allocation>& used_by_framework, AgentLabels labels) {
  if (agent_id.empty()) {
    return invalid("agent id is empty");
  }
  if (findAgent(agent_id)) {
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
  agent.unreserved_vector = unreservedVector(total);
  agent.has_gpus = agent.total_vector.milli[ResourceVector::kGpus] > 0;
  agent.labels = std::move(labels);
  agent.live = true;
  agent_ids_.emplace(agent_id, handle);
  trackTotal(agents_[handle], true);
  for (const auto& [framework_id, role, resources] : used_by_framework) {
    if (!resources.empty()) {
      addAllocation(seatFor(frameworkOrPlaceholder(framework_id), role), handle, resources);
    }
  }
  markDirty(handle);
  return Status::ok();
}

Status Allocator::updateAgentTotal(const std::string& agent_id, const Resources& total) {
  const auto found = findAgent(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  Agent& agent = agents_[*found];
  Resources used;
  for (const auto& [seat, resources] : agent.allocations) {
    used += resources;
  }
  if (!total.contains(used)) {
    return invalid(fmt::format("agent '{}': new total {} does not hold the allocated {}", agent_id,
                               total.toString(), used.toString()));
  }
  trackTotal(agent, false);
  agent.total = total;
  agent.free = total - used;
  agent.total_vector = ResourceVector::of(total);
  agent.unreserved_vector = unreservedVector(total);
  agent.has_gpus = agent.total_vector.milli[ResourceVector::kGpus] > 0;
  trackTotal(agent, true);
  markDirty(*found);
  return Status::ok();
}

Status Allocator::removeAgent(const std::string& agent_id) {
  const auto found = findAgent(agent_id);
  if (!found) {
    return unknownAgent(agent_id);
  }
  const uint32_t handle = *found;
  Agent& agent = agents_[handle];
  const auto allocations = agent.allocations;
  for (const auto& [seat, resources] : allocations) {
    removeAllocation(seat, handle, resources);
    seats_[seat].agents_used.reset(handle);
  }
  agent.allocations.clear();
  for (uint32_t seat : agent.filters.frameworks()) {
    seats_[seat].agents_filtered.reset(handle);
  }
  if (agent.next_expiry != TimePoint::max()) {
    expiries_.erase({agent.next_expiry, handle});
  }
  trackTotal(agent, false);
  agent_ids_.erase(agent.id);
  agent = Agent{};
  free_agents_.push_back(handle);
  for (const auto& [seat, resources] : allocations) {
    maybeReleaseSeat(seat);
  }
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

namespace {

Status validateSpec(const std::string& framework_id, const FrameworkSpec& spec) {
  if (framework_id.empty()) {
    return invalid("framework id is empty");
  }
  if (spec.roles.empty()) {
    return invalid(fmt::format("framework '{}' has no role", framework_id));
  }
  for (const std::string& role : spec.roles) {
    if (Status status = roles::validate(role); !status.isOk()) {
      return invalid(fmt::format("framework '{}': {}", framework_id, status.message()));
    }
  }
  return Status::ok();
}

}  // namespace

Status Allocator::applySpec(uint32_t framework, const FrameworkSpec& spec) {
  Framework& f = frameworks_[framework];
  const bool offers_change = f.spec.gpu_capable != spec.gpu_capable ||
                             f.spec.min_allocatable != spec.min_allocatable ||
                             f.spec.no_refinements != spec.no_refinements ||
                             f.spec.offer_constraints != spec.offer_constraints;
  f.spec = spec;
  for (const std::string& role : spec.roles) {
    seatFor(framework, role);
  }
  const std::vector<uint32_t> seats = frameworks_[framework].seats;
  for (uint32_t handle : seats) {
    Seat& seat = seats_[handle];
    const std::string& role = roles_[seat.role].name;
    seat.subscribed = spec.roles.contains(role);
    seat.suppressed = spec.suppressed_roles.contains(role);
    seat.constrained = spec.offer_constraints.contains(role);
    const bool before = seat.eligible;
    refreshEligibility(handle);
    if (before && seat.eligible && offers_change) {
      newly_eligible_.push_back(handle);
    }
    if (!seat.subscribed) {
      clearFilters(handle);
      maybeReleaseSeat(handle);
    }
  }
  return Status::ok();
}

Status Allocator::addFramework(const std::string& framework_id, const FrameworkSpec& spec,
                               bool active) {
  if (Status status = validateSpec(framework_id, spec); !status.isOk()) {
    return status;
  }
  if (findAddedFramework(framework_id)) {
    return Status(StatusCode::kAlreadyExists, fmt::format("framework '{}' exists", framework_id));
  }
  const uint32_t handle = frameworkOrPlaceholder(framework_id);
  frameworks_[handle].added = true;
  frameworks_[handle].active = active;
  return applySpec(handle, spec);
}

Status Allocator::updateFramework(const std::string& framework_id, const FrameworkSpec& spec) {
  if (Status status = validateSpec(framework_id, spec); !status.isOk()) {
    return status;
  }
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  return applySpec(*found, spec);
}

Status Allocator::removeFramework(const std::string& framework_id) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  const uint32_t handle = *found;
  const std::vector<uint32_t> seats = frameworks_[handle].seats;
  for (uint32_t s : seats) {
    Seat& seat = seats_[s];
    seat.agents_used.forEach([&](size_t agent) {
      Agent& a = agents_[agent];
      for (const auto& [holder, resources] : a.allocations) {
        if (holder == s) {
          a.free += resources;
          removeAllocation(s, static_cast<uint32_t>(agent), Resources(resources));
          break;
        }
      }
      markDirty(static_cast<uint32_t>(agent));
    });
    seat.agents_used.clear();
    seat.subscribed = false;
    maybeReleaseSeat(s);
  }
  Framework& framework = frameworks_[handle];
  framework.added = false;
  maybeForgetFramework(handle);
  return Status::ok();
}

Status Allocator::activateFramework(const std::string& framework_id) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  frameworks_[*found].active = true;
  for (uint32_t seat : frameworks_[*found].seats) {
    refreshEligibility(seat);
  }
  return Status::ok();
}

Status Allocator::deactivateFramework(const std::string& framework_id) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  frameworks_[*found].active = false;
  for (uint32_t seat : frameworks_[*found].seats) {
    refreshEligibility(seat);
    clearFilters(seat);
  }
  return Status::ok();
}

Status Allocator::suppress(const std::string& framework_id, const std::set<std::string>& roles) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  Framework& f = frameworks_[*found];
  const std::set<std::string>& which = roles.empty() ? f.spec.roles : roles;
  for (const std::string& role : which) {
    f.spec.suppressed_roles.insert(role);
  }
  for (uint32_t seat : f.seats) {
    if (which.contains(roles_[seats_[seat].role].name)) {
      seats_[seat].suppressed = true;
      refreshEligibility(seat);
    }
  }
  return Status::ok();
}

Status Allocator::revive(const std::string& framework_id, const std::set<std::string>& roles) {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return unknownFramework(framework_id);
  }
  Framework& f = frameworks_[*found];
  const std::set<std::string> which = roles.empty() ? f.spec.roles : roles;
  for (const std::string& role : which) {
    f.spec.suppressed_roles.erase(role);
  }
  for (uint32_t handle : f.seats) {
    Seat& seat = seats_[handle];
    if (!which.contains(roles_[seat.role].name)) {
      continue;
    }
    const bool before = seat.eligible;
    seat.suppressed = false;
    refreshEligibility(handle);
    if (before && seat.eligible) {
      // Eligible before and after: only the agents it had filtered can change hands.
      seat.agents_filtered.forEach(
          [this](size_t agent) { markDirty(static_cast<uint32_t>(agent)); });
    }
    clearFilters(handle);
  }
  return Status::ok();
}

Status Allocator::setWeight(const std::string& role_name, double weight) {
  if (!std::isfinite(weight) || weight <= 0) {
    return invalid(
        fmt::format("weight {} of role '{}' is not finite and positive", weight, role_name));
  }
  if (Status status = roles::validate(role_name); !status.isOk()) {
    return status;
  }
  weights_[role_name] = weight;
  if (const auto found = findRole(role_name)) {
    const Role& role = roles_[*found];
    return roles_[role.parent].children.setWeight(role.client, weight);
  }
  return Status::ok();
}

Status Allocator::setQuota(const std::string& role_name, const Quota& quota) {
  if (Status status = roles::validate(role_name); !status.isOk()) {
    return status;
  }
  if (role_name == "*") {
    return invalid("quota cannot be set for role '*'");
  }
  for (const Resources* part : {&quota.guarantees, &quota.limits}) {
    for (const Resource& r : *part) {
      if (r.type != ResourceType::kScalar || slotOf(r.name) == ResourceVector::kSlotCount) {
        return invalid(
            fmt::format("quota of role '{}' names '{}': only the scalars cpus, mem, "
                        "disk and gpus are supported",
                        role_name, r.name));
      }
      if (r.role != "*") {
        return invalid(fmt::format("quota of role '{}' must not name a reservation", role_name));
      }
    }
  }
  for (const std::string& name : quota.zero_limits) {
    if (slotOf(name) == ResourceVector::kSlotCount) {
      return invalid(
          fmt::format("quota of role '{}' names '{}': only the scalars cpus, mem, "
                      "disk and gpus are supported",
                      role_name, name));
    }
  }
  const ResourceVector guarantee = ResourceVector::of(quota.guarantees);
  Caps limit;
  limit.fill(kUncapped);
  for (const Resource& r : quota.limits) {
    limit[slotOf(r.name)] = r.scalar_milli;
  }
  for (const std::string& name : quota.zero_limits) {
    limit[slotOf(name)] = 0;
  }
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (guarantee.milli[slot] > limit[slot]) {
      return invalid(fmt::format("quota of role '{}': guarantee {} exceeds limit {}", role_name,
                                 quota.guarantees.toString(), quota.limits.toString()));
    }
  }
  const bool remove = quota.guarantees.empty() && quota.limits.empty() && quota.zero_limits.empty();
  if (remove && !findRole(role_name)) {
    return Status::ok();
  }
  const uint32_t handle = roleFor(role_name);
  Role& role = roles_[handle];
  auto limited = [](const Caps& caps) {
    return std::any_of(caps.begin(), caps.end(), [](int64_t cap) { return cap != kUncapped; });
  };
  if (role.has_quota) {
    std::erase(quota_roles_, handle);
    limited_roles_ -= limited(role.limit) ? 1 : 0;
  }
  role.has_quota = !remove;
  role.guarantee = guarantee;
  role.limit = limit;
  if (!remove) {
    quota_roles_.push_back(handle);
    limited_roles_ += limited(role.limit) ? 1 : 0;
  }
  required_stale_ = true;
  // Guarantees or limits moved: every agent with free resources may now go elsewhere.
  markAllWithFree();
  if (remove) {
    maybeReleaseRole(handle);
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Filters

void Allocator::addFilter(uint32_t seat, uint32_t agent, const Resources& refused,
                          std::chrono::nanoseconds duration, TimePoint now) {
  const auto length = std::chrono::duration_cast<Clock::duration>(duration);
  // Saturate: a refusal of 1e9 seconds, or nanoseconds::max(), must not wrap around.
  const bool forever = now.time_since_epoch().count() >= 0 && length >= TimePoint::max() - now;
  const TimePoint expiry = forever ? TimePoint::max() : now + length;
  Agent& a = agents_[agent];
  a.filters.add(seat, refused, expiry);
  seats_[seat].agents_filtered.set(agent);
  if (expiry < a.next_expiry) {
    if (a.next_expiry != TimePoint::max()) {
      expiries_.erase({a.next_expiry, agent});
    }
    a.next_expiry = expiry;
    expiries_.emplace(expiry, agent);
  }
}

void Allocator::clearFilters(uint32_t handle) {
  Seat& seat = seats_[handle];
  seat.agents_filtered.forEach([&](size_t agent) { agents_[agent].filters.remove(handle); });
  seat.agents_filtered.clear();
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
    for (uint32_t seat : cleared) {
      seats_[seat].agents_filtered.reset(agent);
    }
    if (a.filters.size() != before) {
      ++last_round_.agents_with_expired_filters;
      markDirty(agent);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recovery

Status Allocator::recoverResources(const std::string& framework_id, const std::string& role,
                                   const std::string& agent_id, const Resources& resources,
                                   std::optional<std::chrono::nanoseconds> refuse, TimePoint now) {
  const auto framework = findFramework(framework_id);
  if (!framework) {
    return unknownFramework(framework_id);
  }
  const auto agent = findAgent(agent_id);
  if (!agent) {
    return unknownAgent(agent_id);
  }
  // A framework has few roles: comparing names beats hashing one.
  std::optional<uint32_t> seat;
  for (uint32_t candidate : frameworks_[*framework].seats) {
    if (roles_[seats_[candidate].role].name == role) {
      seat = candidate;
    }
  }
  Agent& a = agents_[*agent];
  const auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                                  [&](const auto& item) { return seat && item.first == *seat; });
  if (entry == a.allocations.end() || !entry->second.contains(resources)) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("framework '{}' does not hold {} on agent '{}' in role '{}'",
                              framework_id, resources.toString(), agent_id, role));
  }
  removeAllocation(*seat, *agent, resources);
  a.free += resources;
  markDirty(*agent);
  if (refuse.has_value() && !resources.empty() && seats_[*seat].subscribed) {
    const std::chrono::nanoseconds duration =
        *refuse < std::chrono::nanoseconds::zero() ? options_.default_refuse : *refuse;
    if (duration > std::chrono::nanoseconds::zero()) {
      addFilter(*seat, *agent, resources, duration, now);
    }
  }
  maybeReleaseSeat(*seat);
  return Status::ok();
}

Status Allocator::updateAllocation(const std::string& framework_id, const std::string& role,
                                   const std::string& agent_id, const Resources& from,
                                   const Resources& to) {
  const auto framework = findFramework(framework_id);
  if (!framework) {
    return unknownFramework(framework_id);
  }
  const auto agent = findAgent(agent_id);
  if (!agent) {
    return unknownAgent(agent_id);
  }
  // A framework has few roles: comparing names beats hashing one.
  std::optional<uint32_t> seat;
  for (uint32_t candidate : frameworks_[*framework].seats) {
    if (roles_[seats_[candidate].role].name == role) {
      seat = candidate;
    }
  }
  Agent& a = agents_[*agent];
  const auto entry = std::find_if(a.allocations.begin(), a.allocations.end(),
                                  [&](const auto& item) { return seat && item.first == *seat; });
  if (entry == a.allocations.end() || !entry->second.contains(from)) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("framework '{}' does not hold {} on agent '{}' in role '{}'",
                              framework_id, from.toString(), agent_id, role));
  }
  Resources total = a.total;
  total -= from;
  total += to;
  trackTotal(a, false);
  removeAllocation(*seat, *agent, from);
  a.total = std::move(total);
  a.total_vector = ResourceVector::of(a.total);
  a.unreserved_vector = unreservedVector(a.total);
  a.has_gpus = a.total_vector.milli[ResourceVector::kGpus] > 0;
  trackTotal(a, true);
  addAllocation(*seat, *agent, to);
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Quota

ResourceVector Allocator::consumed(const Role& role) const {
  ResourceVector result = role.allocated;
  result += role.reserved;
  result -= role.reserved_allocated;
  return result;
}

bool Allocator::guaranteeUnmet(const Role& role) const {
  const ResourceVector used = consumed(role);
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (role.guarantee.milli[slot] > used.milli[slot]) {
      return true;
    }
  }
  return false;
}

ResourceVector Allocator::unmet(const Role& role) const {
  const ResourceVector used = consumed(role);
  ResourceVector missing;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    missing.milli[slot] = minus(role.guarantee.milli[slot], used.milli[slot]);
  }
  return missing;
}

uint32_t Allocator::topGuaranteed(uint32_t role) const {
  uint32_t top = kNone;
  for (uint32_t r = role; r != kRoot; r = roles_[r].parent) {
    if (roles_[r].has_quota && !roles_[r].guarantee.isZero()) {
      top = r;
    }
  }
  return top;
}

ResourceVector Allocator::computeRequired() const {
  // What the outermost roles with a guarantee still miss of it (a nested guarantee is part of its
  // ancestor's).
  ResourceVector required;
  for (uint32_t handle : quota_roles_) {
    if (topGuaranteed(handle) == handle) {
      required += unmet(roles_[handle]);
    }
  }
  return required;
}

void Allocator::refreshRequired() {
  if (required_stale_) {
    required_ = computeRequired();
    required_stale_ = false;
  }
}

ResourceVector Allocator::surplusFrom(const ResourceVector& required) const {
  // Headroom available: unreserved resources not allocated, less what guarantees still need.
  ResourceVector surplus;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    const int64_t available =
        minus(cluster_unreserved_.milli[slot], allocated_unreserved_.milli[slot]);
    surplus.milli[slot] = minus(available, required.milli[slot]);
  }
  return surplus;
}

ResourceVector Allocator::surplusHeadroom() {
  refreshRequired();
  return surplusFrom(required_);
}

Caps Allocator::limitCaps(uint32_t role) const {
  Caps caps;
  caps.fill(kUncapped);
  if (limited_roles_ == 0) {
    return caps;
  }
  for (uint32_t r = role; r != kRoot; r = roles_[r].parent) {
    const Role& node = roles_[r];
    if (!node.has_quota) {
      continue;
    }
    const ResourceVector used = consumed(node);
    for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
      if (node.limit[slot] != kUncapped) {
        caps[slot] = std::min(caps[slot], minus(node.limit[slot], used.milli[slot]));
      }
    }
  }
  return caps;
}

Resources Allocator::candidateFor(const Agent& agent, uint32_t seat, uint32_t quota_role,
                                  bool& clipped) {
  const std::string& role = roles_[seats_[seat].role].name;
  Resources candidate = agent.free.unreservedOnly() ? agent.free : allocatableTo(agent.free, role);
  if (frameworks_[seats_[seat].framework].spec.no_refinements && !candidate.unreservedOnly()) {
    candidate = candidate.filter([](const Resource& r) { return r.reservations.size() <= 1; });
  }
  if (quota_roles_.empty() || candidate.empty()) {
    return candidate;
  }
  Caps caps = limitCaps(seats_[seat].role);
  const ResourceVector surplus = surplusHeadroom();
  if (quota_role == kNone) {
    for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
      caps[slot] = std::min(caps[slot], surplus.milli[slot]);
    }
  } else {
    const Role& q = roles_[quota_role];
    const ResourceVector used = consumed(q);
    for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
      const int64_t cap = q.guarantee.milli[slot] > 0
                              ? minus(q.guarantee.milli[slot], used.milli[slot])
                              : surplus.milli[slot];
      caps[slot] = std::min(caps[slot], cap);
    }
  }
  if (clip(candidate, caps)) {
    clipped = true;
  }
  return candidate;
}

bool Allocator::meetsMinimum(const Seat& seat, const Resources& offered) const {
  const auto& own = frameworks_[seat.framework].spec.min_allocatable;
  const auto it = own.find(roles_[seat.role].name);
  return meetsAny(offered, it == own.end() ? options_.min_allocatable : it->second);
}

bool Allocator::gpuBlocked(const Agent& agent, const Seat& seat) const {
  return agent.has_gpus && !frameworks_[seat.framework].spec.gpu_capable;
}

bool Allocator::constrainedOut(const Agent& agent, const Seat& seat) const {
  if (!seat.constrained) {
    return false;
  }
  const auto& constraints = frameworks_[seat.framework].spec.offer_constraints;
  const auto it = constraints.find(roles_[seat.role].name);
  return it != constraints.end() && !admits(it->second, agent.labels);
}

// ---------------------------------------------------------------------------------------------
// Allocation

std::vector<Offer> Allocator::allocate(TimePoint now) {
  last_round_ = RoundStats{};
  ++round_;
  expireFilters(now);
  syncTotals();
  if (quota_relaxed_) {
    for (uint32_t agent : quota_blocked_) {
      in_quota_blocked_.reset(agent);
      if (agents_[agent].live) {
        markDirty(agent);
      }
    }
    quota_blocked_.clear();
    quota_relaxed_ = false;
  }
  std::vector<Offer> offers;
  stage1_.clear();
  if (!quota_roles_.empty()) {
    refreshRequired();
    std::vector<std::pair<double, uint32_t>> order;
    for (uint32_t q : quota_roles_) {
      const Role& role = roles_[q];
      if (role.eligible_subtree > 0 && guaranteeUnmet(role)) {
        order.emplace_back(quotaShare(consumed(role), role.guarantee), q);
      }
    }
    std::sort(order.begin(), order.end(), [this](const auto& x, const auto& y) {
      return x.first != y.first ? x.first < y.first : roles_[x.second].name < roles_[y.second].name;
    });
    for (const auto& [share, q] : order) {
      stage1_.push_back(q);
    }
  }
  std::vector<uint32_t> newly;
  newly.swap(newly_eligible_);
  std::sort(newly.begin(), newly.end());
  newly.erase(std::unique(newly.begin(), newly.end()), newly.end());
  std::erase_if(newly,
                [this](uint32_t seat) { return !seats_[seat].live || !seats_[seat].eligible; });
  // Past a handful of newcomers, or with quota in play, the sorted walk of examine() over every
  // agent with free resources is the simpler and cheaper choice.
  constexpr size_t kMaxTargeted = 16;
  const bool full = !newly.empty() && (newly.size() > kMaxTargeted || !quota_roles_.empty());
  if (full) {
    markAllWithFree();
  }
  std::vector<uint32_t> dirty;
  dirty.swap(dirty_agents_);
  for (uint32_t agent : dirty) {
    if (agents_[agent].live) {
      examine(agent, offers);
    }
  }
  // Every other agent with free resources is settled: no seat that was eligible last round can
  // take them. Only seats that became eligible since then can, so try just those.
  if (!newly.empty() && !full) {
    for (uint32_t agent = 0; agent < agents_.size(); ++agent) {
      const bool examined = agent < in_dirty_.size() && in_dirty_[agent] != 0;
      if (!agents_[agent].live || examined || agents_[agent].free.empty()) {
        continue;
      }
      examineFor(agent, newly, offers);
    }
  }
  for (uint32_t agent : dirty) {
    in_dirty_[agent] = 0;
  }
  last_round_.offers = offers.size();
  return offers;
}

void Allocator::offer(uint32_t agent, uint32_t seat, Resources resources,
                      std::vector<Offer>& offers) {
  // The caller took `resources` off the agent's free resources.
  Agent& a = agents_[agent];
  addAllocation(seat, agent, resources);
  seats_[seat].offered_round = round_;
  offers.push_back(Offer{frameworks_[seats_[seat].framework].id, a.id,
                         roles_[seats_[seat].role].name, std::move(resources)});
}

template <class Pred>
uint32_t Allocator::pickSeat(uint32_t node, Pred& pred) {
  auto always = [](uint32_t, bool) { return true; };
  return pickSeat(node, pred, always);
}

template <class Pred, class Enter>
uint32_t Allocator::pickSeat(uint32_t node, Pred& pred, Enter& enter) {
  uint32_t found = kNone;
  Role& role = roles_[node];
  role.children.findFirst([&](DrfSorter::Handle child) {
    const uint32_t child_role = roles_[node].role_of_child[child];
    if (child_role != kNone) {
      if (!enter(child_role, false)) {
        return false;
      }
      found = pickSeat(child_role, pred, enter);
      return found != kNone;
    }
    if (!enter(node, true)) {
      return false;
    }
    Role& self = roles_[node];
    return self.frameworks
        .findFirst([&](DrfSorter::Handle client) {
          const uint32_t seat = self.seat_of_client[client];
          if (pred(seat)) {
            found = seat;
            return true;
          }
          return false;
        })
        .has_value();
  });
  return found;
}

void Allocator::examine(uint32_t agent, std::vector<Offer>& offers) {
  Agent& a = agents_[agent];
  if (a.free.empty() || !a.active) {
    return;
  }
  ++last_round_.agents_examined;
  bool clipped = false;

  // Stage 1: roles below their guarantee, least satisfied first, take what they are guaranteed.
  // Within a round consumption only grows, so a role met once is dropped from the list.
  for (size_t i = 0; i < stage1_.size() && !a.free.empty();) {
    const uint32_t q = stage1_[i];
    if (!guaranteeUnmet(roles_[q])) {
      stage1_.erase(stage1_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
    Resources chosen_resources;
    auto pred = [&](uint32_t seat) {
      if (gpuBlocked(a, seats_[seat]) || constrainedOut(a, seats_[seat])) {
        return false;
      }
      Resources candidate = candidateFor(a, seat, q, clipped);
      if (candidate.empty() || a.filters.blocks(seat, candidate) ||
          !meetsMinimum(seats_[seat], candidate)) {
        return false;
      }
      chosen_resources = std::move(candidate);
      return true;
    };
    // The quota role itself and every role below it share its guarantee.
    const uint32_t seat = pickSeat(q, pred);
    if (seat != kNone) {
      a.free -= chosen_resources;
      offer(agent, seat, std::move(chosen_resources), offers);
    }
  }

  // Stage 2: everything left goes in DRF order, within limits and headroom.
  // Refined reservations (rare) take the general path, which withholds them from frameworks
  // that cannot read a reservation stack.
  const bool simple =
      quota_roles_.empty() &&
      (a.free.unreservedOnly() || std::none_of(a.free.begin(), a.free.end(), [](const Resource& r) {
         return r.reservations.size() > 1;
       }));
  while (!a.free.empty()) {
    const bool unreserved = a.free.unreservedOnly();
    const bool filtered = !a.filters.empty();
    if (simple && unreserved && filtered) {
      a.filters.prepare(a.free);
    }
    Resources chosen_resources;
    bool take_all = false;
    uint32_t cached_role = kNone;
    Resources cached;
    // Without quota, on an agent with reservations: the distinct roles reserved for, and the
    // unreserved part, which is all that a role with none of these reservations may take (the
    // filter check then uses the cache prepared for that part).
    std::vector<std::string_view> reserved_roles;
    bool has_unreserved = false;
    Resources unreserved_part;
    const Resources* unreserved_ready = nullptr;  // the unreserved part, once known
    bool cached_reserved = false;                 // cached_role may use some reserved entries
    std::vector<int8_t> cached_memo;              // which refused sets contain `cached`
    if (simple && !unreserved) {
      for (const Resource& r : a.free) {
        if (r.role == "*") {
          has_unreserved = true;
        } else if (std::find(reserved_roles.begin(), reserved_roles.end(),
                             std::string_view(r.role)) == reserved_roles.end()) {
          reserved_roles.emplace_back(r.role);
        }
      }
    }
    // Which roles may take anything (simple && !unreserved): once only reserved resources are
    // left, every role but those they are reserved for (and their sub-roles) is skipped whole.
    // The roles reserved for, as handles (every reserved role of an agent's total is in the tree;
    // names are compared only if one is not).
    std::vector<uint32_t> reserved_handles;
    bool by_handle = simple && !unreserved;
    if (by_handle) {
      for (std::string_view r : reserved_roles) {
        const auto it = role_ids_.find(std::string(r));
        if (it == role_ids_.end()) {
          by_handle = false;
          break;
        }
        reserved_handles.push_back(it->second);
      }
    }
    auto under = [this](uint32_t role, uint32_t ancestor) {
      for (uint32_t r = role; r != kRoot && r != kNone; r = roles_[r].parent) {
        if (r == ancestor) {
          return true;
        }
      }
      return false;
    };
    auto enter = [&](uint32_t role, bool own_seats) {
      if (has_unreserved) {
        return true;
      }
      if (by_handle) {
        // Own seats may use a reservation for the role or an ancestor; some role in the subtree
        // may also use one for a role below it.
        return std::any_of(reserved_handles.begin(), reserved_handles.end(), [&](uint32_t r) {
          return under(role, r) || (!own_seats && under(r, role));
        });
      }
      const std::string_view name = roles_[role].name;
      if (own_seats) {
        return hasReservedFor(reserved_roles, name);
      }
      return std::any_of(reserved_roles.begin(), reserved_roles.end(), [name](std::string_view r) {
        return roles::isSubroleOrSame(name, r) || roles::isSubroleOrSame(r, name);
      });
    };
    auto pred = [&](uint32_t seat) {
      const Seat& s = seats_[seat];
      if (gpuBlocked(a, s) || constrainedOut(a, s)) {
        return false;
      }
      if (simple && unreserved) {
        // Usually every free resource is unreserved and uncapped: each seat may take all of them,
        // and the filter check uses the cache prepared for the whole free set.
        if (filtered && a.filters.blocksPrepared(seat)) {
          return false;
        }
        if (!meetsMinimum(s, a.free)) {
          return false;
        }
        take_all = true;
        return true;
      }
      if (simple) {
        if (cached_role != s.role) {
          cached_role = s.role;
          cached_reserved = by_handle
                                ? std::any_of(reserved_handles.begin(), reserved_handles.end(),
                                              [&](uint32_t r) { return under(s.role, r); })
                                : hasReservedFor(reserved_roles, roles_[s.role].name);
          if (cached_reserved) {
            cached = allocatableTo(a.free, roles_[s.role].name);
            cached_memo.clear();
          }
        }
        if (!cached_reserved) {
          if (unreserved_ready == nullptr) {
            // Usually the filter cache was prepared for this very set (the free resources came
            // back unchanged): use its copy instead of making one.
            unreserved_ready =
                filtered && has_unreserved ? a.filters.preparedForUnreservedOf(a.free) : nullptr;
            if (unreserved_ready == nullptr) {
              unreserved_part = a.free.unreserved();
              if (filtered && !unreserved_part.empty()) {
                a.filters.prepare(unreserved_part);
              }
              unreserved_ready = &unreserved_part;
            }
          }
          if (unreserved_ready->empty() || (filtered && a.filters.blocksPrepared(seat)) ||
              !meetsMinimum(s, *unreserved_ready)) {
            return false;
          }
          return true;
        }
        if (cached.empty() || (filtered && a.filters.blocks(seat, cached, cached_memo)) ||
            !meetsMinimum(s, cached)) {
          return false;
        }
        return true;
      }
      if (cached_role != s.role) {
        cached_role = s.role;
        cached = candidateFor(a, seat, kNone, clipped);
      }
      if (cached.empty() || (filtered && a.filters.blocks(seat, cached)) ||
          !meetsMinimum(s, cached)) {
        return false;
      }
      chosen_resources = cached;
      return true;
    };
    uint32_t seat = kNone;
    if (simple && !unreserved && !has_unreserved && by_handle && reserved_handles.size() == 1) {
      // Only reservations for one role are left: just that role's subtree may use them, and the
      // DRF order restricted to it is the order of its own walk.
      seat = pickSeat(reserved_handles[0], pred, enter);
    } else if (simple && !unreserved) {
      seat = pickSeat(kRoot, pred, enter);
    } else {
      seat = pickSeat(kRoot, pred);
    }
    if (seat == kNone) {
      break;
    }
    if (take_all) {
      chosen_resources = std::exchange(a.free, Resources());
    } else if (simple) {
      // What the seat may use of the free resources, taken out of them whole.
      const std::string_view role = roles_[seats_[seat].role].name;
      chosen_resources =
          a.free.extract([role](const Resource& r) { return allocatableEntry(r, role); });
    } else {
      a.free -= chosen_resources;
    }
    offer(agent, seat, std::move(chosen_resources), offers);
  }
  if (clipped && !a.free.empty() && !in_quota_blocked_.test(agent)) {
    in_quota_blocked_.set(agent);
    quota_blocked_.push_back(agent);
  }
}

bool Allocator::precedes(uint32_t x, uint32_t y) {
  const Seat& sx = seats_[x];
  const Seat& sy = seats_[y];
  if (sx.role == sy.role) {
    Role& role = roles_[sx.role];
    const double wx = role.frameworks.weightedShare(sx.client);
    const double wy = role.frameworks.weightedShare(sy.client);
    return wx != wy ? wx < wy : role.frameworks.name(sx.client) < role.frameworks.name(sy.client);
  }
  // Paths from the root; compare where they part, within the parent's sorter.
  auto path = [this](uint32_t role) {
    std::vector<uint32_t> chain;
    for (uint32_t r = role; r != kRoot; r = roles_[r].parent) {
      chain.push_back(r);
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
  };
  const auto px = path(sx.role);
  const auto py = path(sy.role);
  size_t i = 0;
  while (i < px.size() && i < py.size() && px[i] == py[i]) {
    ++i;
  }
  const uint32_t parent = i == 0 ? kRoot : px[i - 1];
  Role& p = roles_[parent];
  const DrfSorter::Handle cx = i < px.size() ? roles_[px[i]].client : p.self;
  const DrfSorter::Handle cy = i < py.size() ? roles_[py[i]].client : p.self;
  const double wx = p.children.weightedShare(cx);
  const double wy = p.children.weightedShare(cy);
  return wx != wy ? wx < wy : p.children.name(cx) < p.children.name(cy);
}

void Allocator::examineFor(uint32_t agent, const std::vector<uint32_t>& candidates,
                           std::vector<Offer>& offers) {
  Agent& a = agents_[agent];
  if (!a.active) {
    return;
  }
  ++last_round_.agents_examined;
  while (!a.free.empty()) {
    const bool unreserved = a.free.unreservedOnly();
    const bool filtered = !a.filters.empty();
    if (unreserved && filtered) {
      a.filters.prepare(a.free);
    }
    uint32_t best = kNone;
    Resources best_resources;
    for (uint32_t seat : candidates) {
      const Seat& s = seats_[seat];
      if (gpuBlocked(a, s) || constrainedOut(a, s)) {
        continue;
      }
      Resources candidate = unreserved ? Resources() : allocatableTo(a.free, roles_[s.role].name);
      const Resources& offered = unreserved ? a.free : candidate;
      if (offered.empty()) {
        continue;
      }
      if (filtered &&
          (unreserved ? a.filters.blocksPrepared(seat) : a.filters.blocks(seat, offered))) {
        continue;
      }
      if (!meetsMinimum(s, offered)) {
        continue;
      }
      if (best == kNone || precedes(seat, best)) {
        best = seat;
        best_resources = std::move(candidate);
      }
    }
    if (best == kNone) {
      return;
    }
    if (unreserved) {
      best_resources = std::exchange(a.free, Resources());
    } else {
      a.free -= best_resources;
    }
    offer(agent, best, std::move(best_resources), offers);
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
  for (uint32_t seat : frameworks_[*found].seats) {
    seats_[seat].agents_used.forEach([&](size_t agent) {
      for (const auto& [holder, resources] : agents_[agent].allocations) {
        if (holder == seat) {
          total += resources;
        }
      }
    });
  }
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
  ResourceVector total;
  for (uint32_t seat : frameworks_[*found].seats) {
    total += seats_[seat].allocated;
  }
  return dominantShare(total, cluster_total_);
}

Result<double> Allocator::roleShare(const std::string& role_name) const {
  const auto found = findRole(role_name);
  if (!found) {
    return notFound(fmt::format("unknown role '{}'", role_name));
  }
  return dominantShare(roles_[*found].allocated, cluster_total_);
}

// ---------------------------------------------------------------------------------------------
// Explanations (computed on demand: they scan the agents once)

namespace {

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

Explanation Allocator::explainSeat(uint32_t handle) const {
  const Seat& seat = seats_[handle];
  const Framework& f = frameworks_[seat.framework];
  const Role& role = roles_[seat.role];
  Explanation e;
  e.framework_id = f.id;
  e.role = role.name;
  auto say = [&](const char* code, std::string message) {
    e.code = code;
    e.message = std::move(message);
    return e;
  };
  if (!f.active) {
    return say("INACTIVE", "the framework is not connected (inactive)");
  }
  if (seat.suppressed) {
    return say("SUPPRESSED",
               fmt::format("the framework suppressed offers for role '{}'", role.name));
  }
  if (round_ > 0 && seat.offered_round == round_) {
    return say("RECEIVING", "it was offered resources in the last allocation round");
  }
  const Caps limits = limitCaps(seat.role);
  bool at_limit = false;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    at_limit = at_limit || limits[slot] == 0;
  }
  const ResourceVector surplus =
      quota_roles_.empty() ? ResourceVector{} : surplusFrom(computeRequired());
  Caps headroom;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    headroom[slot] = quota_roles_.empty() ? kUncapped : surplus.milli[slot];
  }
  size_t with_free = 0, gpu = 0, constrained = 0, limited = 0, held = 0, filtered = 0, no_fit = 0,
         fits = 0;
  for (const Agent& agent : agents_) {
    if (!agent.live || !agent.active || agent.free.empty()) {
      continue;
    }
    Resources candidate = allocatableTo(agent.free, role.name);
    if (candidate.empty()) {
      continue;
    }
    ++with_free;
    if (gpuBlocked(agent, seat)) {
      ++gpu;
      continue;
    }
    if (constrainedOut(agent, seat)) {
      ++constrained;
      continue;
    }
    // What a cap leaves over may be too little to offer: then the cap is the reason.
    if (clip(candidate, limits) && (candidate.empty() || !meetsMinimum(seat, candidate))) {
      ++limited;
      continue;
    }
    if (clip(candidate, headroom) && (candidate.empty() || !meetsMinimum(seat, candidate))) {
      ++held;
      continue;
    }
    if (agent.filters.blocks(handle, candidate)) {
      ++filtered;
      continue;
    }
    if (!meetsMinimum(seat, candidate)) {
      ++no_fit;
      continue;
    }
    ++fits;
  }
  if (fits > 0) {
    e.agents = fits;
    return say("RECEIVING", fmt::format("{} with free resources it can take: offers follow at "
                                        "the next allocation round",
                                        plural(fits, "agent", "agents")));
  }
  if (with_free == 0) {
    if (at_limit) {
      return say("QUOTA_LIMIT", fmt::format("role '{}' is at its quota limit", role.name));
    }
    // Who gets freed resources first: seats ahead in the hierarchical DRF order.
    size_t ahead = 0;
    for (size_t other = 0; other < seats_.size(); ++other) {
      if (other != handle && seats_[other].live && seats_[other].eligible &&
          const_cast<Allocator*>(this)->precedes(static_cast<uint32_t>(other), handle)) {
        ++ahead;
      }
    }
    e.ahead = ahead;
    if (ahead > 0) {
      return say("FAIR_SHARE",
                 fmt::format("no free resources; {} with lower shares come first when "
                             "resources are freed",
                             plural(ahead, "framework", "frameworks")));
    }
    return say("NO_RESOURCES", "no agent has free resources this framework could use");
  }
  if (constrained > 0 && constrained + gpu == with_free) {
    e.agents = constrained;
    return say("OFFER_CONSTRAINTS",
               fmt::format("its offer constraints for role '{}' exclude the {} with free "
                           "resources it could use",
                           role.name, plural(constrained, "agent", "agents")));
  }
  if (limited > 0 && limited + gpu == with_free) {
    e.agents = limited;
    return say("QUOTA_LIMIT", fmt::format("role '{}' is at its quota limit", role.name));
  }
  if (held > 0) {
    e.agents = held;
    return say("HEADROOM", fmt::format("free resources on {} are held back for other roles' "
                                       "unsatisfied quota guarantees",
                                       plural(held, "agent", "agents")));
  }
  if (filtered + gpu >= no_fit) {
    e.agents = filtered + gpu;
    std::string message =
        fmt::format("declined offers filter it on {}", plural(filtered + gpu, "agent", "agents"));
    if (gpu > 0) {
      message += fmt::format(" ({} with GPUs, which need the GPU_RESOURCES capability)", gpu);
    }
    return say("FILTERED", std::move(message));
  }
  e.agents = no_fit;
  return say("NO_FIT", fmt::format("free resources on {} are below its minimum allocatable "
                                   "resources",
                                   plural(no_fit, "agent", "agents")));
}

Result<std::vector<Explanation>> Allocator::explainFramework(
    const std::string& framework_id) const {
  const auto found = findAddedFramework(framework_id);
  if (!found) {
    return std::unexpected(unknownFramework(framework_id));
  }
  std::vector<Explanation> result;
  for (uint32_t seat : frameworks_[*found].seats) {
    if (seats_[seat].subscribed) {
      result.push_back(explainSeat(seat));
    }
  }
  std::sort(result.begin(), result.end(),
            [](const Explanation& x, const Explanation& y) { return x.role < y.role; });
  return result;
}

Result<Explanation> Allocator::explainRole(const std::string& role_name) const {
  const auto found = findRole(role_name);
  if (!found) {
    return notFound(fmt::format("unknown role '{}'", role_name));
  }
  std::vector<Explanation> seats;
  for (size_t seat = 0; seat < seats_.size(); ++seat) {
    const Seat& s = seats_[seat];
    if (s.live && s.role == *found && s.subscribed && frameworks_[s.framework].added) {
      seats.push_back(explainSeat(static_cast<uint32_t>(seat)));
    }
  }
  Explanation e;
  e.role = role_name;
  if (seats.empty()) {
    e.code = "NO_FRAMEWORKS";
    e.message = fmt::format("no framework is subscribed to role '{}'", role_name);
    return e;
  }
  // The role receives if any of its frameworks does; otherwise the reason of the first
  // framework that could take offers at all (not inactive or suppressed).
  auto pick = std::find_if(seats.begin(), seats.end(),
                           [](const Explanation& x) { return x.code == "RECEIVING"; });
  if (pick == seats.end()) {
    pick = std::find_if(seats.begin(), seats.end(), [](const Explanation& x) {
      return x.code != "INACTIVE" && x.code != "SUPPRESSED";
    });
  }
  if (pick == seats.end()) {
    pick = seats.begin();
  }
  e = *pick;
  e.framework_id.clear();
  e.role = role_name;
  e.message = fmt::format("{} (framework '{}'; {} in the role)", pick->message, pick->framework_id,
                          plural(seats.size(), "framework", "frameworks"));
  return e;
}

}  // namespace plateau::master::allocator
