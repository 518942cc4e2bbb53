// Authorization by --acls (auth::Authorizer, Mesos's local authorizer): which principal may
// subscribe with which roles, run tasks as which user, reserve, create and destroy, tear down,
// change weights, quotas, maintenance, agents and the log level, read flags, metrics and logs.
// Refusals: an operator call or endpoint gets 403 naming the ACL; a subscription gets its
// ERROR event; a task its TASK_ERROR; an offer operation is dropped (OPERATION_ERROR when it
// has an id). Without --acls everything is allowed.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "master/master.h"
#include "master/reservation_rules.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;
using auth::Action;

namespace {

// The role a reserved resource is reserved to (its innermost reservation).
std::string reservationRole(const v1::Resource& r) {
  return r.reservations_size() > 0 ? r.reservations(r.reservations_size() - 1).role() : r.role();
}

std::string reserverPrincipal(const v1::Resource& r) {
  return r.reservations_size() > 0 ? r.reservations(r.reservations_size() - 1).principal()
                                   : r.reservation().principal();
}

// The object an action on a resource is authorized on: its role, or the principal that
// reserved it (unreserve) or created it (destroy), as Mesos's local authorizer.
std::string resourceObject(Action action, const v1::Resource& r) {
  switch (action) {
    case Action::kUnreserveResources:
      return reserverPrincipal(r);
    case Action::kDestroyVolume:
      return r.disk().persistence().principal();
    default:
      return reservationRole(r);
  }
}

// The ACL that guards an operator call whose object is implicit (ANY).
std::optional<Action> implicitAction(operator_api::Call::Type type) {
  switch (type) {
    case operator_api::Call::GET_FLAGS:
      return Action::kViewFlags;
    case operator_api::Call::SET_LOGGING_LEVEL:
      return Action::kSetLogLevel;
    case operator_api::Call::MARK_AGENT_GONE:
      return Action::kMarkAgentGone;
    case operator_api::Call::DRAIN_AGENT:
      return Action::kDrainAgent;
    case operator_api::Call::DEACTIVATE_AGENT:
      return Action::kDeactivateAgent;
    case operator_api::Call::REACTIVATE_AGENT:
      return Action::kReactivateAgent;
    case operator_api::Call::GET_MAINTENANCE_SCHEDULE:
      return Action::kGetMaintenanceSchedule;
    case operator_api::Call::UPDATE_MAINTENANCE_SCHEDULE:
      return Action::kUpdateMaintenanceSchedule;
    case operator_api::Call::START_MAINTENANCE:
      return Action::kStartMaintenance;
    case operator_api::Call::STOP_MAINTENANCE:
      return Action::kStopMaintenance;
    case operator_api::Call::GET_MAINTENANCE_STATUS:
      return Action::kGetMaintenanceStatus;
    default:
      return std::nullopt;
  }
}

// The legacy endpoints whose ACL depends on the path and method alone.
std::optional<Action> implicitEndpointAction(const std::string& path, const std::string& method) {
  const bool read = method == "GET" || method == "HEAD";
  if (path == "/flags") {
    return Action::kViewFlags;
  }
  if (path == "/maintenance/schedule") {
    return read ? Action::kGetMaintenanceSchedule : Action::kUpdateMaintenanceSchedule;
  }
  if (path == "/maintenance/status") {
    return Action::kGetMaintenanceStatus;
  }
  if (path == "/machine/down") {
    return Action::kStartMaintenance;
  }
  if (path == "/machine/up") {
    return Action::kStopMaintenance;
  }
  return std::nullopt;
}

std::string formField(const std::string& body, const std::string& name) {
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = std::min(body.find('&', start), body.size());
    std::string pair = body.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && http::urlDecode(pair.substr(0, eq)) == name) {
      return http::urlDecode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return "";
}

}  // namespace

bool Master::authorized(Action action, const std::string& principal,
                        std::optional<std::string_view> object) const {
  return flags_.authorizer == nullptr || flags_.authorizer->allowed(action, principal, object);
}

std::optional<std::string> Master::refusal(Action action, const std::string& principal,
                                           std::optional<std::string_view> object) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  return flags_.authorizer->refusal(action, principal, object);
}

