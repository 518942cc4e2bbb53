#pragma once

// The value types at the allocator's boundary: what the master tells it (options, frameworks,
// quotas, allocations) and what it answers (offers, explanations, round statistics). Plain
// structs with no invariants of their own; allocator.h declares the Allocator that takes them.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/resources.h"
#include "master/allocator/agent_filters.h"
#include "master/allocator/offer_constraints.h"

namespace plateau::master::allocator {

struct Options {
  // Filter length used when a decline carries a negative refuse duration (Mesos falls back to
  // the default Filters.refuse_seconds for invalid values).
  std::chrono::milliseconds default_refuse{5000};
  // Mesos's --min_allocatable_resources: an offer must contain at least one of these
  // alternatives, unless the framework sets its own for the role. Default "cpus:0.01|mem:32".
  std::vector<Resources> min_allocatable = {Resources{Resource::makeScalar("cpus", 0.01)},
                                            Resources{Resource::makeScalar("mem", 32)}};
  // Mesos's --fair_sharing_excluded_resource_names: resource names (e.g. "gpus") that count in
  // no role's or framework's dominant share.
  std::vector<std::string> fair_sharing_excluded;
  // The master's fault domain region (--domain); agents of another region are remote: offered
  // only to REGION_AWARE frameworks, as in Mesos. nullopt: no domain, no agent is remote.
  std::optional<std::string> master_region;
};

// What the allocator needs to know of a framework.
struct FrameworkSpec {
  std::set<std::string> roles;             // at least one; MULTI_ROLE frameworks may have several
  std::set<std::string> suppressed_roles;  // roles (subscribed or added later) not to offer to
  bool gpu_capable = false;                // GPU_RESOURCES capability
  bool region_aware = false;               // REGION_AWARE capability: remote agents offered
  // REVOCABLE_RESOURCES capability: without it, revocable (oversubscribed) resources are never
  // offered to the framework, as in Mesos.
  bool revocable_capable = false;
  // Without the RESERVATION_REFINEMENT capability a framework cannot read a reservation stack:
  // as in Mesos, refined reservations are never offered to it.
  bool no_refinements = false;
  // Per role, alternatives of which an offer must contain at least one (Mesos's
  // FrameworkInfo.offer_filters[role].min_allocatable_resources). A role absent here uses
  // Options::min_allocatable.
  std::map<std::string, std::vector<Resources>> min_allocatable;
  // Per role, the agents it wants offers from (scheduler OfferConstraints); a role absent here
  // takes offers from any agent.
  std::map<std::string, ConstraintGroups> offer_constraints;
};

// A role's quota: scalar quantities of cpus, mem, disk and gpus. Empty limits: no limit.
struct Quota {
  Resources guarantees;
  Resources limits;
  // Limits of exactly 0 (the role may hold none of it), which Resources cannot carry.
  std::vector<std::string> zero_limits;
};

// Resources a framework holds on an agent under one of its roles.
struct Allocation {
  std::string framework_id;
  std::string role;
  Resources resources;
};

struct Offer {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  Resources resources;
};

// Why a framework (in one role) or a role gets offers or not. `code` is one of the stable strings
// RECEIVING, INACTIVE, SUPPRESSED, FILTERED, QUOTA_LIMIT, HEADROOM, FAIR_SHARE, NO_FIT,
// NO_RESOURCES, NO_FRAMEWORKS.
struct Explanation {
  std::string code;
  std::string message;
  std::string framework_id;  // empty for a role's explanation
  std::string role;
  size_t agents = 0;  // FILTERED, NO_FIT, HEADROOM, QUOTA_LIMIT: agents concerned
  size_t ahead = 0;   // FAIR_SHARE: roles/frameworks ahead in the order
};

// What the last allocate() did, for tests and metrics.
struct RoundStats {
  size_t agents_examined = 0;
  size_t offers = 0;
  size_t agents_with_expired_filters = 0;
};

}  // namespace plateau::master::allocator
