// The agent's --acls (auth::Authorizer, Mesos's local authorizer) on its own endpoints:
// view_flags on /flags; get_endpoints on /metrics/snapshot, /monitor/statistics, /containers,
// /files/debug and /logging/toggle (with set_log_level); access_sandboxes on a sandbox in
// /files, by its executor's user (else its framework's). A refusal is 403 naming the ACL.

#include <fmt/format.h>

#include "agent/agent.h"

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
