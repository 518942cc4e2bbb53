#pragma once

// Garbage collection of the registry's unreachable and gone agents (Mesos's
// --registry_max_agent_age and --registry_max_agent_count): admitted agents are never dropped.

#include <cstddef>
#include <vector>

#include "master/registry/registry.h"

namespace plateau::master::registry {

// The changes that drop from `state` the unreachable and gone agents marked more than
// `max_age_seconds` before `now_seconds`, then the oldest marked of those left while more than
// `max_count` remain. Ties in age go by agent id, so the answer is deterministic. Pure.
std::vector<Change> pruneAgents(const State& state, double now_seconds, double max_age_seconds,
                                size_t max_count);

}  // namespace plateau::master::registry
