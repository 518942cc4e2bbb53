// The agent's --acls (auth::Authorizer, Mesos's local authorizer) on its own endpoints:
// view_flags on /flags; get_endpoints on /metrics/snapshot, /monitor/statistics, /containers,
// /files/debug and /logging/toggle (with set_log_level); access_sandboxes on a sandbox in
// /files and LIST_FILES/READ_FILE, by its executor's user (else its framework's); on the
// operator API, the nested-container ACLs (by the user of the parent container's executor, and
// a launch by its command's user too) and prune_images. A refusal is 403 naming the ACL. What
// /state and the GET_* calls show is filtered by auth::ViewFilter.

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

// The ACLs of a nested-container call, and the container it is about.
struct NestedCheck {
  Action action;                        // on the parent's user
  std::optional<Action> as_user;        // launches: on the container's own user too
  const v1::ContainerID* id = nullptr;  // the container (a launch: the one to make)
  const v1::CommandInfo* command = nullptr;
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
    case C::LAUNCH_CONTAINER:  // with a parent (a standalone container is refused as such)
      return launch(call.launch_container(), Action::kLaunchNestedContainerUnderParentWithUser,
                    Action::kLaunchNestedContainerAsUser);
    case C::LAUNCH_NESTED_CONTAINER_SESSION:
      return launch(call.launch_nested_container_session(),
                    Action::kLaunchNestedContainerSessionUnderParentWithUser,
                    Action::kLaunchNestedContainerSessionAsUser);
    case C::WAIT_NESTED_CONTAINER:
      return NestedCheck{
          Action::kWaitNestedContainer, {}, &call.wait_nested_container().container_id()};
    case C::WAIT_CONTAINER:
      return NestedCheck{Action::kWaitNestedContainer, {}, &call.wait_container().container_id()};
    case C::KILL_NESTED_CONTAINER:
      return NestedCheck{
          Action::kKillNestedContainer, {}, &call.kill_nested_container().container_id()};
    case C::KILL_CONTAINER:
      return NestedCheck{Action::kKillNestedContainer, {}, &call.kill_container().container_id()};
    case C::REMOVE_NESTED_CONTAINER:
      return NestedCheck{
          Action::kRemoveNestedContainer, {}, &call.remove_nested_container().container_id()};
    case C::REMOVE_CONTAINER:
      return NestedCheck{
          Action::kRemoveNestedContainer, {}, &call.remove_container().container_id()};
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

}  // namespace

auth::ViewFilter Agent::viewFilter(const std::string& principal) const {
  return auth::ViewFilter(flags_.authorizer, principal);
}

std::optional<std::string> Agent::refuseOperatorCall(const agent_api::Call& call,
                                                     const std::string& principal) const {
  if (flags_.authorizer == nullptr) {
    return std::nullopt;
  }
  if (call.type() == agent_api::Call::PRUNE_IMAGES) {
    return flags_.authorizer->refusal(Action::kPruneImages, principal, auth::kAnyObject);
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
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      if (ex.containerId() != root->value()) {
        continue;
      }
      const std::string& parent_user = auth::executorUser(ex.info(), fw.info());
      if (check->as_user) {
        const std::string& user = check->command != nullptr && check->command->has_user()
                                      ? check->command->user()
                                      : parent_user;
        if (auto why = flags_.authorizer->refusal(*check->as_user, principal, user)) {
          return why;
        }
      }
      return flags_.authorizer->refusal(check->action, principal, parent_user);
    }
  }
  return std::nullopt;  // no such parent: the call answers 404 itself
}

}  // namespace plateau::agent
