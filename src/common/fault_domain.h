#pragma once

// Mesos's fault domains (a region and a zone per host): the --domain flag of the master and the
// agent. Which agents are remote is the allocator's rule (allocator::OfferRules::regionBlocked).

#include <string>

#include <mesos/v1/mesos.pb.h>

#include "common/status.h"

namespace plateau {

// Parses the --domain flag's JSON, {"fault_domain": {"region": {"name": "..."}, "zone":
// {"name": "..."}}}; InvalidArgument naming the flag and what is wrong (a missing or empty
// name, JSON that is no object). The empty string is no domain: a DomainInfo without
// fault_domain.
Result<mesos::v1::DomainInfo> parseDomainFlag(const std::string& text);

}  // namespace plateau
