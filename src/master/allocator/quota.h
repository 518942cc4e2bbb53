#pragma once

// Quota and headroom: roles' guarantees and limits, and the unreserved resources held back so
// that guarantees not yet met can still be satisfied.
//
// Guarantees (QuotaBook alone writes its fields; it reads allocations from the RoleTree it is
// given, which must outlive it):
// - roles() lists exactly the roles with a quota, in the order their quotas were set;
// - limited counts those of them with a limit;
// - unless stale, required_ is what the outermost roles with a guarantee still miss of it, summed
//   (a nested guarantee is part of its ancestor's); callers report allocation changes through
//   beforeChange()/afterChange() and anything else that moves consumption through markStale();
// - the unreserved total and its allocated part are what the owner reported.

#include <cstdint>
#include <string>
#include <vector>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/reservation_rules.h"
#include "master/allocator/role_tree.h"

namespace plateau::master::allocator {

// A quota as the allocator keeps it.
struct QuotaLimits {
  ResourceVector guarantee;
  Caps limit{};      // kUncapped where none
  bool none = true;  // no guarantee and no limit: the quota is removed
};

// Checks a role's quota and turns it into vectors. InvalidArgument for a bad role name, a
// resource other than cpus, mem, disk or gpus, or a guarantee above the limit.
Result<QuotaLimits> parseQuota(const std::string& role, const Quota& quota);

// The share of its guarantee a role consumes (the largest over guaranteed kinds).
double quotaShare(const ResourceVector& consumed, const ResourceVector& guarantee);

class QuotaBook {
 public:
  explicit QuotaBook(const RoleTree& tree) : tree_(tree) {}

  // No role has a quota.
  bool empty() const { return roles_.empty(); }
  // Sets or removes the role's quota; marks required_ stale.
  void set(uint32_t role, const QuotaLimits& quota);
  // Unallocated reservations count towards guarantees: their change makes required_ stale.
  void reservationsChanged() {
    if (!roles_.empty()) {
      required_stale_ = true;
    }
  }
  void addUnreservedTotal(const ResourceVector& vector, bool add);
  void addUnreservedAllocated(const ResourceVector& vector, bool add);

  // Around a change of a seat's allocation in `role`: afterChange() keeps required_ up to date
  // and says whether a guarantee was concerned.
  struct Change {
    uint32_t top = kNone;
    ResourceVector missing_before;
  };
  Change beforeChange(uint32_t role) const { return roles_.empty() ? Change{} : changeOf(role); }
  bool afterChange(const Change& change) { return change.top != kNone && applyChange(change); }

  bool guaranteeUnmet(uint32_t role) const;
  // Caps from the limits of the role and its ancestors.
  Caps limitCaps(uint32_t role) const;
  // Unreserved resources free for anyone: not allocated and not needed by guarantees.
  ResourceVector surplusHeadroom();
  // The same, computed afresh (const: for explanations).
  ResourceVector freshSurplus() const;
  // Caps on what a seat of `seat_role` is offered in stage 1 (for `quota_role`) or stage 2
  // (quota_role == kNone).
  Caps candidateCaps(uint32_t seat_role, uint32_t quota_role);
  // Roles with an eligible seat below their guarantee, least satisfied first.
  std::vector<uint32_t> belowGuarantee();

 private:
  struct Entry {
    bool has = false;
    ResourceVector guarantee;
    Caps limit{};
  };

  const Entry* entry(uint32_t role) const {
    return role < entries_.size() && entries_[role].has ? &entries_[role] : nullptr;
  }
  Change changeOf(uint32_t role) const;
  bool applyChange(const Change& change);
  ResourceVector unmet(uint32_t role) const;
  // The outermost role with a guarantee on the path from the root to `role`, or kNone.
  uint32_t topGuaranteed(uint32_t role) const;
  ResourceVector computeRequired() const;
  void refreshRequired();
  ResourceVector surplusFrom(const ResourceVector& required) const;

  const RoleTree& tree_;
  std::vector<Entry> entries_;  // by role handle
  std::vector<uint32_t> roles_;
  size_t limited_ = 0;
  ResourceVector required_;
  bool required_stale_ = false;
  ResourceVector unreserved_total_;
  ResourceVector unreserved_allocated_;
};

}  // namespace plateau::master::allocator
