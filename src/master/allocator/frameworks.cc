#include "master/allocator/frameworks.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/roles.h"

namespace plateau::master::allocator {

namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

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

std::optional<uint32_t> FrameworkBook::findAdded(const std::string& id) const {
  const auto found = frameworks_.find(id);
  if (!found || !frameworks_[*found].added) {
    return std::nullopt;
  }
  return found;
}

std::optional<uint32_t> FrameworkBook::seatNamed(uint32_t framework,
                                                 const std::string& role) const {
  // A framework has few roles: comparing names beats hashing one.
  std::optional<uint32_t> seat;
  for (uint32_t candidate : frameworks_[framework].seats) {
    if (tree_.name(tree_.seat(candidate).role) == role) {
      seat = candidate;
    }
  }
  return seat;
}

uint32_t FrameworkBook::orPlaceholder(const std::string& id) {
  if (auto found = frameworks_.find(id)) {
    return *found;
  }
  return frameworks_.add(id);
}

void FrameworkBook::maybeForget(uint32_t framework) {
  const Framework& f = frameworks_[framework];
  if (frameworks_.live(framework) && !f.added && f.seats.empty()) {
    frameworks_.release(framework);
  }
}

uint32_t FrameworkBook::seatFor(uint32_t framework, const std::string& role_name) {
  const uint32_t role = tree_.roleFor(role_name);
  if (const auto found = tree_.findSeat(frameworks_[framework].seats, role)) {
    return *found;
  }
  const uint32_t seat = tree_.addSeat(framework, frameworks_.id(framework), role);
  frameworks_[framework].seats.push_back(seat);
  return seat;
}

void FrameworkBook::maybeReleaseSeat(uint32_t seat) {
  if (!tree_.releasable(seat)) {
    return;
  }
  setEligible(seat, false);
  filters_.clearSeat(seat);
  const uint32_t framework = tree_.seat(seat).framework;
  std::erase(frameworks_[framework].seats, seat);
  tree_.releaseSeat(seat);
  maybeForget(framework);
}

void FrameworkBook::setEligible(uint32_t seat, bool eligible) {
  if (tree_.setEligible(seat, eligible)) {
    queue_.seatEligible(seat);
  }
}

void FrameworkBook::refreshEligibility(uint32_t seat) {
  const RoleTree::Seat& s = tree_.seat(seat);
  const Framework& f = frameworks_[s.framework];
  setEligible(seat, f.added && f.active && !f.paused && s.subscribed && !s.suppressed);
}

void FrameworkBook::applySpec(uint32_t framework, const FrameworkSpec& spec) {
  Framework& f = frameworks_[framework];
  const bool offers_change = f.spec.gpu_capable != spec.gpu_capable ||
                             f.spec.min_allocatable != spec.min_allocatable ||
                             f.spec.no_refinements != spec.no_refinements ||
                             f.spec.revocable_capable != spec.revocable_capable ||
                             f.spec.offer_constraints != spec.offer_constraints;
  f.spec = spec;
  for (const std::string& role : spec.roles) {
    seatFor(framework, role);
  }
  const std::vector<uint32_t> seats = frameworks_[framework].seats;
  for (uint32_t seat : seats) {
    const std::string& role = tree_.name(tree_.seat(seat).role);
    tree_.subscribe(seat, spec.roles.contains(role), spec.suppressed_roles.contains(role),
                    spec.offer_constraints.contains(role));
    const bool before = tree_.seat(seat).eligible;
    refreshEligibility(seat);
    if (before && tree_.seat(seat).eligible && offers_change) {
      queue_.seatEligible(seat);
    }
    if (!tree_.seat(seat).subscribed) {
      filters_.clearSeat(seat);
      maybeReleaseSeat(seat);
    }
  }
}

Status FrameworkBook::add(const std::string& id, const FrameworkSpec& spec, bool active) {
  if (Status status = validateSpec(id, spec); !status.isOk()) {
    return status;
  }
  if (findAdded(id)) {
    return Status(StatusCode::kAlreadyExists, fmt::format("framework '{}' exists", id));
  }
  const uint32_t handle = orPlaceholder(id);
  frameworks_[handle].added = true;
  frameworks_[handle].active = active;
  applySpec(handle, spec);
  return Status::ok();
}

Status FrameworkBook::update(const std::string& id, const FrameworkSpec& spec) {
  if (Status status = validateSpec(id, spec); !status.isOk()) {
    return status;
  }
  const auto found = findAdded(id);
  if (!found) {
    return Status(StatusCode::kNotFound, fmt::format("unknown framework '{}'", id));
  }
  applySpec(*found, spec);
  return Status::ok();
}

void FrameworkBook::unsubscribe(uint32_t seat) {
  tree_.clearAgentsUsed(seat);
  const RoleTree::Seat& s = tree_.seat(seat);
  tree_.subscribe(seat, false, s.suppressed, s.constrained);
  maybeReleaseSeat(seat);
}

void FrameworkBook::forget(uint32_t framework) {
  frameworks_[framework].added = false;
  maybeForget(framework);
}

void FrameworkBook::setActive(uint32_t framework, bool active) {
  frameworks_[framework].active = active;
  for (uint32_t seat : frameworks_[framework].seats) {
    refreshEligibility(seat);
    if (!active) {
      filters_.clearSeat(seat);
    }
  }
}

void FrameworkBook::setPaused(uint32_t framework, bool paused) {
  frameworks_[framework].paused = paused;
  for (uint32_t seat : frameworks_[framework].seats) {
    refreshEligibility(seat);
  }
}

void FrameworkBook::suppress(uint32_t framework, const std::set<std::string>& roles) {
  Framework& f = frameworks_[framework];
  const std::set<std::string>& which = roles.empty() ? f.spec.roles : roles;
  for (const std::string& role : which) {
    f.spec.suppressed_roles.insert(role);
  }
  for (uint32_t seat : f.seats) {
    if (which.contains(tree_.name(tree_.seat(seat).role))) {
      tree_.setSuppressed(seat, true);
      refreshEligibility(seat);
    }
  }
}

void FrameworkBook::revive(uint32_t framework, const std::set<std::string>& roles) {
  Framework& f = frameworks_[framework];
  const std::set<std::string> which = roles.empty() ? f.spec.roles : roles;
  for (const std::string& role : which) {
    f.spec.suppressed_roles.erase(role);
  }
  for (uint32_t seat : f.seats) {
    if (!which.contains(tree_.name(tree_.seat(seat).role))) {
      continue;
    }
    const bool before = tree_.seat(seat).eligible;
    tree_.setSuppressed(seat, false);
    refreshEligibility(seat);
    if (before && tree_.seat(seat).eligible) {
      // Eligible before and after: only the agents it had filtered can change hands.
      filters_.forEachFilteredAgent(
          seat, [this](size_t agent) { queue_.markDirty(static_cast<uint32_t>(agent)); });
    }
    filters_.clearSeat(seat);
  }
}

}  // namespace plateau::master::allocator
