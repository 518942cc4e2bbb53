#include "master/reservation_rules.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_proto.h"
#include "http/message.h"
#include "master/validation.h"

namespace plateau::master {

namespace v1 = mesos::v1;
namespace operator_api = mesos::v1::master;

namespace {

Status invalid(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

bool subroleOf(const std::string& role, const std::string& ancestor) {
  return role.size() > ancestor.size() && role.starts_with(ancestor) &&
         role[ancestor.size()] == '/';
}

// What a reservation converts from: each resource with its innermost reservation popped.
Resources popped(const Resources& resources) {
  Resources out;
  for (Resource r : resources) {
    r.popReservation();
    out += r;
  }
  return out;
}

// Checks the reservations a RESERVE asks for. `principal` is the framework's (empty for an
// operator); `allocation_role` the role of the offers (empty for an operator).
Status validateReserve(const Resources& to, const std::string& principal,
                       const std::string& allocation_role, bool refinement_capable) {
  if (to.empty()) {
    return invalid("Invalid RESERVE operation: no resources to reserve");
  }
  for (const Resource& r : to) {
    const std::vector<Reservation> stack = r.reservationStack();
    if (stack.empty()) {
      return invalid(fmt::format(
          "Invalid RESERVE operation: resource {} has no reservation to make", r.toString()));
    }
    const Reservation& made = stack.back();
    if (made.type != Reservation::Type::kDynamic) {
      return invalid(fmt::format(
          "Invalid RESERVE operation: resource {} must be dynamically reserved", r.toString()));
    }
    if (Status s = validateRole(made.role); !s.isOk() || made.role == "*") {
      return invalid(
          fmt::format("Invalid RESERVE operation: invalid reservation role '{}'", made.role));
    }
    if (stack.size() > 1) {
      const Reservation& outer = stack[stack.size() - 2];
      if (!subroleOf(made.role, outer.role)) {
        return invalid(fmt::format(
            "Invalid RESERVE operation: refined reservation role '{}' is not a sub-role of '{}'",
            made.role, outer.role));
      }
      if (!allocation_role.empty() && !refinement_capable) {
        return invalid(
            "Invalid RESERVE operation: refining a reservation needs the RESERVATION_REFINEMENT "
            "capability");
      }
    }
    if (!principal.empty() && made.principal != principal) {
      return invalid(fmt::format(
          "Invalid RESERVE operation: the reservation's principal '{}' does not match the "
          "framework's principal '{}'",
          made.principal, principal));
    }
    if (!allocation_role.empty() && made.role != allocation_role) {
      return invalid(fmt::format(
          "Invalid RESERVE operation: the reservation's role '{}' differs from the role '{}' "
          "the resources are allocated to",
          made.role, allocation_role));
    }
    if (r.persistentVolume()) {
      return invalid("Invalid RESERVE operation: a persistent volume cannot be reserved");
    }
  }
  return {};
}

Status validateUnreserve(const Resources& resources) {
  if (resources.empty()) {
    return invalid("Invalid UNRESERVE operation: no resources to unreserve");
  }
  for (const Resource& r : resources) {
    if (!r.dynamicallyReserved()) {
      return invalid(fmt::format(
          "Invalid UNRESERVE operation: resource {} is not dynamically reserved", r.toString()));
    }
    if (r.persistentVolume()) {
      return invalid(fmt::format(
          "Invalid UNRESERVE operation: resource {} is a persistent volume (DESTROY it first)",
          r.toString()));
    }
  }
  return {};
}

Status validateVolumes(const Resources& volumes, const char* op) {
  if (volumes.empty()) {
    return invalid(fmt::format("Invalid {} operation: no volumes given", op));
  }
  for (const Resource& v : volumes) {
    if (v.name != "disk" || v.type != ResourceType::kScalar || !v.persistentVolume() ||
        !v.disk.has_volume) {
      return invalid(fmt::format(
          "Invalid {} operation: {} is not a disk resource with a persistence id and a volume", op,
          v.toString()));
    }
    if (!v.reserved()) {
      return invalid(
          fmt::format("Invalid {} operation: persistent volume '{}' must be on reserved disk", op,
                      v.disk.persistence_id));
    }
    if (Status s = validateId("Persistence ID", v.disk.persistence_id); !s.isOk()) {
      return invalid(fmt::format("Invalid {} operation: {}", op, s.message()));
    }
    const std::filesystem::path path(v.disk.container_path);
    bool bad = path.empty() || path.is_absolute();
    for (const auto& part : path) {
      bad = bad || part == "..";
    }
    if (bad) {
      return invalid(fmt::format(
          "Invalid {} operation: volume '{}' needs a relative container_path without '..'", op,
          v.disk.persistence_id));
    }
  }
  return {};
}

Resources withoutDiskInfo(const Resources& volumes) {
  Resources out;
  for (Resource r : volumes) {
    r.disk = DiskInfo{};
    out += r;
  }
  return out;
}

// What a RESERVE of `to` converts: its `source` when given (nullopt when that does not match
// `to`), else `to` with the new reservations popped.
std::optional<Resources> reservationSource(const Resources& to, const ProtoResources& source) {
  if (source.empty()) {
    return popped(to);
  }
  auto parsed = resourcesFromProto(source);
  if (!parsed || parsed->toUnreserved() != to.toUnreserved()) {
    return std::nullopt;
  }
  return *parsed;
}

// Whether the agent already has a persistent volume with the id and role of `volume`.
bool volumeExists(const Agent& agent, const Resource& volume) {
  for (const Resource& existing : agent.total().persistentVolumes()) {
    if (existing.disk.persistence_id == volume.disk.persistence_id &&
        existing.role == volume.role) {
      return true;
    }
  }
  return false;
}

// The resources of an offer operation `op`; InvalidArgument naming the operation.
Result<Resources> operationResources(const char* op, const ProtoResources& protos) {
  auto resources = resourcesFromProto(protos);
  if (!resources) {
    return invalidArgument(
        fmt::format("Invalid {} operation: {}", op, resources.error().message()));
  }
  return resources;
}

Result<Conversion> offeredReserve(const v1::Offer::Operation::Reserve& reserve,
                                  const v1::FrameworkInfo& framework, const std::string& role) {
  auto to = operationResources("RESERVE", reserve.resources());
  if (!to) {
    return std::unexpected(to.error());
  }
  bool refinement = false;
  for (const auto& cap : framework.capabilities()) {
    refinement = refinement || cap.type() == v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT;
  }
  if (Status s = validateReserve(*to, framework.principal(), role, refinement); !s.isOk()) {
    return std::unexpected(s);
  }
  auto from = reservationSource(*to, reserve.source());
  if (!from) {
    return invalidArgument("Invalid RESERVE operation: 'source' does not match 'resources'");
  }
  return Conversion{*from, *to};
}

Result<Conversion> offeredUnreserve(const v1::Offer::Operation::Unreserve& unreserve) {
  auto from = operationResources("UNRESERVE", unreserve.resources());
  if (!from) {
    return std::unexpected(from.error());
  }
  if (Status s = validateUnreserve(*from); !s.isOk()) {
    return std::unexpected(s);
  }
  return Conversion{*from, popped(*from)};
}

Result<Conversion> offeredCreate(const v1::Offer::Operation::Create& create,
                                 const v1::FrameworkInfo& framework, const Agent& agent) {
  auto volumes = operationResources("CREATE", create.volumes());
  if (!volumes) {
    return std::unexpected(volumes.error());
  }
  if (Status s = validateVolumes(*volumes, "CREATE"); !s.isOk()) {
    return std::unexpected(s);
  }
  for (const Resource& v : *volumes) {
    if (volumeExists(agent, v)) {
      return invalidArgument(
          fmt::format("Invalid CREATE operation: persistent volume '{}' already exists on agent {}",
                      v.disk.persistence_id, agent.id));
    }
    if (!framework.principal().empty() && !v.disk.persistence_principal.empty() &&
        v.disk.persistence_principal != framework.principal()) {
      return invalidArgument(fmt::format(
          "Invalid CREATE operation: the volume's principal '{}' is not the framework's",
          v.disk.persistence_principal));
    }
  }
  return Conversion{withoutDiskInfo(*volumes), *volumes};
}

Result<Conversion> offeredDestroy(const v1::Offer::Operation::Destroy& destroy,
                                  const VolumesInUse& in_use) {
  auto volumes = operationResources("DESTROY", destroy.volumes());
  if (!volumes) {
    return std::unexpected(volumes.error());
  }
  if (Status s = validateVolumes(*volumes, "DESTROY"); !s.isOk()) {
    return std::unexpected(s);
  }
  if (Status s = in_use(*volumes); !s.isOk()) {
    return std::unexpected(s);
  }
  return Conversion{*volumes, withoutDiskInfo(*volumes)};
}

// The agent and the resources (or volumes) a RESERVE_RESOURCES, UNRESERVE_RESOURCES,
// CREATE_VOLUMES or DESTROY_VOLUMES call names.
struct ReservationTarget {
  std::string agent_id;
  const ProtoResources* resources;
};

// InvalidArgument when the call lacks its field.
Result<ReservationTarget> reservationTarget(const operator_api::Call& call) {
  auto missing = [](const char* field) {
    return invalidArgument(fmt::format("Expecting '{}' to be present", field));
  };
  switch (call.type()) {
    case operator_api::Call::RESERVE_RESOURCES:
      if (!call.has_reserve_resources()) {
        return missing("reserve_resources");
      }
      return ReservationTarget{call.reserve_resources().agent_id().value(),
                               &call.reserve_resources().resources()};
    case operator_api::Call::UNRESERVE_RESOURCES:
      if (!call.has_unreserve_resources()) {
        return missing("unreserve_resources");
      }
      return ReservationTarget{call.unreserve_resources().agent_id().value(),
                               &call.unreserve_resources().resources()};
    case operator_api::Call::CREATE_VOLUMES:
      if (!call.has_create_volumes()) {
        return missing("create_volumes");
      }
      return ReservationTarget{call.create_volumes().agent_id().value(),
                               &call.create_volumes().volumes()};
    default:
      if (!call.has_destroy_volumes()) {
        return missing("destroy_volumes");
      }
      return ReservationTarget{call.destroy_volumes().agent_id().value(),
                               &call.destroy_volumes().volumes()};
  }
}

Result<Conversion> convertForOperator(const operator_api::Call& call, const Agent& agent,
                                      const Resources& resources, const VolumesInUse& in_use) {
  switch (call.type()) {
    case operator_api::Call::RESERVE_RESOURCES: {
      if (Status s = validateReserve(resources, "", "", true); !s.isOk()) {
        return std::unexpected(s);
      }
      auto from = reservationSource(resources, call.reserve_resources().source());
      if (!from) {
        return invalidArgument("Invalid RESERVE operation: 'source' does not match");
      }
      return Conversion{*from, resources};
    }
    case operator_api::Call::UNRESERVE_RESOURCES:
      if (Status s = validateUnreserve(resources); !s.isOk()) {
        return std::unexpected(s);
      }
      return Conversion{resources, popped(resources)};
    case operator_api::Call::CREATE_VOLUMES:
      if (Status s = validateVolumes(resources, "CREATE"); !s.isOk()) {
        return std::unexpected(s);
      }
      for (const Resource& v : resources) {
        if (volumeExists(agent, v)) {
          return std::unexpected(
              Status(StatusCode::kAlreadyExists,
                     fmt::format("Persistent volume '{}' already exists on agent {}",
                                 v.disk.persistence_id, agent.id)));
        }
      }
      return Conversion{withoutDiskInfo(resources), resources};
    default:
      if (Status s = validateVolumes(resources, "DESTROY"); !s.isOk()) {
        return std::unexpected(s);
      }
      if (Status s = in_use(resources); !s.isOk()) {
        return std::unexpected(s);
      }
      return Conversion{resources, withoutDiskInfo(resources)};
  }
}

std::string_view withoutMasterPrefix(std::string_view path) {
  return path.starts_with("/master/") ? path.substr(7) : path;
}

}  // namespace

Status volumesInUse(const TaskBook& tasks, const std::string& agent_id, const Resources& volumes) {
  for (const auto& [framework_id, task_id] : tasks.on(agent_id)) {
    const Task* task = tasks.find(framework_id, task_id);
    if (task == nullptr || task->resources_released) {
      continue;
    }
    const Resources used_volumes = task->resources().persistentVolumes();
    for (const Resource& v : volumes) {
      for (const Resource& used : used_volumes) {
        if (used.disk.persistence_id == v.disk.persistence_id) {
          return {StatusCode::kFailedPrecondition,
                  fmt::format("Invalid DESTROY operation: persistent volume '{}' is in use by "
                              "task '{}'",
                              v.disk.persistence_id, task_id)};
        }
      }
    }
  }
  return {};
}

Result<Conversion> offeredConversion(const v1::Offer::Operation& operation,
                                     const v1::FrameworkInfo& framework, const std::string& role,
                                     const Agent& agent, const VolumesInUse& in_use) {
  switch (operation.type()) {
    case v1::Offer::Operation::RESERVE:
      return offeredReserve(operation.reserve(), framework, role);
    case v1::Offer::Operation::UNRESERVE:
      return offeredUnreserve(operation.unreserve());
    case v1::Offer::Operation::CREATE:
      return offeredCreate(operation.create(), framework, agent);
    case v1::Offer::Operation::DESTROY:
      return offeredDestroy(operation.destroy(), in_use);
    case v1::Offer::Operation::GROW_VOLUME:
      return offeredGrow(operation.grow_volume());
    case v1::Offer::Operation::SHRINK_VOLUME:
      return offeredShrink(operation.shrink_volume());
    default:
      return invalidArgument(fmt::format("Offer operation '{}' is not supported",
                                         v1::Offer::Operation::Type_Name(operation.type())));
  }
}

Result<std::string> operatorCallAgent(const operator_api::Call& call) {
  if (call.type() == operator_api::Call::GROW_VOLUME ||
      call.type() == operator_api::Call::SHRINK_VOLUME) {
    const bool grow = call.type() == operator_api::Call::GROW_VOLUME;
    if (grow ? !call.has_grow_volume() : !call.has_shrink_volume()) {
      return invalidArgument(
          fmt::format("Expecting '{}' to be present", grow ? "grow_volume" : "shrink_volume"));
    }
    const auto& agent_id = grow ? call.grow_volume().agent_id() : call.shrink_volume().agent_id();
    if (agent_id.value().empty()) {
      return invalidArgument("Expecting 'agent_id' to be present (no resource providers)");
    }
    return agent_id.value();
  }
  auto target = reservationTarget(call);
  if (!target) {
    return std::unexpected(target.error());
  }
  return target->agent_id;
}

Result<Conversion> operatorConversion(const operator_api::Call& call, const Agent& agent,
                                      const VolumesInUse& in_use) {
  if (call.type() == operator_api::Call::GROW_VOLUME) {
    return growConversion(call.grow_volume(), agent, in_use);
  }
  if (call.type() == operator_api::Call::SHRINK_VOLUME) {
    return shrinkConversion(call.shrink_volume(), agent, in_use);
  }
  auto target = reservationTarget(call);
  if (!target) {
    return std::unexpected(target.error());
  }
  auto resources = resourcesFromProto(*target->resources);
  if (!resources) {
    return std::unexpected(resources.error());
  }
  return convertForOperator(call, agent, *resources, in_use);
}

bool isLegacyReservationEndpoint(std::string_view path) {
  auto p = withoutMasterPrefix(path);
  return p == "/reserve" || p == "/unreserve" || p == "/create-volumes" || p == "/destroy-volumes";
}

Result<operator_api::Call> legacyReservationCall(std::string_view path, std::string_view body) {
  const auto endpoint = withoutMasterPrefix(path);
  const bool volumes = endpoint == "/create-volumes" || endpoint == "/destroy-volumes";
  const char* list = volumes ? "volumes" : "resources";
  // The body is form-encoded: slaveId=<id>&resources=<JSON array> (or volumes=...).
  std::map<std::string, std::string> form;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    form[http::urlDecode(key)] = http::urlDecode(value);
  }
  auto slave_id = form.find("slaveId");
  if (slave_id == form.end()) {
    return invalidArgument("Missing 'slaveId' in the request body");
  }
  auto items = form.find(list);
  if (items == form.end()) {
    return invalidArgument(fmt::format("Missing '{}' in the request body", list));
  }
  auto parsed = json::parse(items->second);
  if (!parsed || !parsed->isArray()) {
    return invalidArgument(
        fmt::format("Failed to parse '{}': expecting a JSON array of resources", list));
  }
  operator_api::Call call;
  google::protobuf::RepeatedPtrField<v1::Resource>* target = nullptr;
  if (endpoint == "/reserve") {
    call.set_type(operator_api::Call::RESERVE_RESOURCES);
    call.mutable_reserve_resources()->mutable_agent_id()->set_value(slave_id->second);
    target = call.mutable_reserve_resources()->mutable_resources();
  } else if (endpoint == "/unreserve") {
    call.set_type(operator_api::Call::UNRESERVE_RESOURCES);
    call.mutable_unreserve_resources()->mutable_agent_id()->set_value(slave_id->second);
    target = call.mutable_unreserve_resources()->mutable_resources();
  } else if (endpoint == "/create-volumes") {
    call.set_type(operator_api::Call::CREATE_VOLUMES);
    call.mutable_create_volumes()->mutable_agent_id()->set_value(slave_id->second);
    target = call.mutable_create_volumes()->mutable_volumes();
  } else {
    call.set_type(operator_api::Call::DESTROY_VOLUMES);
    call.mutable_destroy_volumes()->mutable_agent_id()->set_value(slave_id->second);
    target = call.mutable_destroy_volumes()->mutable_volumes();
  }
  for (const auto& element : parsed->asArray()) {
    if (Status s = fromJson(element, target->Add()); !s.isOk()) {
      return invalidArgument(fmt::format("Failed to parse '{}': {}", list, s.message()));
    }
  }
  return call;
}

}  // namespace plateau::master
