#pragma once

// What a seat may be offered of an agent: GPU capability, offer constraints, the minimum
// allocatable resources, and the candidate (its allocatable part of the agent's free resources,
// capped by quota limits and headroom; revocable resources only for REVOCABLE_RESOURCES
// frameworks and outside quota guarantees).
//
// Guarantees: OfferRules owns nothing; it reads the role tree, the framework table and the
// options, and refreshes the quota book's required headroom on demand. The owner keeps all of
// them alive and in place for as long as the OfferRules.

#include <cstdint>

#include "common/resources.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/handle_table.h"
#include "master/allocator/quota.h"
#include "master/allocator/records.h"
#include "master/allocator/role_tree.h"

namespace plateau::master::allocator {

class OfferRules {
 public:
  OfferRules(const Options& options, const RoleTree& tree, const HandleTable<Framework>& frameworks,
             QuotaBook& quota)
      : options_(options), tree_(tree), frameworks_(frameworks), quota_(quota) {}

  bool gpuBlocked(const Agent& agent, uint32_t seat) const {
    return agent.has_gpus && !frameworks_[tree_.seat(seat).framework].spec.gpu_capable;
  }
  // The agent is in another region than the master and the seat's framework is not
  // REGION_AWARE.
  bool regionBlocked(const Agent& agent, uint32_t seat) const {
    return options_.master_region && agent.labels.region &&
           *agent.labels.region != *options_.master_region &&
           !frameworks_[tree_.seat(seat).framework].spec.region_aware;
  }
  // The seat's offer constraints exclude the agent.
  bool constrainedOut(const Agent& agent, uint32_t seat) const {
    return tree_.seat(seat).constrained && constraintsExclude(agent, seat);
  }
  bool meetsMinimum(uint32_t seat, const Resources& offered) const;
  // Whether the seat's framework may be offered revocable resources (REVOCABLE_RESOURCES).
  bool takesRevocable(uint32_t seat) const {
    return frameworks_[tree_.seat(seat).framework].spec.revocable_capable;
  }
  // What the seat would be offered of the agent's free resources in stage 1 (for `quota_role`)
  // or stage 2 (quota_role == kNone), before filters; sets `clipped` when quota or headroom held
  // something back.
  Resources candidateFor(const Agent& agent, uint32_t seat, uint32_t quota_role, bool& clipped);

 private:
  bool constraintsExclude(const Agent& agent, uint32_t seat) const;

  const Options& options_;
  const RoleTree& tree_;
  const HandleTable<Framework>& frameworks_;
  QuotaBook& quota_;
};

}  // namespace plateau::master::allocator
