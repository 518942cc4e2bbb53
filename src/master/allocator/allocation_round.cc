#include "master/allocator/allocation_round.h"

#include <algorithm>
#include <utility>

#include "common/roles.h"
#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

void markAllWithFree(const HandleTable<Agent>& agents, ExamineQueue& queue) {
  for (uint32_t agent = 0; agent < agents.bound(); ++agent) {
    if (agents.live(agent) && !agents[agent].free.empty()) {
      queue.markDirty(agent);
    }
  }
}

void AllocationRound::run(size_t max_agents) {
  stage1_ = quota_.belowGuarantee();
  const std::vector<uint32_t> newly = newcomers();
  // Past a handful of newcomers, or with quota in play, the sorted walk of examine() over every
  // agent with free resources is the simpler and cheaper choice. So it is when a sweep for
  // earlier newcomers is still unfinished: a full walk serves both.
  constexpr size_t kMaxTargeted = 16;
  if (!newly.empty()) {
    if (newly.size() > kMaxTargeted || !quota_.empty() || queue_.sweeping()) {
      queue_.endSweep();
      markAllWithFree(agents_, queue_);
    } else {
      queue_.startSweep(newly);
    }
  }
  const std::vector<uint32_t> dirty = queue_.takeDirty(max_agents);
  for (uint32_t agent : dirty) {
    if (agents_.live(agent)) {
      examine(agent);
    }
  }
  // Every other agent with free resources is settled: no seat that was eligible last round can
  // take them. Only seats that became eligible since then can, so try just those.
  if (queue_.sweeping() && dirty.size() < max_agents) {
    sweep(max_agents - dirty.size());
  }
  queue_.clearDirty(dirty);
}

std::vector<uint32_t> AllocationRound::newcomers() {
  std::vector<uint32_t> newly = queue_.takeNewlyEligible();
  std::erase_if(
      newly, [this](uint32_t seat) { return !tree_.seatLive(seat) || !tree_.seat(seat).eligible; });
  return newly;
}

void AllocationRound::examine(uint32_t agent) {
  Agent& a = agents_[agent];
  if (a.free.empty() || !a.offerable()) {
    return;
  }
  ++stats_.agents_examined;
  bool clipped = false;
  offerGuarantees(agent, clipped);
  offerRest(agent, clipped);
  if (clipped && !a.free.empty()) {
    queue_.holdForQuota(agent);
  }
}

// ---------------------------------------------------------------------------------------------
// Stage 1: roles below their guarantee, least satisfied first, take what they are guaranteed.
// Within a round consumption only grows, so a role met once is dropped from the list.