std::optional<std::string> Master::refuseResources(
    Action action, const std::string& principal,
    const google::protobuf::RepeatedPtrField<v1::Resource>& resources) const {
  for (const auto& resource : resources) {
    if (auto why = refusal(action, principal, resourceObject(action, resource))) {
      return why;
    }
  }
  return std::nullopt;
}

std::optional<std::string> Master::refuseOperatorCall(const std::string& principal,
                                                      const operator_api::Call& call) const {
  if (auto action = implicitAction(call.type())) {
    return refusal(*action, principal, auth::kAnyObject);
  }
  switch (call.type()) {
    case operator_api::Call::GET_METRICS:
      return refusal(Action::kGetEndpoint, principal, "/metrics/snapshot");
    case operator_api::Call::UPDATE_WEIGHTS:
      for (const auto& info : call.update_weights().weight_infos()) {
        if (auto why = refusal(Action::kUpdateWeight, principal, info.role())) {
          return why;
        }
      }
      return std::nullopt;
    case operator_api::Call::UPDATE_QUOTA:
      for (const auto& config : call.update_quota().quota_configs()) {
        if (auto why = refusal(Action::kUpdateQuota, principal, config.role())) {
          return why;
        }
      }
      return std::nullopt;
    case operator_api::Call::SET_QUOTA:
      return refusal(Action::kUpdateQuota, principal, call.set_quota().quota_request().role());
    case operator_api::Call::REMOVE_QUOTA:
      return refusal(Action::kUpdateQuota, principal, call.remove_quota().role());
    case operator_api::Call::TEARDOWN: {
      const Framework* fw = frameworks_.find(call.teardown().framework_id().value());
      return fw == nullptr ? std::nullopt
                           : refusal(Action::kTeardownFramework, principal, fw->info.principal());
    }
    case operator_api::Call::RESERVE_RESOURCES:
      return refuseResources(Action::kReserveResources, principal,
                             call.reserve_resources().resources());
    case operator_api::Call::UNRESERVE_RESOURCES:
      return refuseResources(Action::kUnreserveResources, principal,
                             call.unreserve_resources().resources());
    case operator_api::Call::CREATE_VOLUMES:
      return refuseResources(Action::kCreateVolume, principal, call.create_volumes().volumes());
    case operator_api::Call::DESTROY_VOLUMES:
      return refuseResources(Action::kDestroyVolume, principal, call.destroy_volumes().volumes());
    case operator_api::Call::GROW_VOLUME:
      return refusal(Action::kResizeVolume, principal,
                     reservationRole(call.grow_volume().volume()));
    case operator_api::Call::SHRINK_VOLUME:
      return refusal(Action::kResizeVolume, principal,
                     reservationRole(call.shrink_volume().volume()));
    case operator_api::Call::LIST_FILES:
    case operator_api::Call::READ_FILE: {
      const std::string& path = call.type() == operator_api::Call::LIST_FILES
                                    ? call.list_files().path()
                                    : call.read_file().path();
      return path.starts_with("/master/log")
                 ? refusal(Action::kAccessMesosLog, principal, auth::kAnyObject)
                 : std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<http::Response> Master::authorizeOperatorCall(const http::Request& request,
                                                            const operator_api::Call& call) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  return auth::forbidden(refuseOperatorCall(request.principal, call), request, *log_);
}

std::optional<std::string> Master::refuseEndpoint(const http::Request& request) const {
  std::string path = request.path.starts_with("/master/") ? request.path.substr(7) : request.path;
  const std::string& who = request.principal;
  if (auto action = implicitEndpointAction(path, request.method)) {
    return refusal(*action, who, auth::kAnyObject);
  }
  if (path == "/metrics/snapshot" || path == "/files/debug") {
    return refusal(Action::kGetEndpoint, who, path);
  }
  if (path == "/logging/toggle") {
    auto why = refusal(Action::kGetEndpoint, who, path);
    return why ? why : refusal(Action::kSetLogLevel, who, auth::kAnyObject);
  }
  if (path.starts_with("/files/") &&
      request.queryParam("path").value_or("").starts_with("/master/log")) {
    return refusal(Action::kAccessMesosLog, who, auth::kAnyObject);
  }
  if (path == "/teardown" && request.method == "POST") {
    const Framework* fw = frameworks_.find(formField(request.body, "frameworkId"));
    return fw == nullptr ? std::nullopt
                         : refusal(Action::kTeardownFramework, who, fw->info.principal());
  }
  if (path == "/weights" && request.method == "PUT") {
    auto parsed = json::parse(request.body);
    for (size_t i = 0; parsed && parsed->isArray() && i < parsed->size(); ++i) {
      const json::Value* role = (*parsed)[i].find("role");
      if (auto why = refusal(Action::kUpdateWeight, who,
                             role != nullptr && role->isString() ? role->asString() : "")) {
        return why;
      }
    }
    return std::nullopt;
  }
  if (path == "/quota" && request.method == "POST") {
    auto parsed = json::parse(request.body);
    const json::Value* role = parsed && parsed->isObject() ? parsed->find("role") : nullptr;
    return refusal(Action::kUpdateQuota, who,
                   role != nullptr && role->isString() ? role->asString() : "*");
  }
  if (path.starts_with("/quota/") && request.method == "DELETE") {
    return refusal(Action::kUpdateQuota, who, http::urlDecode(path.substr(7)));
  }
  if (isLegacyReservationEndpoint(request.path) && request.method == "POST") {
    auto call = legacyReservationCall(request.path, request.body);
    return call ? refuseOperatorCall(who, *call) : std::nullopt;
  }
  return std::nullopt;
}

std::optional<http::Response> Master::authorizeEndpoint(const http::Request& request) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  return auth::forbidden(refuseEndpoint(request), request, *log_);
}

std::optional<std::string> Master::refuseFrameworkRoles(const v1::FrameworkInfo& info) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  Framework probe;
  probe.info = info;
  setRoles(probe);
  for (const auto& role : probe.roles) {
    if (!authorized(Action::kRegisterFramework, info.principal(), role)) {
      // Mesos's words, its roles listed as a set.
      return fmt::format("Not authorized to use roles '{{ {} }}'", fmt::join(probe.roles, ", "));
    }
  }
  return std::nullopt;
}

