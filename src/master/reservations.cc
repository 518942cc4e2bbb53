// Reservations and persistent volumes applied: the offer operations RESERVE, UNRESERVE, CREATE,
// DESTROY, GROW_VOLUME and SHRINK_VOLUME inside ACCEPT, and the operator's calls and form-encoded
// endpoints. The rules (master/reservation_rules.h) say what each converts; here the conversion
// changes the agent's total and the allocator, and the new total goes to the agent
// (CHECKPOINT_RESOURCES), which checkpoints it and reports it when it registers again.

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/resources_proto.h"
#include "master/master.h"
#include "master/reservation_rules.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

internal::AgentEvent Master::checkpointEvent(const Agent& agent,
                                             const v1::Operation* pending) const {
  internal::AgentEvent event;
  event.set_type(internal::AgentEvent::CHECKPOINT_RESOURCES);
  auto* checkpoint = event.mutable_checkpoint_resources();
  resourcesToProto(agent.total(), checkpoint->mutable_resources(), "", ResourceFormat::kPost);
  if (pending != nullptr) {
    *checkpoint->mutable_operation() = *pending;
    *checkpoint->mutable_converted() = pending->latest_status().converted_resources();
    checkpoint->mutable_operation()->mutable_latest_status()->clear_converted_resources();
  }
  return event;
}

void Master::changeAgentTotal(Agent& agent, const Resources& from, const Resources& to,
                              const v1::Operation* pending) {
  agents_.convert(agent, from, to);
  agent.info.clear_resources();
  resourcesToProto(agent.total(), agent.info.mutable_resources(), "", ResourceFormat::kPost);
  if (agent.connected) {
    sendToAgent(agent, checkpointEvent(agent, pending));
  }
  log_->info("agent_resources_changed agent_id={} from=\"{}\" to=\"{}\" total=\"{}\"", agent.id,
             from.toString(), to.toString(), agent.total().toString());
}

Status Master::applyOfferOperation(Framework& framework, Agent& agent, const std::string& role,
                                   const v1::Offer::Operation& operation, Resources& available) {
  auto conversion = offeredConversion(
      operation, framework.info, role, agent,
      [&](const Resources& volumes) { return volumesInUse(tasks_, agent.id, volumes); });
  if (!conversion) {
    return conversion.error();
  }
  const auto& [from, to] = *conversion;
  const std::string& name = v1::Offer::Operation::Type_Name(operation.type());
  if (!available.contains(from)) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid {} operation: {} is not among the offered resources {}", name,
                        from.toString(), available.toString())};
  }
  available -= from;
  available += to;
  checked(allocator_.updateAllocation(framework.id, role, agent.id, from, to));
  const v1::Operation* pending =
      operation.has_id() ? &operationPending(framework, agent, operation, from, to) : nullptr;
  changeAgentTotal(agent, from, to, pending);
  log_->info("offer_operation_applied framework_id={} agent_id={} type={}", framework.id, agent.id,
             name);
  // Offers of other frameworks never hold these resources (they were in this framework's
  // offers); nothing else to rescind.
  return {};
}

bool Master::freeOnAgent(Agent& agent, const Resources& needed) {
  auto unallocated = [&] { return agent.total() - agent.used() - offers_.offeredOn(agent.id); };
  if (!unallocated().contains(needed)) {
    const auto& outstanding = offers_.onAgent(agent.id);
    std::vector<std::string> offers(outstanding.begin(), outstanding.end());
    for (const auto& offer_id : offers) {
      removeOffer(offer_id, std::nullopt, true);
    }
  }
  return unallocated().contains(needed);
}

void Master::operatorReservation(const operator_api::Call& call, http::Responder responder) {
  auto agent_id = operatorCallAgent(call);
  if (!agent_id) {
    return responder.respond(http::Response::text(400, agent_id.error().message()));
  }
  Agent* found = agents_.find(*agent_id);
  if (found == nullptr) {
    return responder.respond(
        http::Response::text(400, fmt::format("No agent found with specified ID '{}'", *agent_id)));
  }
  Agent& agent = *found;
  auto conversion = operatorConversion(call, agent, [&](const Resources& volumes) {
    return volumesInUse(tasks_, agent.id, volumes);
  });
  if (!conversion) {
    const Status& refused = conversion.error();
    return responder.respond(http::Response::text(
        refused.code() == StatusCode::kInvalidArgument ? 400 : 409, refused.message()));
  }
  const auto& [from, to] = *conversion;
  // Only unallocated resources can change: take back the offers on this agent first, as Mesos
  // does, when what is free now does not hold them.
  if (!freeOnAgent(agent, from)) {
    return responder.respond(http::Response::text(
        409, fmt::format("Agent {} does not have {} unallocated (total {}, used {})", agent.id,
                         from.toString(), agent.total().toString(), agent.used().toString())));
  }
  changeAgentTotal(agent, from, to);
  checked(allocator_.updateAgentTotal(agent.id, agent.total()));
  scheduleAllocation();
  responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
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
  auto call = legacyReservationCall(request.path, request.body);
  if (!call) {
    return responder.respond(http::Response::text(400, call.error().message()));
  }
  operatorReservation(*call, std::move(responder));
}

}  // namespace plateau::master