void AllocationRound::offerGuarantees(uint32_t agent, bool& clipped) {
  Agent& a = agents_[agent];
  for (size_t i = 0; i < stage1_.size() && !a.free.empty();) {
    const uint32_t q = stage1_[i];
    if (!quota_.guaranteeUnmet(q)) {
      stage1_.erase(stage1_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
    Resources chosen;
    auto pred = [&](uint32_t seat) {
      if (rules_.gpuBlocked(a, seat) || rules_.regionBlocked(a, seat) ||
          rules_.constrainedOut(a, seat)) {
        return false;
      }
      Resources candidate = rules_.candidateFor(a, seat, q, clipped);
      if (candidate.empty() || filters_.blocks(agent, seat, candidate) ||
          !rules_.meetsMinimum(seat, candidate)) {
        return false;
      }
      chosen = std::move(candidate);
      return true;
    };
    // The quota role itself and every role below it share its guarantee.
    const uint32_t seat = tree_.pickSeat(q, pred);
    if (seat != kNone) {
      a.free -= chosen;
      grant_(agent, seat, std::move(chosen));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Stage 2: everything left goes in DRF order, within limits and headroom.

void AllocationRound::offerRest(uint32_t agent, bool& clipped) {
  Agent& a = agents_[agent];
  // Refined reservations (rare) take the general path, which withholds them from frameworks
  // that cannot read a reservation stack.
  // Revocable resources depend on the framework, not only the role: the general path too.
  const bool simple =
      quota_.empty() && !a.has_revocable &&
      (a.free.unreservedOnly() || std::none_of(a.free.begin(), a.free.end(), [](const Resource& r) {
         return r.reservations.size() > 1;
       }));
  while (!a.free.empty()) {
    CandidateCache c = scanFree(agent, simple);
    const uint32_t seat = pickRest(agent, c, clipped);
    if (seat == kNone) {
      break;
    }
    grant_(agent, seat, takeChosen(agent, seat, c));
  }
}

CandidateCache AllocationRound::scanFree(uint32_t agent, bool simple) {
  const Agent& a = agents_[agent];
  CandidateCache c;
  c.simple = simple;
  c.unreserved = a.free.unreservedOnly();
  c.filtered = !filters_.empty(agent);
  if (simple && c.unreserved && c.filtered) {
    filters_.prepare(agent, a.free);
  }
  if (!simple || c.unreserved) {
    return c;
  }
  for (const Resource& r : a.free) {
    if (r.role == "*") {
      c.has_unreserved = true;
    } else if (std::find(c.reserved_roles.begin(), c.reserved_roles.end(),
                         std::string_view(r.role)) == c.reserved_roles.end()) {
      c.reserved_roles.emplace_back(r.role);
    }
  }
  // Every reserved role of an agent's total is in the tree; names are compared only if one is
  // not.
  c.by_handle = true;
  for (std::string_view r : c.reserved_roles) {
    const auto found = tree_.find(std::string(r));
    if (!found) {
      c.by_handle = false;
      break;
    }
    c.reserved_handles.push_back(*found);
  }
  return c;
}

bool AllocationRound::mayEnter(const CandidateCache& c, uint32_t role, bool own_seats) const {
  // Once only reserved resources are left, every role but those they are reserved for (and their
  // sub-roles) is skipped whole.
  if (c.has_unreserved) {
    return true;
  }
  if (c.by_handle) {
    // Own seats may use a reservation for the role or an ancestor; some role in the subtree may
    // also use one for a role below it.
    return std::any_of(c.reserved_handles.begin(), c.reserved_handles.end(), [&](uint32_t r) {
      return tree_.isUnder(role, r) || (!own_seats && tree_.isUnder(r, role));
    });
  }
  const std::string_view name = tree_.name(role);
  if (own_seats) {
    return hasReservedFor(c.reserved_roles, name);
  }
  return std::any_of(c.reserved_roles.begin(), c.reserved_roles.end(), [name](std::string_view r) {
    return roles::isSubroleOrSame(name, r) || roles::isSubroleOrSame(r, name);
  });
}

uint32_t AllocationRound::pickRest(uint32_t agent, CandidateCache& c, bool& clipped) {
  auto pred = [&](uint32_t seat) { return accepts(agent, seat, c, clipped); };
  auto enter = [&](uint32_t role, bool own_seats) { return mayEnter(c, role, own_seats); };
  if (c.simple && !c.unreserved && !c.has_unreserved && c.by_handle &&
      c.reserved_handles.size() == 1) {
    // Only reservations for one role are left: just that role's subtree may use them, and the
    // DRF order restricted to it is the order of its own walk.
    return tree_.pickSeat(c.reserved_handles[0], pred, enter);
  }
  if (c.simple && !c.unreserved) {
    return tree_.pickSeat(RoleTree::kRoot, pred, enter);
  }
  return tree_.pickSeat(RoleTree::kRoot, pred);
}

bool AllocationRound::accepts(uint32_t agent, uint32_t seat, CandidateCache& c, bool& clipped) {
  const Agent& a = agents_[agent];
  if (rules_.gpuBlocked(a, seat) || rules_.regionBlocked(a, seat) ||
      rules_.constrainedOut(a, seat)) {
    return false;
  }
  if (c.simple && c.unreserved) {
    return acceptsWhole(agent, seat, c);
  }
  if (c.simple) {
    return acceptsSimple(agent, seat, c);
  }
  return acceptsCapped(agent, seat, c, clipped);
}

bool AllocationRound::acceptsWhole(uint32_t agent, uint32_t seat, CandidateCache& c) {
  // Usually every free resource is unreserved and uncapped: each seat may take all of them, and
  // the filter check uses the cache prepared for the whole free set.
  if (c.filtered && filters_.blocksPrepared(agent, seat)) {
    return false;
  }
  if (!rules_.meetsMinimum(seat, agents_[agent].free)) {
    return false;
  }
  c.take_all = true;
  return true;
}

bool AllocationRound::acceptsSimple(uint32_t agent, uint32_t seat, CandidateCache& c) {
  const uint32_t role = tree_.seat(seat).role;
  if (c.cached_role != role) {
    c.cached_role = role;
    c.cached_reserved = c.by_handle
                            ? std::any_of(c.reserved_handles.begin(), c.reserved_handles.end(),
                                          [&](uint32_t r) { return tree_.isUnder(role, r); })
                            : hasReservedFor(c.reserved_roles, tree_.name(role));
    if (c.cached_reserved) {
      c.cached = allocatableTo(agents_[agent].free, tree_.name(role));
      c.cached_memo.clear();
    }
  }
  if (!c.cached_reserved) {
    // A role with none of the reservations may take the unreserved part only.
    const Resources& part = unreservedPart(agent, c);
    return !part.empty() && !(c.filtered && filters_.blocksPrepared(agent, seat)) &&
           rules_.meetsMinimum(seat, part);
  }
  return !c.cached.empty() &&
         !(c.filtered && filters_.blocks(agent, seat, c.cached, c.cached_memo)) &&
         rules_.meetsMinimum(seat, c.cached);
}

const Resources& AllocationRound::unreservedPart(uint32_t agent, CandidateCache& c) {
  if (c.unreserved_ready != nullptr) {
    return *c.unreserved_ready;
  }
  const Resources& free = agents_[agent].free;
  // Usually the filter cache was prepared for this very set (the free resources came back
  // unchanged): use its copy instead of making one.
  c.unreserved_ready =
      c.filtered && c.has_unreserved ? filters_.preparedForUnreservedOf(agent, free) : nullptr;
  if (c.unreserved_ready == nullptr) {
    c.unreserved_part = free.unreserved();
    if (c.filtered && !c.unreserved_part.empty()) {
      filters_.prepare(agent, c.unreserved_part);
    }
    c.unreserved_ready = &c.unreserved_part;
  }
  return *c.unreserved_ready;
}

bool AllocationRound::acceptsCapped(uint32_t agent, uint32_t seat, CandidateCache& c,
                                    bool& clipped) {
  const uint32_t role = tree_.seat(seat).role;
  const bool revocable = rules_.takesRevocable(seat);
  if (c.cached_role != role || c.cached_revocable != revocable) {
    c.cached_role = role;
    c.cached_revocable = revocable;
    c.cached = rules_.candidateFor(agents_[agent], seat, kNone, clipped);
  }
  if (c.cached.empty() || (c.filtered && filters_.blocks(agent, seat, c.cached)) ||
      !rules_.meetsMinimum(seat, c.cached)) {
    return false;
  }
  c.chosen = c.cached;
  return true;
}

Resources AllocationRound::takeChosen(uint32_t agent, uint32_t seat, CandidateCache& c) {
  Resources& free = agents_[agent].free;
  if (c.take_all) {
    return std::exchange(free, Resources());
  }
  if (c.simple) {
    // What the seat may use of the free resources, taken out of them whole.
    const std::string_view role = tree_.name(tree_.seat(seat).role);
    return free.extract([role](const Resource& r) { return allocatableEntry(r, role); });
  }
  free -= c.chosen;
  return std::move(c.chosen);
}

// ---------------------------------------------------------------------------------------------
// Settled agents, tried against the seats that became eligible since the last round.

void AllocationRound::sweep(size_t max_agents) {
  // The seats may have been removed or suppressed since the sweep began.
  std::vector<uint32_t> seats = queue_.sweepSeats();
  std::erase_if(
      seats, [this](uint32_t seat) { return !tree_.seatLive(seat) || !tree_.seat(seat).eligible; });
  uint32_t agent = queue_.sweepCursor();
  size_t examined = 0;
  for (; agent < agents_.bound() && examined < max_agents && !seats.empty(); ++agent) {
    if (!agents_.live(agent) || queue_.isDirty(agent) || agents_[agent].free.empty()) {
      continue;
    }
    examineFor(agent, seats);
    ++examined;
  }
  if (agent >= agents_.bound() || seats.empty()) {
    queue_.endSweep();
  } else {
    queue_.advanceSweep(agent);
  }
}

void AllocationRound::examineFor(uint32_t agent, const std::vector<uint32_t>& candidates) {
  Agent& a = agents_[agent];
  if (!a.offerable()) {
    return;
  }
  ++stats_.agents_examined;
  while (!a.free.empty()) {
    const bool unreserved = a.free.unreservedOnly() && !a.has_revocable;
    const bool filtered = !filters_.empty(agent);
    if (unreserved && filtered) {
      filters_.prepare(agent, a.free);
    }
    Resources best_resources;
    const uint32_t best = bestNewcomer(agent, candidates, unreserved, filtered, best_resources);
    if (best == kNone) {
      return;
    }
    if (unreserved) {
      best_resources = std::exchange(a.free, Resources());
    } else {
      a.free -= best_resources;
    }
    grant_(agent, best, std::move(best_resources));
  }
}

uint32_t AllocationRound::bestNewcomer(uint32_t agent, const std::vector<uint32_t>& candidates,
                                       bool unreserved, bool filtered, Resources& best_resources) {
  const Agent& a = agents_[agent];
  uint32_t best = kNone;
  for (uint32_t seat : candidates) {
    if (rules_.gpuBlocked(a, seat) || rules_.regionBlocked(a, seat) ||
        rules_.constrainedOut(a, seat)) {
      continue;
    }
    Resources candidate =
        unreserved ? Resources() : allocatableTo(a.free, tree_.name(tree_.seat(seat).role));
    if (!unreserved && !rules_.takesRevocable(seat)) {
      candidate.extract([](const Resource& r) { return r.revocable; });
    }
    const Resources& offered = unreserved ? a.free : candidate;
    if (offered.empty()) {
      continue;
    }
    if (filtered && (unreserved ? filters_.blocksPrepared(agent, seat)
                                : filters_.blocks(agent, seat, offered))) {
      continue;
    }
    if (!rules_.meetsMinimum(seat, offered)) {
      continue;
    }
    if (best == kNone || tree_.precedes(seat, best)) {
      best = seat;
      best_resources = std::move(candidate);
    }
  }
  return best;
}

}  // namespace plateau::master::allocator
