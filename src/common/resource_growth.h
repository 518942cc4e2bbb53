#pragma once

// An agent restarted under --reconfiguration_policy=additive may come back with more
// resources than it had: what it was given grows, while the reservations and persistent volumes
// made on it since (by the master, checkpointed by the agent) must stay as they were. Pure.

#include <optional>

#include "common/resources.h"

namespace plateau {

// The resources as the agent's --resources gave them: every dynamic reservation popped and every
// persistent volume's disk info dropped (static reservations stay).
Resources givenBase(const Resources& total);

// `total` (reservations and volumes applied) with what `given` holds beyond givenBase(total)
// added as given; nullopt when `given` lacks part of givenBase(total) (something was taken
// away). `given` may itself carry the same reservations: only its base counts.
std::optional<Resources> grownBy(const Resources& total, const Resources& given);

}  // namespace plateau
