// The agent's side of its nested containers (agent/nested_containers.h): how calls reach them,
// with Mesos's content negotiation for streamed requests and answers, and how a parent container
// is found among the executors.

#include <utility>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/nested_containers.h"
#include "auth/view_filter.h"

namespace plateau::agent {

void Agent::initNested() {
  nested_ = std::make_unique<NestedContainers>(
      timers_, log_,
      [this](const std::string& container_id) {
        std::optional<NestedContainers::Parent> found;
        for (const auto& [fw_id, fw] : book_.frameworks()) {
          for (const auto& [ex_id, ex] : fw.executors()) {
            if (ex.containerId() == container_id && ex.pid() > 0) {
              found = NestedContainers::Parent{ex.pid(), ex.directory()};
            }
          }
        }
        return found;
      },
      flags_.http_heartbeat_interval);
  nested_->checkpointNested(flags_.work_dir, flags_.recover == "reconnect");
  nested_->setImages(
      {.prepare =
           [this](const std::string& key, const std::string& sandbox,
                  const mesos::v1::CommandInfo& command, const mesos::v1::ContainerInfo& info,
                  const std::string& user, NestedContainers::Images::Prepared done) {
             prepareNestedImage(key, sandbox, command, info, user, std::move(done));
           },
       .release = [this](const std::string& key) { releaseImage(key); }});
  initStandalone();
}

std::optional<http::StreamAccept> Agent::acceptOperatorCall(http::Request& request,
                                                            agent_api::Call* call,
                                                            http::Responder& responder) {
  std::string content = http::toLower(request.header("content-type"));
  if (content.starts_with(http::kRecordioMediaType)) {
    // ATTACH_CONTAINER_INPUT, the one call whose request streams.
    // The first record may come after this call returns: the check keeps what it needs.
    http::Request head = request;
    head.body.clear();
    nested_->attachInput(
        request, std::move(responder),
        [this, head = std::move(head), caller = caller_container_](const agent_api::Call& first) {
          auto outer = std::exchange(caller_container_, caller);
          auto refused = auth::forbidden(refuseOperatorCall(first, head.principal), head, *log_);
          caller_container_ = std::move(outer);
          return refused;
        });
    return std::nullopt;
  }
  if (!request.header("message-content-type").empty()) {
    responder.respond(http::Response::text(
        415, "Expecting 'Message-Content-Type' to be not set for non-streaming requests"));
    return std::nullopt;
  }
  auto accept = http::decodeStreamingCall(request, call, &NestedContainers::streams);
  if (!accept) {
    responder.respond(std::move(accept.error()));
    return std::nullopt;
  }
  if (!accept->recordio && !request.header("message-accept").empty()) {
    responder.respond(http::Response::text(
        406, "Expecting 'Message-Accept' to be not set for non-streaming responses"));
    return std::nullopt;
  }
  if (call->type() == agent_api::Call::ATTACH_CONTAINER_INPUT) {
    responder.respond(http::Response::text(
        415, fmt::format("Expecting 'Content-Type' to be {} for ATTACH_CONTAINER_INPUT call",
                         http::kRecordioMediaType)));
    return std::nullopt;
  }
  responder = http::framedAs(*accept, std::move(responder));
  return *accept;
}

bool Agent::nestedCall(const agent_api::Call& call, const http::StreamAccept& accept,
                       http::Responder& responder) {
  if (!NestedContainers::handles(call.type())) {
    return false;
  }
  nested_->call(call, accept, std::move(responder));
  return true;
}

}  // namespace plateau::agent
