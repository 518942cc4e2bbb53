// Reservations and persistent volumes: the offer operations RESERVE, UNRESERVE, CREATE and
// DESTROY inside ACCEPT, and the operator calls RESERVE_RESOURCES / UNRESERVE_RESOURCES. Each
// converts resources on one agent from one shape to another; the agent's new total goes to the
// agent (CHECKPOINT_RESOURCES), which checkpoints it and reports it when it registers again.

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_proto.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

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

}  // namespace

void Master::changeAgentTotal(Agent& agent, const Resources& from, const Resources& to) {
  agent.total -= from;
  agent.total += to;
  agent.info.clear_resources();
  resourcesToProto(agent.total, agent.info.mutable_resources(), "", ResourceFormat::kPost);
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::CHECKPOINT_RESOURCES);
  resourcesToProto(agent.total, event.mutable_checkpoint_resources()->mutable_resources(), "",
                   ResourceFormat::kPost);
  if (agent.connected) {
    sendToAgent(agent, event);
  }
  log_->info("agent_resources_changed agent_id={} from=\"{}\" to=\"{}\" total=\"{}\"", agent.id,
             from.toString(), to.toString(), agent.total.toString());
}

Status Master::applyOfferOperation(Framework& framework, Agent& agent, const std::string& role,
                                   const v1::Offer::Operation& operation, Resources& available) {
  Resources from;
  Resources to;
  const char* name = "";
  bool refinement = false;
  for (const auto& cap : framework.info.capabilities()) {
    refinement = refinement || cap.type() == v1::FrameworkInfo::Capability::RESERVATION_REFINEMENT;
  }
  switch (operation.type()) {
    case v1::Offer::Operation::RESERVE: {
      name = "RESERVE";
      auto resources = resourcesFromProto(operation.reserve().resources());
      if (!resources) {
        return invalid(fmt::format("Invalid RESERVE operation: {}", resources.error().message()));
      }
      if (Status s = validateReserve(*resources, framework.info.principal(), role, refinement);
          !s.isOk()) {
        return s;
      }
      to = *resources;
      from = popped(to);
      if (operation.reserve().source_size() > 0) {
        auto source = resourcesFromProto(operation.reserve().source());
        if (!source || source->toUnreserved() != to.toUnreserved()) {
          return invalid("Invalid RESERVE operation: 'source' does not match 'resources'");
        }
        from = *source;
      }
      break;
    }
    case v1::Offer::Operation::UNRESERVE: {
      name = "UNRESERVE";
      auto resources = resourcesFromProto(operation.unreserve().resources());
      if (!resources) {
        return invalid(fmt::format("Invalid UNRESERVE operation: {}", resources.error().message()));
      }
      if (Status s = validateUnreserve(*resources); !s.isOk()) {
        return s;
      }
      from = *resources;
      to = popped(from);
      break;
    }
    case v1::Offer::Operation::CREATE: {
      name = "CREATE";
      auto volumes = resourcesFromProto(operation.create().volumes());
      if (!volumes) {
        return invalid(fmt::format("Invalid CREATE operation: {}", volumes.error().message()));
      }
      if (Status s = validateVolumes(*volumes, "CREATE"); !s.isOk()) {
        return s;
      }
      for (const Resource& v : *volumes) {
        for (const Resource& existing : agent.total.persistentVolumes()) {
          if (existing.disk.persistence_id == v.disk.persistence_id && existing.role == v.role) {
            return invalid(fmt::format(
                "Invalid CREATE operation: persistent volume '{}' already exists on agent {}",
                v.disk.persistence_id, agent.id));
          }
        }
        if (!framework.info.principal().empty() && !v.disk.persistence_principal.empty() &&
            v.disk.persistence_principal != framework.info.principal()) {
          return invalid(fmt::format(
              "Invalid CREATE operation: the volume's principal '{}' is not the framework's",
              v.disk.persistence_principal));
        }
      }
      to = *volumes;
      from = withoutDiskInfo(to);
      break;
    }
    case v1::Offer::Operation::DESTROY: {
      name = "DESTROY";
      auto volumes = resourcesFromProto(operation.destroy().volumes());
      if (!volumes) {
        return invalid(fmt::format("Invalid DESTROY operation: {}", volumes.error().message()));
      }
      if (Status s = validateVolumes(*volumes, "DESTROY"); !s.isOk()) {
        return s;
      }
      if (Status s = volumesInUse(agent, *volumes); !s.isOk()) {
        return s;
      }
      from = *volumes;
      to = withoutDiskInfo(from);
      break;
    }
    default:
      return invalid(fmt::format("Offer operation '{}' is not supported",
                                 v1::Offer::Operation::Type_Name(operation.type())));
  }
  if (!available.contains(from)) {
    return invalid(fmt::format("Invalid {} operation: {} is not among the offered resources {}",
                               name, from.toString(), available.toString()));
  }
  available -= from;
  available += to;
  checked(allocator_.updateAllocation(framework.id, role, agent.id, from, to));
  changeAgentTotal(agent, from, to);
  log_->info("offer_operation_applied framework_id={} agent_id={} type={}", framework.id, agent.id,
             name);
  // Offers of other frameworks never hold these resources (they were in this framework's
  // offers); nothing else to rescind.
  return {};
}

