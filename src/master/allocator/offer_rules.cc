#include "master/allocator/offer_rules.h"

#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

bool OfferRules::meetsMinimum(uint32_t seat, const Resources& offered) const {
  const RoleTree::Seat& s = tree_.seat(seat);
  const auto& own = frameworks_[s.framework].spec.min_allocatable;
  const auto it = own.find(tree_.name(s.role));
  return meetsAny(offered, it == own.end() ? options_.min_allocatable : it->second);
}

bool OfferRules::constraintsExclude(const Agent& agent, uint32_t seat) const {
  const RoleTree::Seat& s = tree_.seat(seat);
  const auto& constraints = frameworks_[s.framework].spec.offer_constraints;
  const auto it = constraints.find(tree_.name(s.role));
  return it != constraints.end() && !admits(it->second, agent.labels);
}

Resources OfferRules::candidateFor(const Agent& agent, uint32_t seat, uint32_t quota_role,
                                   bool& clipped) {
  const RoleTree::Seat& s = tree_.seat(seat);
  const std::string& role = tree_.name(s.role);
  Resources candidate = agent.free.unreservedOnly() ? agent.free : allocatableTo(agent.free, role);
  if (frameworks_[s.framework].spec.no_refinements && !candidate.unreservedOnly()) {
    candidate = candidate.filter([](const Resource& r) { return r.reservations.size() <= 1; });
  }
  // Revocable resources go only to REVOCABLE_RESOURCES frameworks, and never towards a quota
  // guarantee (stage 1): quota is made of resources that stay.
  if (!frameworks_[s.framework].spec.revocable_capable || quota_role != kNone) {
    candidate.extract([](const Resource& r) { return r.revocable; });
  }
  if (quota_.empty() || candidate.empty()) {
    return candidate;
  }
  if (clip(candidate, quota_.candidateCaps(s.role, quota_role))) {
    clipped = true;
  }
  return candidate;
}

}  // namespace plateau::master::allocator
