// The agent's --acls (auth::Authorizer, Mesos's local authorizer) on its own endpoints:
// view_flags on /flags; get_endpoints on /metrics/snapshot, /monitor/statistics, /containers,
// /files/debug and /logging/toggle (with set_log_level); access_sandboxes on a sandbox in
// /files and LIST_FILES/READ_FILE, by its executor's user (else its framework's); on the
// operator API, the nested-container ACLs (by the user of the parent container's executor, and
// a launch by its command's user too), the standalone-container ACLs (a container without a
// parent) and prune_images. A refusal is 403 naming the ACL. What /state and the GET_* calls
// show is filtered by auth::ViewFilter.

#include <algorithm>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "auth/view_filter.h"

namespace plateau::agent {

namespace {

using auth::Action;

// The endpoint without Mesos's process prefix and .json suffix.
std::string endpointOf(const std::string& path) {
  std::string p = path.starts_with("/slave(1)/") ? path.substr(9) : path;
  if (p.ends_with(".json")) {
    p.resize(p.size() - 5);
  }
  return p;
}

}  // namespace

std::optional<std::string> Agent::sandboxUser(const std::string& path) const {
  // A sandbox is named by its virtual path (/frameworks/F/executors/E/...) or its directory.
  auto within = [&](const std::string& root) {
    return !root.empty() && (path == root || path.starts_with(root + "/"));
  };
  auto userOf = [](const v1::ExecutorInfo& executor, const v1::FrameworkInfo* framework) {
    return executor.command().has_user() ? executor.command().user()
                                         : (framework == nullptr ? "" : framework->user());
  };
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    for (const auto& [ex_id, executor] : framework.executors()) {
      if (within(executor.directory()) ||
          within(fmt::format("/frameworks/{}/executors/{}", fw_id, ex_id))) {
        return userOf(executor.info(), &framework.info());
      }
    }
  }
  for (const auto& completed : book_.completedExecutors()) {
    if (within(completed.directory) ||
        within(fmt::format("/frameworks/{}/executors/{}", completed.framework_id,
                           completed.info.executor_id().value()))) {
      const auto* framework = book_.framework(completed.framework_id);
      return userOf(completed.info, framework == nullptr ? nullptr : &framework->info());
    }
  }
  return std::nullopt;
}

std::optional<std::string> Agent::refuseEndpoint(const http::Request& request) const {
  auto refusal = [&](Action action, std::optional<std::string_view> object) {
    return flags_.authorizer->refusal(action, request.principal, object);
  };
  const std::string endpoint = endpointOf(request.path);
  if (endpoint == "/flags") {
    return refusal(Action::kViewFlags, auth::kAnyObject);
  }
  if (endpoint == "/metrics/snapshot" || endpoint == "/monitor/statistics" ||
      endpoint == "/containers" || endpoint == "/files/debug") {
    return refusal(Action::kGetEndpoint, request.path);
  }
  if (endpoint == "/logging/toggle") {
    auto why = refusal(Action::kGetEndpoint, request.path);
    return why ? why : refusal(Action::kSetLogLevel, auth::kAnyObject);
  }
  if (endpoint.starts_with("/files/")) {
    if (auto user = sandboxUser(request.queryParam("path").value_or(""))) {
      return refusal(Action::kAccessSandbox, *user);
    }
  }
  return std::nullopt;
}

std::optional<http::Response> Agent::authorizeEndpoint(const http::Request& request) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  return auth::forbidden(refuseEndpoint(request), request, *log_);
}

}  // namespace plateau::agent

