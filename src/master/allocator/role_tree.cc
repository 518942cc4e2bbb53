#include "master/allocator/role_tree.h"

#include <algorithm>
#include <source_location>
#include <utility>

#include <fmt/format.h>

#include "common/invariant.h"
#include "common/roles.h"
#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

namespace {

constexpr const char* kSelfLeaf = ".";

template <class T>
T checked(Result<T> result, const std::source_location& where = std::source_location::current()) {
  if (!result) {
    invariantBroken(fmt::format("Allocator: {}", result.error().message()), where);
  }
  return *std::move(result);
}

}  // namespace

RoleTree::RoleTree() { roles_.add(""); }

std::optional<uint32_t> RoleTree::find(const std::string& name) const {
  if (name.empty()) {
    return std::nullopt;  // the root is nobody's role
  }
  return roles_.find(name);
}

uint32_t RoleTree::roleFor(const std::string& name) {
  if (const auto found = find(name)) {
    return *found;
  }
  const std::string_view up = roles::parent(name);
  const uint32_t parent = up.empty() ? kRoot : roleFor(std::string(up));
  const uint32_t handle = roles_.add(name);
  Role& role = roles_[handle];
  role.parent = parent;
  role.frameworks.setTotal(sorterTotal());
  role.children.setTotal(sorterTotal());
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
  return handle;
}

void RoleTree::maybeRelease(uint32_t handle) {
  while (handle != kRoot) {
    const Role& role = roles_[handle];
    if (!roles_.live(handle) || role.seats != 0 || role.child_count != 0 || role.pinned ||
        !role.reserved.isZero() || !role.allocated.isZero()) {
      return;
    }
    const uint32_t parent = role.parent;
    Role& p = roles_[parent];
    p.children.remove(role.client);
    p.role_of_child[role.client] = kNone;
    --p.child_count;
    roles_.release(handle);
    handle = parent;
  }
}

Status RoleTree::setWeight(const std::string& name, double weight) {
  weights_[name] = weight;
  if (const auto found = find(name)) {
    const Role& role = roles_[*found];
    return roles_[role.parent].children.setWeight(role.client, weight);
  }
  return Status::ok();
}

std::optional<uint32_t> RoleTree::findSeat(const std::vector<uint32_t>& seats,
                                           uint32_t role) const {
  for (uint32_t seat : seats) {
    if (seats_[seat].role == role) {
      return seat;
    }
  }
  return std::nullopt;
}

uint32_t RoleTree::addSeat(uint32_t framework, const std::string& framework_id,
                           uint32_t role_handle) {
  const uint32_t handle = seats_.add();
  Seat& seat = seats_[handle];
  seat.framework = framework;
  seat.role = role_handle;
  Role& role = roles_[role_handle];
  seat.client = checked(role.frameworks.add(framework_id));
  role.frameworks.deactivate(seat.client);
  if (role.seat_of_client.size() <= seat.client) {
    role.seat_of_client.resize(seat.client + 1, kNone);
  }
  role.seat_of_client[seat.client] = handle;
  ++role.seats;
  return handle;
}

bool RoleTree::releasable(uint32_t handle) const {
  const Seat& seat = seats_[handle];
  return seats_.live(handle) && !seat.subscribed && seat.agents_used.none();
}

void RoleTree::releaseSeat(uint32_t handle) {
  const Seat& seat = seats_[handle];
  const uint32_t role_handle = seat.role;
  Role& role = roles_[role_handle];
  role.frameworks.remove(seat.client);
  role.seat_of_client[seat.client] = kNone;
  --role.seats;
  seats_.release(handle);
  maybeRelease(role_handle);
}

void RoleTree::subscribe(uint32_t handle, bool subscribed, bool suppressed, bool constrained) {
  Seat& seat = seats_[handle];
  seat.subscribed = subscribed;
  seat.suppressed = suppressed;
  seat.constrained = constrained;
}

bool RoleTree::setEligible(uint32_t handle, bool eligible) {
  Seat& seat = seats_[handle];
  if (seat.eligible == eligible) {
    return false;
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
    return true;
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
  return false;
}

void RoleTree::setUsesAgent(uint32_t seat, uint32_t agent, bool uses) {
  if (uses) {
    seats_[seat].agents_used.set(agent);
  } else {
    seats_[seat].agents_used.reset(agent);
  }
}

void RoleTree::allocate(uint32_t handle, const ResourceVector& vector) {
  Seat& seat = seats_[handle];
  seat.allocated += vector;
  Role& role = roles_[seat.role];
  role.frameworks.allocated(seat.client, vector);
  role.children.allocated(role.self, vector);
  for (uint32_t r = seat.role; r != kRoot; r = roles_[r].parent) {
    roles_[r].allocated += vector;
    roles_[roles_[r].parent].children.allocated(roles_[r].client, vector);
  }
}

void RoleTree::unallocate(uint32_t handle, const ResourceVector& vector) {
  Seat& seat = seats_[handle];
  seat.allocated -= vector;
  Role& role = roles_[seat.role];
  role.frameworks.unallocated(seat.client, vector);
  role.children.unallocated(role.self, vector);
  for (uint32_t r = seat.role; r != kRoot; r = roles_[r].parent) {
    roles_[r].allocated -= vector;
    roles_[roles_[r].parent].children.unallocated(roles_[r].client, vector);
  }
}

void RoleTree::trackReserved(const Resources& resources, bool allocated, bool add) {
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
      maybeRelease(role);
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

void RoleTree::addTotal(const ResourceVector& total, bool add) {
  if (add) {
    total_ += total;
  } else {
    total_ -= total;
  }
  total_changed_ = true;
}

void RoleTree::syncTotals() {
  if (!total_changed_) {
    return;
  }
  const ResourceVector total = sorterTotal();
  for (uint32_t handle = 0; handle < roles_.bound(); ++handle) {
    if (roles_.live(handle)) {
      roles_[handle].children.setTotal(total);
      roles_[handle].frameworks.setTotal(total);
    }
  }
  total_changed_ = false;
}

void RoleTree::excludeFromFairness(const std::vector<std::string>& names) {
  constexpr std::array<const char*, ResourceVector::kSlotCount> kNames = {"cpus", "mem", "disk",
                                                                          "gpus"};
  excluded_ = {};
  for (size_t slot = 0; slot < kNames.size(); ++slot) {
    excluded_[slot] = std::ranges::find(names, kNames[slot]) != names.end();
  }
  total_changed_ = true;
}

ResourceVector RoleTree::sorterTotal() const {
  // A slot with a zero total counts in no dominant share (drf_sorter.h).
  ResourceVector total = total_;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (excluded_[slot]) {
      total.milli[slot] = 0;
    }
  }
  return total;
}

std::vector<uint32_t> RoleTree::pathFromRoot(uint32_t role) const {
  std::vector<uint32_t> chain;
  for (uint32_t r = role; r != kRoot; r = roles_[r].parent) {
    chain.push_back(r);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

bool RoleTree::precedes(uint32_t x, uint32_t y) {
  const Seat& sx = seats_[x];
  const Seat& sy = seats_[y];
  if (sx.role == sy.role) {
    Role& role = roles_[sx.role];
    const double wx = role.frameworks.weightedShare(sx.client);
    const double wy = role.frameworks.weightedShare(sy.client);
    return wx != wy ? wx < wy : role.frameworks.name(sx.client) < role.frameworks.name(sy.client);
  }
  // Paths from the root; compare where they part, within the parent's sorter.
  const auto px = pathFromRoot(sx.role);
  const auto py = pathFromRoot(sy.role);
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

}  // namespace plateau::master::allocator
