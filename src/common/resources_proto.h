#pragma once

// Conversions between mesos.v1.Resource messages and our Resources, with Mesos's checks.

#include <string>

#include <google/protobuf/repeated_field.h>

#include "common/resources.h"
#include "common/status.h"

namespace mesos::v1 {
class Resource;
}

namespace plateau {

using ProtoResources = google::protobuf::RepeatedPtrField<mesos::v1::Resource>;

// Fails with a message naming the resource when one is malformed (wrong value for its type,
// negative or non-finite scalar, inverted or overlapping ranges, empty name).
Result<Resources> resourcesFromProto(const ProtoResources& resources);

// Appends each entry; `allocation_role`, when set, fills allocation_info.role.
void resourcesToProto(const Resources& resources, ProtoResources* out,
                      const std::string& allocation_role = "");

}  // namespace plateau
