// POST /api/v1: the operator API. Decodes the call, answers the GET_* calls from the views in
// operator_state.cc, runs the changes (weights, teardown, logging level, agents gone), and
// hands SUBSCRIBE to operator_events.cc. Calls not served answer 501 naming the call.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/operator_common.h"
#include "endpoints/files_calls.h"
#include "http/stream_accept.h"
#include "master/forked_render.h"
#include "master/master.h"
#include "master/validation.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

http::Response empty200() { return http::Response{.status = 200, .headers = {}, .body = {}}; }

// Answers a change once it is done: 200, or the error's status and message.
std::function<void(Status)> answerWith(http::Responder responder) {
  return [shared = std::make_shared<http::Responder>(std::move(responder))](const Status& s) {
    shared->respond(s.isOk() ? empty200() : http::errorResponse(s));
  };
}

// The field a change read here keeps its arguments in, named after the call's type
// (UPDATE_WEIGHTS: update_weights), when the call lacks it (Mesos answers 400); the calls
// routed elsewhere check their own.
std::optional<std::string> missingArguments(const operator_api::Call& call) {
  bool present = true;
  switch (call.type()) {
    case operator_api::Call::SET_LOGGING_LEVEL:
      present = call.has_set_logging_level();
      break;
    case operator_api::Call::UPDATE_WEIGHTS:
      present = call.has_update_weights();
      break;
    case operator_api::Call::UPDATE_QUOTA:
      present = call.has_update_quota();
      break;
    case operator_api::Call::SET_QUOTA:
      present = call.has_set_quota();
      break;
    case operator_api::Call::REMOVE_QUOTA:
      present = call.has_remove_quota();
      break;
    case operator_api::Call::TEARDOWN:
      present = call.has_teardown();
      break;
    case operator_api::Call::MARK_AGENT_GONE:
      present = call.has_mark_agent_gone();
      break;
    case operator_api::Call::DRAIN_AGENT:
      present = call.has_drain_agent();
      break;
    case operator_api::Call::DEACTIVATE_AGENT:
      present = call.has_deactivate_agent();
      break;
    case operator_api::Call::REACTIVATE_AGENT:
      present = call.has_reactivate_agent();
      break;
    default:
      break;
  }
  if (present) {
    return std::nullopt;
  }
  std::string field = operator_api::Call::Type_Name(call.type());
  std::transform(field.begin(), field.end(), field.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return field;
}

}  // namespace

void Master::operatorApi(http::Request& request, http::Responder responder) {
  auto received = clock_.now();
  operator_api::Call call;
  // SUBSCRIBE streams: it alone may ask for application/recordio.
  auto accept = http::decodeStreamingCall(
      request, &call, [](int type) { return type == operator_api::Call::SUBSCRIBE; });
  if (!accept) {
    return responder.respond(std::move(accept.error()));
  }
  responder = http::framedAs(*accept, std::move(responder));
  responder.onAnswer([this,
                      histogram = &metrics_.operator_calls.at(
                          call.type(), operator_api::Call::Type_Name(call.type())),
                      received] {
    histogram->observe(std::chrono::duration<double>(clock_.now() - received).count());
  });
  if (auto refused = authorizeOperatorCall(request, call)) {
    return responder.respond(std::move(*refused));
  }
  // Operators without a principal (authentication off) share the aggregate default, as every
  // principal not listed does.
  if (rate_limiter_ != nullptr) {
    std::string type = operator_api::Call::Type_Name(call.type());
    return throttle(request.principal, type, std::move(responder),
                    [this, call = std::move(call), message = accept->message,
                     principal = request.principal](http::Responder responder) {
                      runOperatorCall(call, message, principal, std::move(responder));
                    });
  }
  runOperatorCall(call, accept->message, request.principal, std::move(responder));
}

void Master::runOperatorCall(const operator_api::Call& call, http::ContentType accept,
                             const std::string& principal, http::Responder responder) {
  // The whole-cluster views are rendered in a forked child from a copy-on-write snapshot
  // (forked_render.h), so that they do not hold the loop; in virtual time, here.
  const auto type = call.type();
  if (type == operator_api::Call::GET_STATE || type == operator_api::Call::GET_TASKS ||
      type == operator_api::Call::GET_AGENTS || type == operator_api::Call::GET_FRAMEWORKS ||
      type == operator_api::Call::GET_EXECUTORS) {
    const ViewFilter view = viewFilter(principal);
    auto render = [&] {
      operator_api::Response response;
      operatorView(call, view, &response);
      return http::messageResponse(response, accept);
    };
    if (ForkedRender::respond(timers_, render, responder)) {
      return;
    }
  }
  operator_api::Response response;
  if (answerCommonCall(
          call, &response, flag_values_, [this] { return metricsSnapshot(); },
          logging_level_.level()) ||
      operatorView(call, viewFilter(principal), &response)) {
    return responder.respond(http::messageResponse(response, accept));
  }
  if (call.type() == operator_api::Call::SUBSCRIBE) {
    return feed_.subscribe(accept, std::move(responder),
                           std::make_shared<ViewFilter>(viewFilter(principal)));
  }
  operatorChange(call, accept, std::move(responder));
}

