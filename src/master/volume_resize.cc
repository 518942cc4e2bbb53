// GROW_VOLUME and SHRINK_VOLUME (operator calls) by Mesos's rules: a persistent volume the
// agent has, not in use by a live task, grows by an addition of disk with the same reservation,
// or shrinks by less than its size, giving the difference back as plain reserved disk.

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/resources_proto.h"
#include "master/reservation_rules.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

// The one resource of a field; InvalidArgument naming the call and field otherwise.
Result<Resource> single(const char* op, const char* field, const mesos::v1::Resource& proto) {
  google::protobuf::RepeatedPtrField<mesos::v1::Resource> protos;
  *protos.Add() = proto;
  auto parsed = resourcesFromProto(protos);
  if (!parsed) {
    return invalidArgument(
        fmt::format("Invalid {} operation: '{}': {}", op, field, parsed.error().message()));
  }
  if (parsed->empty()) {
    return invalidArgument(fmt::format("Invalid {} operation: '{}' is empty", op, field));
  }
  return *parsed->begin();
}

// The volume as the agent has it: a persistent volume, existing, not in use.
Result<Resource> existingVolume(const char* op, const mesos::v1::Resource& proto,
                                const Agent& agent, const VolumesInUse& in_use) {
  auto volume = single(op, "volume", proto);
  if (!volume) {
    return volume;
  }
  if (volume->name != "disk" || volume->type != ResourceType::kScalar ||
      !volume->persistentVolume()) {
    return invalidArgument(
        fmt::format("Invalid {} operation: {} is not a persistent volume", op, volume->toString()));
  }
  if (!agent.total().contains(Resources{*volume})) {
    return invalidArgument(fmt::format("Invalid {} operation: agent {} has no persistent volume {}",
                                       op, agent.id, volume->toString()));
  }
  if (Status s = in_use(Resources{*volume}); !s.isOk()) {
    return std::unexpected(Status(StatusCode::kFailedPrecondition,
                                  fmt::format("Invalid {} operation: persistent volume '{}' is in "
                                              "use by a task",
                                              op, volume->disk.persistence_id)));
  }
  return volume;
}

}  // namespace

Result<Conversion> growConversion(const operator_api::Call::GrowVolume& grow, const Agent& agent,
                                  const VolumesInUse& in_use) {
  auto volume = existingVolume("GROW_VOLUME", grow.volume(), agent, in_use);
  if (!volume) {
    return std::unexpected(volume.error());
  }
  auto addition = single("GROW_VOLUME", "addition", grow.addition());
  if (!addition) {
    return std::unexpected(addition.error());
  }
  if (addition->name != "disk" || addition->type != ResourceType::kScalar ||
      !addition->disk.empty()) {
    return invalidArgument(fmt::format(
        "Invalid GROW_VOLUME operation: the addition {} must be plain disk (no persistence)",
        addition->toString()));
  }
  if (addition->reservationStack() != volume->reservationStack()) {
    return invalidArgument(fmt::format(
        "Invalid GROW_VOLUME operation: the addition {} is not reserved as the volume {}",
        addition->toString(), volume->toString()));
  }
  Resource grown = *volume;
  grown.scalar_milli += addition->scalar_milli;
  return Conversion{Resources{*volume, *addition}, Resources{grown}};
}

Result<Conversion> shrinkConversion(const operator_api::Call::ShrinkVolume& shrink,
                                    const Agent& agent, const VolumesInUse& in_use) {
  auto volume = existingVolume("SHRINK_VOLUME", shrink.volume(), agent, in_use);
  if (!volume) {
    return std::unexpected(volume.error());
  }
  const int64_t subtract = scalarToMilli(shrink.subtract().value());
  if (subtract <= 0) {
    return invalidArgument("Invalid SHRINK_VOLUME operation: 'subtract' must be positive");
  }
  if (subtract >= volume->scalar_milli) {
    return invalidArgument(
        fmt::format("Invalid SHRINK_VOLUME operation: 'subtract' ({}) must be less than the "
                    "volume's size ({})",
                    milliToScalar(subtract), volume->scalar()));
  }
  Resource shrunk = *volume;
  shrunk.scalar_milli -= subtract;
  Resource freed = *volume;
  freed.disk = DiskInfo{};
  freed.scalar_milli = subtract;
  return Conversion{Resources{*volume}, Resources{shrunk, freed}};
}

}  // namespace plateau::master