namespace plateau::agent {

namespace {

using auth::Action;

// The ACLs of a container call, and the container it is about.
struct NestedCheck {
  Action action;                        // on the parent's user
  std::optional<Action> as_user;        // launches: on the container's own user too
  const v1::ContainerID* id = nullptr;  // the container (a launch: the one to make)
  const v1::CommandInfo* command = nullptr;
  std::optional<Action> standalone = {};  // the ACL of the call on a container without a parent
};

std::optional<NestedCheck> nestedCheckOf(const agent_api::Call& call) {
  using C = agent_api::Call;
  auto launch = [](const auto& l, Action under, Action as) {
    return NestedCheck{under, as, &l.container_id(), l.has_command() ? &l.command() : nullptr};
  };
  switch (call.type()) {
    case C::LAUNCH_NESTED_CONTAINER:
      return launch(call.launch_nested_container(),
                    Action::kLaunchNestedContainerUnderParentWithUser,
                    Action::kLaunchNestedContainerAsUser);
    case C::LAUNCH_CONTAINER: {
      auto check =
          launch(call.launch_container(), Action::kLaunchNestedContainerUnderParentWithUser,
                 Action::kLaunchNestedContainerAsUser);
      check.standalone = Action::kLaunchStandaloneContainer;
      return check;
    }
    case C::LAUNCH_NESTED_CONTAINER_SESSION:
      return launch(call.launch_nested_container_session(),
                    Action::kLaunchNestedContainerSessionUnderParentWithUser,
                    Action::kLaunchNestedContainerSessionAsUser);
    case C::WAIT_NESTED_CONTAINER:
      return NestedCheck{
          Action::kWaitNestedContainer, {}, &call.wait_nested_container().container_id()};
    case C::WAIT_CONTAINER:
      return NestedCheck{.action = Action::kWaitNestedContainer,
                         .id = &call.wait_container().container_id(),
                         .standalone = Action::kWaitStandaloneContainer};
    case C::KILL_NESTED_CONTAINER:
      return NestedCheck{
          Action::kKillNestedContainer, {}, &call.kill_nested_container().container_id()};
    case C::KILL_CONTAINER:
      return NestedCheck{.action = Action::kKillNestedContainer,
                         .id = &call.kill_container().container_id(),
                         .standalone = Action::kKillStandaloneContainer};
    case C::REMOVE_NESTED_CONTAINER:
      return NestedCheck{
          Action::kRemoveNestedContainer, {}, &call.remove_nested_container().container_id()};
    case C::REMOVE_CONTAINER:
      return NestedCheck{.action = Action::kRemoveNestedContainer,
                         .id = &call.remove_container().container_id(),
                         .standalone = Action::kRemoveStandaloneContainer};
    case C::ATTACH_CONTAINER_INPUT:
      return NestedCheck{
          Action::kAttachContainerInput, {}, &call.attach_container_input().container_id()};
    case C::ATTACH_CONTAINER_OUTPUT:
      return NestedCheck{
          Action::kAttachContainerOutput, {}, &call.attach_container_output().container_id()};
    default:
      return std::nullopt;
  }
}

std::optional<std::string> refuseUnderRoot(const auth::Authorizer& acls, const ExecutorBook& book,
                                           const NestedCheck& check, const std::string& root,
                                           const std::string& principal) {
  // Under an executor's container: by its user (the executor command's, else its framework's).
  // Under a standalone container (or one the agent does not know, which then answers 404), as
  // Mesos: with no user, which only ANY and NONE entries match.
  std::optional<std::string_view> parent_user = auth::kAnyObject;
  for (const auto& [fw_id, fw] : book.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      if (ex.containerId() == root) {
        parent_user = auth::executorUser(ex.info(), fw.info());
      }
    }
  }
  if (check.as_user) {
    std::optional<std::string_view> user = parent_user;
    if (check.command != nullptr && check.command->has_user()) {
      user = check.command->user();
    }
    if (auto why = acls.refusal(*check.as_user, principal, user)) {
      return why;
    }
  }
  return acls.refusal(check.action, principal, parent_user);
}

}  // namespace

auth::ViewFilter Agent::viewFilter(const std::string& principal) const {
  return auth::ViewFilter(flags_.authorizer, principal);
}

void Agent::hideStandaloneContainers(const auth::ViewFilter& view, agent_api::Response* listed) {
  if (view.standaloneContainers()) {
    return;
  }
  auto* containers = listed->mutable_get_containers()->mutable_containers();
  containers->erase(std::remove_if(containers->begin(), containers->end(),
                                   [](const auto& c) { return !c.has_executor_id(); }),
                    containers->end());
}

std::optional<std::string> Agent::refuseOperatorCall(const agent_api::Call& call,
                                                     const std::string& principal) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  if (call.type() == agent_api::Call::PRUNE_IMAGES) {
    return flags_.authorizer->refusal(Action::kPruneImages, principal, auth::kAnyObject);
  }
  if (call.type() == agent_api::Call::ADD_RESOURCE_PROVIDER_CONFIG ||
      call.type() == agent_api::Call::UPDATE_RESOURCE_PROVIDER_CONFIG ||
      call.type() == agent_api::Call::REMOVE_RESOURCE_PROVIDER_CONFIG) {
    return flags_.authorizer->refusal(Action::kModifyResourceProviderConfig, principal,
                                      auth::kAnyObject);
  }
  if (call.type() == agent_api::Call::MARK_RESOURCE_PROVIDER_GONE) {
    return flags_.authorizer->refusal(Action::kMarkResourceProvidersGone, principal,
                                      auth::kAnyObject);
  }
  if (call.type() == agent_api::Call::LIST_FILES || call.type() == agent_api::Call::READ_FILE) {
    const std::string& path = call.type() == agent_api::Call::LIST_FILES ? call.list_files().path()
                                                                         : call.read_file().path();
    auto user = sandboxUser(path);
    return user ? flags_.authorizer->refusal(Action::kAccessSandbox, principal, *user)
                : std::nullopt;
  }
  auto check = nestedCheckOf(call);
  if (!check) {
    return std::nullopt;
  }
  if (check->standalone && !check->id->has_parent()) {
    // A standalone container (Mesos's *_standalone_containers ACLs, whose object is implicit).
    if (!caller_container_.empty()) {
      return fmt::format(
          "The token of container '{}' does not authorize calls on standalone container '{}'",
          caller_container_, check->id->value());
    }
    return flags_.authorizer->refusal(*check->standalone, principal, auth::kAnyObject);
  }
  const v1::ContainerID* root = check->id;
  while (root->has_parent()) {
    root = &root->parent();
  }
  if (!caller_container_.empty()) {
    // An executor's token (Mesos's implicit rule): its own container's nested containers only.
    if (root->value() == caller_container_) {
      return std::nullopt;
    }
    return fmt::format("The token of container '{}' does not authorize calls on container '{}'",
                       caller_container_, check->id->value());
  }
  return refuseUnderRoot(*flags_.authorizer, book_, *check, root->value(), principal);
}

}  // namespace plateau::agent
