#pragma once

// The allocator's records of agents and frameworks: plain value structs kept in the Allocator's
// handle tables (their string ids live there too). The Allocator alone writes them; the
// allocation round writes an agent's `free` as it offers, and the classes that read them
// (allocation round, offer rules, explanations) take them by const reference otherwise.
//
// Invariants kept by the Allocator: an agent's free resources plus its allocations make its
// total, except that revocable resources allocated beyond a shrunk revocable total leave no
// revocable resources free; total_vector, unreserved_vector, has_gpus and has_revocable follow
// total (resetTotal()); each seat
// listed in `allocations` holds the agent in its agents_used set, and a framework's `seats` are
// the live seats naming it.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/resources.h"
#include "master/allocator/allocator_types.h"
#include "master/allocator/offer_constraints.h"
#include "master/allocator/reservation_rules.h"

namespace plateau::master::allocator {

struct Agent {
  Resources total;
  Resources free;
  ResourceVector total_vector;
  ResourceVector unreserved_vector;                         // unreserved part of total_vector
  std::vector<std::pair<uint32_t, Resources>> allocations;  // by seat handle
  bool has_gpus = false;
  bool has_revocable = false;  // total holds oversubscribed resources: no whole-set fast paths
  bool active = true;
  bool whitelisted = true;  // Mesos's --whitelist lists the agent's hostname (or there is none)
  AgentLabels labels;       // what offer constraints look at

  // Active and whitelisted: its free resources may be offered.
  bool offerable() const { return active && whitelisted; }

  // Sets the total and what follows from it (not `free`).
  void resetTotal(Resources resources) {
    total = std::move(resources);
    total_vector = ResourceVector::of(total);
    unreserved_vector = unreservedVector(total);
    has_gpus = total_vector.milli[ResourceVector::kGpus] > 0;
    has_revocable =
        std::any_of(total.begin(), total.end(), [](const Resource& r) { return r.revocable; });
  }
};

struct Framework {
  FrameworkSpec spec;
  std::vector<uint32_t> seats;
  bool added = false;  // through addFramework(); otherwise a placeholder
  bool active = false;
  bool paused = false;  // offers held back while its event stream lags (filters kept)
};

}  // namespace plateau::master::allocator
