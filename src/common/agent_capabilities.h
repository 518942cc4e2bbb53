#pragma once

// What Plateau's agent does of what Mesos's agents advertise: its /state lists them and it
// registers with them; the master shows them for its agents (/master/state, GET_AGENTS), as
// Mesos does. Not among them: RESOURCE_PROVIDER (no resource providers)
// and TASK_RESOURCE_LIMITS (a task's limits are not enforced apart from its resources).

#include <array>

#include <mesos/v1/mesos.pb.h>

namespace plateau {

inline constexpr std::array kAgentCapabilities = {
    mesos::v1::AgentInfo::Capability::MULTI_ROLE,
    mesos::v1::AgentInfo::Capability::HIERARCHICAL_ROLE,
    mesos::v1::AgentInfo::Capability::RESERVATION_REFINEMENT,
    mesos::v1::AgentInfo::Capability::RESIZE_VOLUME,
    mesos::v1::AgentInfo::Capability::AGENT_OPERATION_FEEDBACK,
    mesos::v1::AgentInfo::Capability::AGENT_DRAINING,
};

}  // namespace plateau
