#pragma once

// What an agent offers: --resources merged with what the machine has, and --attributes.

#include <string>

#include <mesos/v1/mesos.pb.h>

#include "common/resources.h"

namespace plateau::agent {

// Parses `flag` (text or JSON); cpus, mem, disk and ports not given are detected
// (disk from the filesystem holding work_dir).
Result<Resources> agentResources(const std::string& flag, const std::string& work_dir);

// Mesos's --default_role: every unreserved resource (given without a role, or detected) reserved
// statically for `role`; unchanged when `role` is "*".
Resources withDefaultRole(const Resources& resources, const std::string& role);

// "rack:r1;zone:a;level:3;ports:[1-2]" -> attributes (TEXT, SCALAR or RANGES by the value).
Result<google::protobuf::RepeatedPtrField<mesos::v1::Attribute>> parseAttributes(
    const std::string& flag);

}  // namespace plateau::agent