bool Master::operatorView(const operator_api::Call& call, const ViewFilter& view,
                          operator_api::Response* response) const {
  const Books b = booksFor(view);
  switch (call.type()) {
    case operator_api::Call::GET_STATE:
      response->set_type(operator_api::Response::GET_STATE);
      getState(b, response->mutable_get_state());
      return true;
    case operator_api::Call::GET_AGENTS:
      response->set_type(operator_api::Response::GET_AGENTS);
      getAgents(b, response->mutable_get_agents());
      return true;
    case operator_api::Call::GET_FRAMEWORKS:
      response->set_type(operator_api::Response::GET_FRAMEWORKS);
      getFrameworks(b, response->mutable_get_frameworks());
      return true;
    case operator_api::Call::GET_EXECUTORS:
      response->set_type(operator_api::Response::GET_EXECUTORS);
      getExecutors(b, response->mutable_get_executors());
      return true;
    case operator_api::Call::GET_TASKS:
      response->set_type(operator_api::Response::GET_TASKS);
      getTasks(b, response->mutable_get_tasks());
      return true;
    case operator_api::Call::GET_ROLES:
      response->set_type(operator_api::Response::GET_ROLES);
      getRoles(b, response->mutable_get_roles());
      return true;
    case operator_api::Call::GET_WEIGHTS:
      response->set_type(operator_api::Response::GET_WEIGHTS);
      for (const auto& [role, weight] : roles_.weights()) {
        if (!b.showsRole(role)) {
          continue;
        }
        auto* info = response->mutable_get_weights()->add_weight_infos();
        info->set_role(role);
        info->set_weight(weight);
      }
      return true;
    case operator_api::Call::GET_MASTER: {
      response->set_type(operator_api::Response::GET_MASTER);
      auto* master = response->mutable_get_master();
      *master->mutable_master_info() = info_;
      master->set_start_time(start_time_);
      master->set_elected_time(start_time_);
      return true;
    }
    case operator_api::Call::GET_OPERATIONS:
      response->set_type(operator_api::Response::GET_OPERATIONS);
      getOperations(operations_, response->mutable_get_operations(), &view);
      return true;
    case operator_api::Call::GET_QUOTA:
      response->set_type(operator_api::Response::GET_QUOTA);
      roles_.quotaStatus(response->mutable_get_quota()->mutable_status());
      filterQuotaStatus(view, response->mutable_get_quota()->mutable_status());
      return true;
    default:
      return false;
  }
}

void Master::operatorChange(const operator_api::Call& call, http::ContentType accept,
                            http::Responder responder) {
  if (auto missing = missingArguments(call)) {
    return responder.respond(
        http::Response::text(400, fmt::format("Expecting '{}' to be present", *missing)));
  }
  switch (call.type()) {
    case operator_api::Call::SET_LOGGING_LEVEL: {
      const auto& set = call.set_logging_level();
      logging_level_.set(set.level(), std::chrono::nanoseconds(set.duration().nanoseconds()));
      return responder.respond(empty200());
    }
    case operator_api::Call::UPDATE_WEIGHTS:
      return updateWeights(call.update_weights(), answerWith(std::move(responder)));
    case operator_api::Call::UPDATE_QUOTA:
      return updateQuota(call.update_quota(), answerWith(std::move(responder)));
    case operator_api::Call::SET_QUOTA:
      return setQuota(call.set_quota().quota_request(), answerWith(std::move(responder)));
    case operator_api::Call::REMOVE_QUOTA:
      return removeQuota(call.remove_quota().role(), answerWith(std::move(responder)));
    case operator_api::Call::TEARDOWN:
      return answerWith(std::move(responder))(
          teardownFramework(call.teardown().framework_id().value()));
    case operator_api::Call::MARK_AGENT_GONE:
      return markGone(call.mark_agent_gone().agent_id().value(), answerWith(std::move(responder)));
    case operator_api::Call::DRAIN_AGENT:
    case operator_api::Call::DEACTIVATE_AGENT:
    case operator_api::Call::REACTIVATE_AGENT:
      return agentHoldCall(call, std::move(responder));
    case operator_api::Call::RESERVE_RESOURCES:
    case operator_api::Call::UNRESERVE_RESOURCES:
    case operator_api::Call::CREATE_VOLUMES:
    case operator_api::Call::DESTROY_VOLUMES:
    case operator_api::Call::GROW_VOLUME:
    case operator_api::Call::SHRINK_VOLUME:
      return operatorReservation(call, std::move(responder));
    case operator_api::Call::GET_MAINTENANCE_SCHEDULE:
    case operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE:
    case operator_api::Call::GET_MAINTENANCE_STATUS:
    case operator_api::Call::START_MAINTENANCE:
    case operator_api::Call::STOP_MAINTENANCE:
      return maintenanceCall(call, accept, std::move(responder));
    case operator_api::Call::LIST_FILES:
    case operator_api::Call::READ_FILE:
      return responder.respond(*files::answerFilesCall<operator_api::Call, operator_api::Response>(
          call, attachedFiles(), accept));
    default:
      return responder.respond(
          http::Response::text(501, fmt::format("Operator call '{}' is not implemented yet",
                                                operator_api::Call::Type_Name(call.type()))));
  }
}