Status Master::volumesInUse(const Agent& agent, const Resources& volumes) const {
  for (const auto& [framework_id, task_id] : agent.tasks) {
    auto fw = frameworks_.find(framework_id);
    if (fw == frameworks_.end()) {
      continue;
    }
    auto task = fw->second.tasks.find(task_id);
    if (task == fw->second.tasks.end() || task->second.resources_released) {
      continue;
    }
    for (const Resource& v : volumes) {
      for (const Resource& used : task->second.resources.persistentVolumes()) {
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

void Master::operatorReservation(const operator_api::Call& call, http::Responder responder) {
  using Type = operator_api::Call;
  const auto type = call.type();
  const char* field = type == Type::RESERVE_RESOURCES     ? "reserve_resources"
                      : type == Type::UNRESERVE_RESOURCES ? "unreserve_resources"
                      : type == Type::CREATE_VOLUMES      ? "create_volumes"
                                                          : "destroy_volumes";
  const bool present = type == Type::RESERVE_RESOURCES     ? call.has_reserve_resources()
                       : type == Type::UNRESERVE_RESOURCES ? call.has_unreserve_resources()
                       : type == Type::CREATE_VOLUMES      ? call.has_create_volumes()
                                                           : call.has_destroy_volumes();
  if (!present) {
    return responder.respond(
        http::Response::text(400, fmt::format("Expecting '{}' to be present", field)));
  }
  const std::string agent_id =
      type == Type::RESERVE_RESOURCES     ? call.reserve_resources().agent_id().value()
      : type == Type::UNRESERVE_RESOURCES ? call.unreserve_resources().agent_id().value()
      : type == Type::CREATE_VOLUMES      ? call.create_volumes().agent_id().value()
                                          : call.destroy_volumes().agent_id().value();
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return responder.respond(
        http::Response::text(400, fmt::format("No agent found with specified ID '{}'", agent_id)));
  }
  Agent& agent = it->second;
  auto resources = resourcesFromProto(
      type == Type::RESERVE_RESOURCES     ? call.reserve_resources().resources()
      : type == Type::UNRESERVE_RESOURCES ? call.unreserve_resources().resources()
      : type == Type::CREATE_VOLUMES      ? call.create_volumes().volumes()
                                          : call.destroy_volumes().volumes());
  if (!resources) {
    return responder.respond(http::Response::text(400, resources.error().message()));
  }
  Resources from;
  Resources to;
  switch (type) {
    case Type::RESERVE_RESOURCES: {
      if (Status s = validateReserve(*resources, "", "", true); !s.isOk()) {
        return responder.respond(http::Response::text(400, s.message()));
      }
      to = *resources;
      from = popped(to);
      if (call.reserve_resources().source_size() > 0) {
        auto source = resourcesFromProto(call.reserve_resources().source());
        if (!source || source->toUnreserved() != to.toUnreserved()) {
          return responder.respond(
              http::Response::text(400, "Invalid RESERVE operation: 'source' does not match"));
        }
        from = *source;
      }
      break;
    }
    case Type::UNRESERVE_RESOURCES:
      if (Status s = validateUnreserve(*resources); !s.isOk()) {
        return responder.respond(http::Response::text(400, s.message()));
      }
      from = *resources;
      to = popped(from);
      break;
    case Type::CREATE_VOLUMES:
      if (Status s = validateVolumes(*resources, "CREATE"); !s.isOk()) {
        return responder.respond(http::Response::text(400, s.message()));
      }
      for (const Resource& v : *resources) {
        for (const Resource& existing : agent.total.persistentVolumes()) {
          if (existing.disk.persistence_id == v.disk.persistence_id && existing.role == v.role) {
            return responder.respond(http::Response::text(
                409, fmt::format("Persistent volume '{}' already exists on agent {}",
                                 v.disk.persistence_id, agent.id)));
          }
        }
      }
      to = *resources;
      from = withoutDiskInfo(to);
      break;
    default:
      if (Status s = validateVolumes(*resources, "DESTROY"); !s.isOk()) {
        return responder.respond(http::Response::text(400, s.message()));
      }
      if (Status s = volumesInUse(agent, *resources); !s.isOk()) {
        return responder.respond(http::Response::text(409, s.message()));
      }
      from = *resources;
      to = withoutDiskInfo(from);
      break;
  }
  // Only unallocated resources can change: take back the offers on this agent first, as Mesos
  // does, when what is free now does not hold them.
  auto unallocated = [&] { return agent.total - agent.used - offers_.offeredOn(agent.id); };
  if (!unallocated().contains(from)) {
    const auto& outstanding = offers_.onAgent(agent.id);
    std::vector<std::string> offers(outstanding.begin(), outstanding.end());
    for (const auto& offer_id : offers) {
      removeOffer(offer_id, std::nullopt, true);
    }
  }
  if (!unallocated().contains(from)) {
    return responder.respond(http::Response::text(
        409, fmt::format("Agent {} does not have {} unallocated (total {}, used {})", agent.id,
                         from.toString(), agent.total.toString(), agent.used.toString())));
  }
  changeAgentTotal(agent, from, to);
  checked(allocator_.updateAgentTotal(agent.id, agent.total));
  scheduleAllocation();
  responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
}

namespace {

std::string_view withoutMasterPrefix(std::string_view path) {
  return path.starts_with("/master/") ? path.substr(7) : path;
}

}  // namespace

bool Master::isLegacyReservationEndpoint(const std::string& path) {
  auto p = withoutMasterPrefix(path);
  return p == "/reserve" || p == "/unreserve" || p == "/create-volumes" || p == "/destroy-volumes";
}

void Master::legacyReservationEndpoint(const http::Request& request, http::Responder responder) {
  if (request.method != "POST") {
    http::Response r = http::Response::text(405, "Expecting 'POST'");
    r.headers["allow"] = "POST";
    return responder.respond(std::move(r));
  }
  if (!leading_ || !recovered_) {
    return responder.respond(notLeader(request));
  }
  const auto endpoint = withoutMasterPrefix(request.path);
  const bool volumes = endpoint == "/create-volumes" || endpoint == "/destroy-volumes";
  const char* list = volumes ? "volumes" : "resources";
  // The body is form-encoded: slaveId=<id>&resources=<JSON array> (or volumes=...).
  std::map<std::string, std::string> form;
  std::string_view body = request.body;
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
    return responder.respond(http::Response::text(400, "Missing 'slaveId' in the request body"));
  }
  auto items = form.find(list);
  if (items == form.end()) {
    return responder.respond(
        http::Response::text(400, fmt::format("Missing '{}' in the request body", list)));
  }
  auto parsed = json::parse(items->second);
  if (!parsed || !parsed->isArray()) {
    return responder.respond(http::Response::text(
        400, fmt::format("Failed to parse '{}': expecting a JSON array of resources", list)));
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
      return responder.respond(
          http::Response::text(400, fmt::format("Failed to parse '{}': {}", list, s.message())));
    }
  }
  operatorReservation(call, std::move(responder));
}

}  // namespace plateau::master