std::optional<std::string> Master::refuseTaskUser(const Framework& framework,
                                                  const v1::TaskInfo& task) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  // As Mesos: the command's user, else the executor's, else the framework's.
  std::string user = framework.info.user();
  if (task.has_command() && task.command().has_user()) {
    user = task.command().user();
  } else if (task.has_executor() && task.executor().command().has_user()) {
    user = task.executor().command().user();
  }
  if (authorized(Action::kRunTask, framework.info.principal(), user)) {
    return std::nullopt;
  }
  return fmt::format("Not authorized to launch as user '{}'", user);
}

std::optional<std::string> Master::refuseOfferOperation(const Framework& framework,
                                                        const v1::Offer::Operation& op) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  const std::string& principal = framework.info.principal();
  switch (op.type()) {
    case v1::Offer::Operation::RESERVE:
      return refuseResources(Action::kReserveResources, principal, op.reserve().resources());
    case v1::Offer::Operation::UNRESERVE:
      return refuseResources(Action::kUnreserveResources, principal, op.unreserve().resources());
    case v1::Offer::Operation::CREATE:
      return refuseResources(Action::kCreateVolume, principal, op.create().volumes());
    case v1::Offer::Operation::DESTROY:
      return refuseResources(Action::kDestroyVolume, principal, op.destroy().volumes());
    case v1::Offer::Operation::GROW_VOLUME:
      return refusal(Action::kResizeVolume, principal, reservationRole(op.grow_volume().volume()));
    case v1::Offer::Operation::SHRINK_VOLUME:
      return refusal(Action::kResizeVolume, principal,
                     reservationRole(op.shrink_volume().volume()));
    default:
      return std::nullopt;
  }
}

ViewFilter Master::viewFilter(const std::string& principal) const {
  return ViewFilter(flags_.authorizer, principal);
}

}  // namespace plateau::master
