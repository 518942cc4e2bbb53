// GROW_VOLUME and SHRINK_VOLUME by Mesos's rules, as offer operations (inside ACCEPT) and as
// operator calls: a persistent volume on the agent's default resources (no resource provider),
// neither shared nor on a MOUNT disk, grows by plain disk with the same reservation, or shrinks
// by less than its size, giving the difference back as plain reserved disk. The operator's
// calls also need a volume the agent has and no live task uses; an offered volume is unused.

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/resources_proto.h"
#include "master/reservation_rules.h"

namespace plateau::master {

namespace v1 = mesos::v1;
namespace operator_api = mesos::v1::master;

namespace {

// The one resource `proto` is; InvalidArgument naming the operation's field otherwise.
Result<Resource> single(const char* field, const mesos::v1::Resource& proto) {
  google::protobuf::RepeatedPtrField<mesos::v1::Resource> protos;
  *protos.Add() = proto;
  auto parsed = resourcesFromProto(protos);
  if (parsed && parsed->empty()) {
    return invalidArgument(fmt::format("Invalid resource in the '{}' field: it is empty", field));
  }
  if (!parsed) {
    return invalidArgument(
        fmt::format("Invalid resource in the '{}' field: {}", field, parsed.error().message()));
  }
  return *parsed->begin();
}

// The checks of a volume to resize that follow its parsing, in Mesos's order: no resource
// provider, a persistent volume, not shared (`verb` is "Growing" or "Shrinking").
Status checkResizable(const char* field, const char* verb, const mesos::v1::Resource& proto,
                      const Resource& volume) {
  if (proto.has_provider_id()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("{} a volume from a resource provider is not supported", verb)};
  }
  if (volume.name != "disk" || volume.type != ResourceType::kScalar || !volume.persistentVolume()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid persistent volume in the '{}' field: {} is not a persistent "
                        "volume",
                        field, volume.toString())};
  }
  if (proto.has_shared()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("{} a shared persistent volume is not supported", verb)};
  }
  return {};
}

// The volume as the agent has it, not in use (the operator's calls; `op` names the call).
Status checkOnAgent(const char* op, const Resource& volume, const Agent& agent,
                    const VolumesInUse& in_use) {
  if (!agent.total().contains(Resources{volume})) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid {} operation: agent {} has no persistent volume {}", op, agent.id,
                        volume.toString())};
  }
  if (Status s = in_use(Resources{volume}); !s.isOk()) {
    return {StatusCode::kFailedPrecondition,
            fmt::format("Invalid {} operation: persistent volume '{}' is in use by a task", op,
                        volume.disk.persistence_id)};
  }
  return {};
}

}  // namespace

Result<Conversion> offeredGrow(const v1::Offer::Operation::GrowVolume& grow) {
  auto volume = single("GrowVolume.volume", grow.volume());
  if (!volume) {
    return std::unexpected(volume.error());
  }
  if (grow.addition().type() == v1::Value::SCALAR &&
      scalarToMilli(grow.addition().scalar().value()) <= 0) {
    return invalidArgument("The size of 'GrowVolume.addition' field must be greater than zero");
  }
  auto addition = single("GrowVolume.addition", grow.addition());
  if (!addition) {
    return std::unexpected(addition.error());
  }
  if (Status s = checkResizable("GrowVolume.volume", "Growing", grow.volume(), *volume);
      !s.isOk()) {
    return std::unexpected(s);
  }
  // The addition is the volume without its persistence: the same disk, reserved the same way.
  if (addition->name != "disk" || addition->type != ResourceType::kScalar ||
      !addition->disk.empty() || addition->reservationStack() != volume->reservationStack() ||
      grow.addition().has_shared() || grow.addition().has_provider_id()) {
    return invalidArgument(
        "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields");
  }
  Resource grown = *volume;
  grown.scalar_milli += addition->scalar_milli;
  return Conversion{Resources{*volume, *addition}, Resources{grown}};
}

Result<Conversion> offeredShrink(const v1::Offer::Operation::ShrinkVolume& shrink) {
  if (shrink.volume().disk().source().type() == v1::Resource::DiskInfo::Source::MOUNT) {
    return invalidArgument("Shrinking a volume on a MOUNT disk is not supported");
  }
  auto volume = single("ShrinkVolume.volume", shrink.volume());
  if (!volume) {
    return std::unexpected(volume.error());
  }
  const int64_t subtract = scalarToMilli(shrink.subtract().value());
  if (subtract <= 0) {
    return invalidArgument("Value of 'ShrinkVolume.subtract' must be greater than zero");
  }
  if (volume->scalar_milli <= subtract) {
    return invalidArgument(
        "Value of 'ShrinkVolume.subtract' must be smaller than the size of "
        "'ShrinkVolume.volume'");
  }
  if (Status s = checkResizable("ShrinkVolume.volume", "Shrinking", shrink.volume(), *volume);
      !s.isOk()) {
    return std::unexpected(s);
  }
  Resource shrunk = *volume;
  shrunk.scalar_milli -= subtract;
  Resource freed = *volume;
  freed.disk = DiskInfo{};
  freed.scalar_milli = subtract;
  return Conversion{Resources{*volume}, Resources{shrunk, freed}};
}

Result<Conversion> growConversion(const operator_api::Call::GrowVolume& grow, const Agent& agent,
                                  const VolumesInUse& in_use) {
  v1::Offer::Operation::GrowVolume offered;
  *offered.mutable_volume() = grow.volume();
  *offered.mutable_addition() = grow.addition();
  auto conversion = offeredGrow(offered);
  if (!conversion) {
    return conversion;
  }
  if (Status s = checkOnAgent("GROW_VOLUME", *single("volume", grow.volume()), agent, in_use);
      !s.isOk()) {
    return std::unexpected(s);
  }
  return conversion;
}

Result<Conversion> shrinkConversion(const operator_api::Call::ShrinkVolume& shrink,
                                    const Agent& agent, const VolumesInUse& in_use) {
  v1::Offer::Operation::ShrinkVolume offered;
  *offered.mutable_volume() = shrink.volume();
  *offered.mutable_subtract() = shrink.subtract();
  auto conversion = offeredShrink(offered);
  if (!conversion) {
    return conversion;
  }
  if (Status s = checkOnAgent("SHRINK_VOLUME", *single("volume", shrink.volume()), agent, in_use);
      !s.isOk()) {
    return std::unexpected(s);
  }
  return conversion;
}

}  // namespace plateau::master