void Master::updateWeights(const operator_api::Call::UpdateWeights& update,
                           std::function<void(Status)> done) {
  auto changes = roles_.planWeights(update);
  if (!changes) {
    return done(changes.error());
  }
  for (const auto& info : update.weight_infos()) {
    if (!flags_.role_whitelist.empty() && !flags_.role_whitelist.contains(info.role())) {
      return done(
          Status(StatusCode::kInvalidArgument,
                 fmt::format("Role '{}' is not present in the master's --roles", info.role())));
    }
  }
  std::vector<std::pair<std::string, double>> weights;
  for (const auto& info : update.weight_infos()) {
    weights.emplace_back(info.role(), info.weight());
  }
  // The registry learns the weights first, so that a restart never loses an answered update.
  persist(std::move(*changes), [this, weights, done](Status status) {
    if (!status.isOk()) {
      return done(Status(StatusCode::kUnavailable,
                         fmt::format("Cannot store the weights: {}", status.message())));
    }
    for (const auto& [role, weight] : weights) {
      checked(allocator_.setWeight(role, weight));
      log_->info("weight_updated role={} weight={}", role, weight);
    }
    scheduleAllocation();
    done({});
  });
}

Status Master::teardownFramework(const std::string& framework_id) {
  if (!frameworks_.contains(framework_id)) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("No framework found with ID '{}'", framework_id));
  }
  removeFramework(framework_id, "Framework torn down by an operator");
  return {};
}

std::vector<files::Attachment> Master::attachedFiles() const {
  std::vector<files::Attachment> attached;
  if (!flags_.external_log_file.empty()) {
    attached.push_back(
        {.virtual_path = "/master/log", .directory = flags_.external_log_file, .file = true});
  } else if (!flags_.log_dir.empty()) {
    attached.push_back({.virtual_path = "/master/log",
                        .directory = flags_.log_dir + "/plateau-master.log",
                        .file = true});
  }
  return attached;
}

void Master::markGone(const std::string& agent_id, std::function<void(Status)> done) {
  bool known = agents_.contains(agent_id) || registry_state_.agents.contains(agent_id) ||
               registry_state_.unreachable.contains(agent_id);
  if (!known) {
    return done(Status(StatusCode::kNotFound, fmt::format("Agent '{}' is not known", agent_id)));
  }
  if (registry_state_.gone.contains(agent_id)) {
    return done({});
  }
  // Gone is for ever: the registry learns it before anything else happens.
  std::vector<registry::Change> changes = {
      registry::Change::erase(registry::Change::Kind::kAgent, agent_id),
      registry::Change::erase(registry::Change::Kind::kUnreachable, agent_id),
      registry::Change::putNumber(registry::Change::Kind::kGone, agent_id, now())};
  if (drains_.deactivated(agent_id)) {
    changes.push_back(registry::Change::erase(registry::Change::Kind::kMaintenance,
                                              DrainBook::registryKey(agent_id)));
  }
  persist(std::move(changes), [this, agent_id, done = std::move(done)](Status status) {
    if (!status.isOk()) {
      return done(Status(StatusCode::kUnavailable,
                         fmt::format("Cannot store the change: {}", status.message())));
    }
    drains_.forget(agent_id);
    agents_.stopExpecting(agent_id);
    dismissAgent(agent_id, "Agent was marked gone by an operator", "marked gone by an operator");
    log_->warn("agent_marked_gone agent_id={}", agent_id);
    done({});
  });
}

}  // namespace plateau::master
