// Standalone containers (agent/nested_containers.h): LAUNCH_CONTAINER with a container id that
// has no parent runs a container of its own through the agent's containerizer, as Mesos's agent
// does for its resource providers' plugins; WAIT/KILL/REMOVE_CONTAINER then work as for nested
// ones.

#include <expected>
#include <filesystem>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/nested_state.h"

namespace plateau::agent {

namespace v1 = mesos::v1;
namespace agent_api = mesos::v1::agent;

namespace {

http::Response badRequest(std::string message) {
  return http::Response::text(400, std::move(message));
}

// The scalar resources a standalone container asks for, with Mesos's checks: unreserved,
// non-revocable, no persistent volume.
std::expected<NestedContainers::StandaloneSpec, std::string> resourcesOf(
    const agent_api::Call::LaunchContainer& launch) {
  NestedContainers::StandaloneSpec spec;
  for (const auto& r : launch.resources()) {
    bool reserved = r.reservations_size() > 0 || (r.has_role() && r.role() != "*");
    if (reserved) {
      return std::unexpected("'launch_container.resources' must be unreserved");
    }
    if (r.has_revocable()) {
      return std::unexpected("'launch_container.resources' must be non-revocable");
    }
    if (r.has_disk() && r.disk().has_persistence()) {
      return std::unexpected("'launch_container.resources' may not use persistent volumes");
    }
    if (r.type() != v1::Value::SCALAR || r.scalar().value() < 0) {
      continue;  // ports and the like are the container's to use without accounting
    }
    double value = r.scalar().value();
    if (r.name() == "cpus") {
      spec.cpus += value;
    } else if (r.name() == "mem") {
      spec.mem_mb += value;
    } else if (r.name() == "disk") {
      spec.disk_mb += value;
    }
  }
  return spec;
}

// What else Mesos checks on a standalone launch, and what Plateau cannot do yet.
std::optional<std::string> invalidStandalone(const agent_api::Call::LaunchContainer& launch) {
  if (auto bad = invalidContainerId(launch.container_id())) {
    return "'launch_container.container_id' is invalid: " + *bad;
  }
  const auto& command = launch.command();
  if (!launch.has_command() || (command.value().empty() && command.arguments_size() == 0)) {
    return "Expecting 'launch_container.command' to be present";
  }
  if (launch.has_container() && launch.container().has_mesos() &&
      launch.container().mesos().has_image()) {
    return "'launch_container.container' is not supported: a standalone container runs in the "
           "agent's root filesystem (container images are for executors' containers)";
  }
  if (launch.has_container() && launch.container().has_tty_info()) {
    return "'launch_container.container.tty_info' is not supported for a standalone container: "
           "its output goes to its sandbox's stdout and stderr files";
  }
  return std::nullopt;
}

}  // namespace

void NestedContainers::launchStandalone(const agent_api::Call& call, http::Responder responder) {
  const auto& launch = call.launch_container();
  if (auto bad = invalidStandalone(launch)) {
    return responder.respond(badRequest(*bad));
  }
  auto spec = resourcesOf(launch);
  if (!spec) {
    return responder.respond(badRequest(spec.error()));
  }
  const std::string key = launch.container_id().value();
  if (containers_.contains(key)) {
    return responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
  }
  if (!standalone_.launch || find_parent_(key)) {
    return responder.respond(badRequest(fmt::format(
        "Container {} cannot be launched as a standalone container{}", key,
        standalone_.launch ? ": an executor's container has that id" : " on this agent")));
  }
  spec->container_id = key;
  spec->sandbox = standalone_.root + "/" + key;
  std::tie(spec->program, spec->argv) = programOf(launch.command());
  spec->user = launch.command().user();
  spec->env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "MESOS_SANDBOX=" + spec->sandbox};
  for (const auto& var : launch.command().environment().variables()) {
    if (var.type() != v1::Environment::Variable::SECRET) {
      std::string prefix = var.name() + "=";
      std::erase_if(spec->env, [&](const std::string& e) { return e.starts_with(prefix); });
      spec->env.push_back(prefix + var.value());
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(spec->sandbox, ec);
  auto pid = ec ? Result<pid_t>(std::unexpected(Status(StatusCode::kInternal, ec.message())))
                : standalone_.launch(*spec);
  if (!pid) {
    return responder.respond(
        badRequest(fmt::format("Failed to launch container {}: {}", key, pid.error().message())));
  }
  auto container = std::make_unique<Container>();
  container->id = launch.container_id();
  container->sandbox = spec->sandbox;
  container->standalone = true;
  container->pid = *pid;
  pids_[*pid] = key;
  containers_[key] = std::move(container);
  log_->info("standalone_container_launched container_id={} pid={} cpus={} mem={}", key, *pid,
             spec->cpus, spec->mem_mb);
  responder.respond(http::Response{.status = 200, .headers = {}, .body = {}});
}

}  // namespace plateau::agent
