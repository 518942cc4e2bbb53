#pragma once

// Explanations: why a framework (in one role) or a role gets offers or not ("why no offers").
//
// Guarantees: an Explainer owns nothing and changes no allocator state; it reads the agents,
// frameworks, role tree, quota, filters and offer rules of one Allocator for the duration of one
// call (computed on demand: each explanation scans the agents once). It takes the role tree
// non-const only because the DRF sorters refresh their cached shares lazily.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "master/allocator/allocator_types.h"
#include "master/allocator/filter_book.h"
#include "master/allocator/handle_table.h"
#include "master/allocator/offer_rules.h"
#include "master/allocator/quota.h"
#include "master/allocator/records.h"
#include "master/allocator/role_tree.h"

namespace plateau::master::allocator {

class Explainer {
 public:
  Explainer(const HandleTable<Agent>& agents, const HandleTable<Framework>& frameworks,
            RoleTree& tree, const QuotaBook& quota, const FilterBook& filters,
            const OfferRules& rules, uint64_t round)
      : agents_(agents),
        frameworks_(frameworks),
        tree_(tree),
        quota_(quota),
        filters_(filters),
        rules_(rules),
        round_(round) {}

  // One explanation per role the (added) framework is subscribed to, by role name.
  std::vector<Explanation> framework(uint32_t framework) const;
  // The role as a whole: its first receiving framework, or the first that could take offers.
  Explanation role(uint32_t role) const;

 private:
  // Agents with free resources the seat could use, by what keeps it from them.
  struct Tally {
    size_t with_free = 0;
    size_t gpu = 0;
    size_t constrained = 0;
    size_t limited = 0;
    size_t held = 0;
    size_t filtered = 0;
    size_t no_fit = 0;
    size_t fits = 0;
  };

  Explanation seat(uint32_t seat) const;
  // The seat's state alone explains it (inactive, suppressed, just offered to): code set.
  bool byState(uint32_t seat, Explanation& e) const;
  Tally tally(uint32_t seat, const Caps& limits) const;
  Explanation byTally(uint32_t seat, const Tally& t, bool at_limit, Explanation e) const;
  // Without free resources it could use: quota limit, fair share or nothing free.
  Explanation byOrder(uint32_t seat, bool at_limit, Explanation e) const;
  // Eligible seats ahead of the seat in the hierarchical DRF order.
  size_t ahead(uint32_t seat) const;

  const HandleTable<Agent>& agents_;
  const HandleTable<Framework>& frameworks_;
  RoleTree& tree_;
  const QuotaBook& quota_;
  const FilterBook& filters_;
  const OfferRules& rules_;
  uint64_t round_;
};

}  // namespace plateau::master::allocator
