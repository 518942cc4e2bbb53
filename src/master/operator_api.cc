// POST /api/v1: the operator API. Calls not served yet answer 501 naming the call.

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

void Master::operatorApi(http::Request& request, http::Responder responder) {
  if (request.method != "POST") {
    http::Response r = http::Response::text(
        405, fmt::format("Expecting a 'POST' request, received '{}'", request.method));
    r.headers["allow"] = "POST";
    return responder.respond(std::move(r));
  }
  auto body_type = http::bodyType(request);
  if (!body_type) {
    return responder.respond(http::Response::text(415, body_type.error().message()));
  }
  operator_api::Call call;
  if (Status s = http::decode(request.body, *body_type, &call); !s.isOk()) {
    return responder.respond(http::Response::text(
        400, fmt::format("Failed to parse body into Call protobuf: {}", s.message())));
  }
  if (!call.has_type()) {
    return responder.respond(http::Response::text(400, "Expecting 'type' to be present"));
  }
  switch (call.type()) {
    case operator_api::Call::MARK_AGENT_GONE: {
      if (!call.has_mark_agent_gone()) {
        return responder.respond(
            http::Response::text(400, "Expecting 'mark_agent_gone' to be present"));
      }
      return markAgentGone(call.mark_agent_gone().agent_id().value(), std::move(responder));
    }
    default:
      return responder.respond(http::Response::text(
          501, fmt::format("Operator call '{}' is not implemented yet",
                           operator_api::Call::Type_Name(call.type()))));
  }
}

void Master::markAgentGone(const std::string& agent_id, http::Responder responder) {
  bool known = agents_.contains(agent_id) || registry_state_.agents.contains(agent_id) ||
               registry_state_.unreachable.contains(agent_id);
  if (!known) {
    return responder.respond(
        http::Response::text(404, fmt::format("Agent '{}' is not known", agent_id)));
  }
  if (registry_state_.gone.contains(agent_id)) {
    return responder.respond(http::Response{.status = 200, .headers = {}, .body = {}});
  }
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  // Gone is for ever: the registry learns it before anything else happens.
  persist({registry::Change::erase(registry::Change::Kind::kAgent, agent_id),
           registry::Change::erase(registry::Change::Kind::kUnreachable, agent_id),
           registry::Change::putNumber(registry::Change::Kind::kGone, agent_id, now())},
          [this, agent_id, shared](Status status) {
            if (!status.isOk()) {
              shared->respond(http::Response::text(
                  503, fmt::format("Cannot store the change: {}", status.message())));
              return;
            }
            recovering_agents_.erase(agent_id);
            auto it = agents_.find(agent_id);
            if (it != agents_.end()) {
              if (it->second.stream) {
                internal::AgentEvent event;
                event.set_type(internal::AgentEvent::SHUTDOWN);
                event.mutable_shutdown()->set_message("Agent was marked gone by an operator");
                sendToAgent(it->second, event);
              }
              removeAgentAs(agent_id, "marked gone by an operator", /*gone=*/true);
            }
            log_->warn("agent_marked_gone agent_id={}", agent_id);
            shared->respond(http::Response{.status = 200, .headers = {}, .body = {}});
          });
}

}  // namespace plateau::master
