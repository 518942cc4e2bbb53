#pragma once

// Reservations and persistent volumes as Mesos defines them: what RESERVE, UNRESERVE, CREATE and
// DESTROY convert on one agent, offered to a framework (inside ACCEPT) or asked by an operator
// (RESERVE_RESOURCES, UNRESERVE_RESOURCES, CREATE_VOLUMES, DESTROY_VOLUMES, or the form-encoded
// /reserve, /unreserve, /create-volumes and /destroy-volumes). Pure rules: each function reads
// what it is given, changes nothing, and answers a Conversion or why the operation is refused:
// - InvalidArgument for a malformed or forbidden operation (a 400, or TASK_ERROR-style refusal);
// - AlreadyExists for a volume the agent already has, FailedPrecondition for a volume a live
//   task uses (both conflicts: a 409 for operators).
// The master applies a Conversion to the agent's total and the allocator.

#include <functional>
#include <string>
#include <string_view>

#include <mesos/v1/mesos.pb.h>

#include "common/resources.h"
#include "common/status.h"
#include "master/agent_book.h"
#include "master/task_book.h"

namespace mesos::v1::master {
class Call;
class Call_GrowVolume;
class Call_ShrinkVolume;
}  // namespace mesos::v1::master

namespace plateau::master {

// What an operation converts on one agent: `from` becomes `to`.
struct Conversion {
  Resources from;
  Resources to;
};

// FailedPrecondition when one of `volumes` is used by a live task (one whose resources are not
// released) on the agent.
using VolumesInUse = std::function<Status(const Resources& volumes)>;
Status volumesInUse(const TaskBook& tasks, const std::string& agent_id, const Resources& volumes);

// An offer operation of `framework`, on resources allocated to `role` on `agent`.
Result<Conversion> offeredConversion(const mesos::v1::Offer::Operation& operation,
                                     const mesos::v1::FrameworkInfo& framework,
                                     const std::string& role, const Agent& agent,
                                     const VolumesInUse& in_use);

// The agent an operator's call names; InvalidArgument when the call lacks its field.
Result<std::string> operatorCallAgent(const mesos::v1::master::Call& call);
// An operator's call on `agent` (the one operatorCallAgent names).
Result<Conversion> operatorConversion(const mesos::v1::master::Call& call, const Agent& agent,
                                      const VolumesInUse& in_use);

// GROW_VOLUME / SHRINK_VOLUME (volume_resize.cc), with Mesos's validation and texts (all
// InvalidArgument): a persistent volume of the agent's default resources, neither shared nor
// on a MOUNT disk, grows by plain disk reserved as it is, or shrinks by less than its size (the
// rest goes back as reserved disk). The offer operations (offeredConversion dispatches to them):
Result<Conversion> offeredGrow(const mesos::v1::Offer::Operation::GrowVolume& grow);
Result<Conversion> offeredShrink(const mesos::v1::Offer::Operation::ShrinkVolume& shrink);
// The operator's calls: the same, on a volume the agent has and no live task uses (else
// InvalidArgument / FailedPrecondition).
Result<Conversion> growConversion(const mesos::v1::master::Call_GrowVolume& grow,
                                  const Agent& agent, const VolumesInUse& in_use);
Result<Conversion> shrinkConversion(const mesos::v1::master::Call_ShrinkVolume& shrink,
                                    const Agent& agent, const VolumesInUse& in_use);

// Whether `path` (with or without /master) is one of the form-encoded endpoints.
bool isLegacyReservationEndpoint(std::string_view path);
// The operator call a form-encoded endpoint's body (slaveId=...&resources=<JSON array>, or
// volumes=...) asks for; InvalidArgument naming what is missing or does not parse.
Result<mesos::v1::master::Call> legacyReservationCall(std::string_view path, std::string_view body);

}  // namespace plateau::master
