#pragma once

// The role resources were offered to, as Mesos's master writes it on what it sends an agent.

#include <string>

#include <google/protobuf/repeated_field.h>

#include <mesos/v1/mesos.pb.h>

namespace plateau::master {

// Sets allocation_info.role to `role` on each entry that carries none, as Mesos's master does on
// the tasks and executors it sends an agent (a framework of one role may leave it out).
inline void fillAllocationRole(google::protobuf::RepeatedPtrField<mesos::v1::Resource>* resources,
                               const std::string& role) {
  for (auto& r : *resources) {
    if (!r.has_allocation_info()) {
      r.mutable_allocation_info()->set_role(role);
    }
  }
}

}  // namespace plateau::master
