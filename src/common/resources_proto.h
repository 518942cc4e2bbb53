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

// How reservations are written (Mesos's resource formats):
//  kPost: the `reservations` stack only (frameworks with RESERVATION_REFINEMENT, the agent link);
//  kPre: the deprecated `role` and `reservation` fields (frameworks without that capability);
//  kEndpoint: both, where the stack has at most one entry (what operator endpoints print).
enum class ResourceFormat { kPost, kPre, kEndpoint };

// Appends each entry; `allocation_role`, when set, fills allocation_info.role.
void resourcesToProto(const Resources& resources, ProtoResources* out,
                      const std::string& allocation_role = "",
                      ResourceFormat format = ResourceFormat::kEndpoint);

// One resource, for callers that build operations.
void resourceToProto(const Resource& resource, mesos::v1::Resource* out,
                     const std::string& allocation_role = "",
                     ResourceFormat format = ResourceFormat::kEndpoint);

// The allocation_info.role every entry carries: "" when none does; an error when they disagree
// or only some carry one.
Result<std::string> allocationRoleOf(const ProtoResources& resources);

}  // namespace plateau
