#pragma once

// Mesos's --reconfiguration_policy: what a restarted agent may change in its AgentInfo and
// still come back as the same agent (its id, its tasks). Pure: compares two AgentInfos.

#include <string>

#include <mesos/v1/mesos.pb.h>

#include "common/status.h"

namespace plateau::agent {

// "equal": hostname, port, domain, resources and attributes as before. "additive": hostname,
// port and domain (when there was one) as before, every earlier resource still there (more may
// be added, nothing taken away) and every earlier attribute with its value (new ones may be
// added). FailedPrecondition naming
// the first difference otherwise; InvalidArgument for another policy.
Status checkReconfiguration(const std::string& policy, const mesos::v1::AgentInfo& previous,
                            const mesos::v1::AgentInfo& current);

}  // namespace plateau::agent
