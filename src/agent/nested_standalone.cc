// Standalone containers (agent/nested_containers.h): LAUNCH_CONTAINER with a container id that
// has no parent runs a container of its own through the agent's containerizer, as Mesos's agent
// does for its resource providers' plugins; WAIT/KILL/REMOVE_CONTAINER then work as for nested
// ones. They outlive the agent: a restarted agent takes them over from its checkpoint, and so
// it does with the nested containers it checkpointed (recoverNested()).

#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <expected>
#include <filesystem>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/nested_launch.h"
#include "agent/nested_state.h"
#include "common/process.h"

namespace plateau::agent {

namespace v1 = mesos::v1;
namespace agent_api = mesos::v1::agent;

namespace {

using namespace std::chrono_literals;

// How often the first processes of recovered standalone containers (no children of this agent:
// no SIGCHLD tells their end) are looked at.
constexpr auto kRecoveredPoll = 200ms;

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
  if (containers_.contains(key) || launching_.contains(key)) {
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
  spec->command = std::make_shared<const v1::CommandInfo>(launch.command());
  if (launch.has_container()) {
    spec->container = std::make_shared<const v1::ContainerInfo>(launch.container());
  }
  std::error_code ec;
  std::filesystem::create_directories(spec->sandbox, ec);
  auto answer = std::make_shared<http::Responder>(std::move(responder));
  if (ec) {
    return answer->respond(
        badRequest(fmt::format("Failed to launch container {}: {}", key, ec.message())));
  }
  launching_.insert(key);
  standalone_.launch(*spec, [this, alive = std::weak_ptr<bool>(alive_), id = launch.container_id(),
                             spec = *spec, answer](Result<pid_t> pid) {
    if (!alive.lock()) {
      return;
    }
    launching_.erase(spec.container_id);
    if (!pid) {
      return answer->respond(badRequest(fmt::format("Failed to launch container {}: {}",
                                                    spec.container_id, pid.error().message())));
    }
    auto container = std::make_unique<Container>();
    container->id = id;
    container->sandbox = spec.sandbox;
    container->standalone = true;
    container->pid = *pid;
    pids_[*pid] = spec.container_id;
    containers_[spec.container_id] = std::move(container);
    log_->info("standalone_container_launched container_id={} pid={} cpus={} mem={}",
               spec.container_id, *pid, spec.cpus, spec.mem_mb);
    answer->respond(http::Response{.status = 200, .headers = {}, .body = {}});
  });
}

void NestedContainers::recoverStandalone(const std::vector<RecoveredStandalone>& containers) {
  for (const auto& recovered : containers) {
    v1::ContainerID id;
    id.set_value(recovered.container_id);
    adopt(id, recovered.sandbox, recovered.pid, recovered.liveness, /*standalone=*/true);
  }
}

void NestedContainers::adopt(const v1::ContainerID& id, const std::string& sandbox, pid_t pid,
                             Liveness liveness, bool standalone) {
  const std::string key = keyOf(id);
  auto owned = std::make_unique<Container>();
  Container& container = *owned;
  container.id = id;
  container.parent = rootOf(id).value();
  container.sandbox = sandbox;
  container.standalone = standalone;
  container.outlives_agent = !standalone;
  container.image = !standalone;  // whether it had one is not checkpointed: release any
  container.pid = pid;
  containers_[key] = std::move(owned);
  log_->info("{}_container_recovered container_id={} pid={} running={}",
             standalone ? "standalone" : "nested", key, pid, liveness == Liveness::kAlive);
  if (liveness == Liveness::kAlive) {
    recovered_.insert(key);
    if (recovered_timer_ == 0) {
      recovered_timer_ = timers_.every(kRecoveredPoll, [this] { pollRecovered(); });
    }
    return;
  }
  if (liveness == Liveness::kReused) {
    container.pid = 0;  // its session is gone, and the pid is another process's now
  }
  auto status = recordedStatus(key, container);
  if (!status) {
    container.message = "The container ended while the agent was down, its status unknown";
  }
  exited(container, status);
}

void NestedContainers::pollRecovered() {
  std::vector<std::string> ended;
  for (const auto& key : recovered_) {
    auto it = containers_.find(key);
    if (it == containers_.end() || it->second->status ||
        processLiveness(it->second->pid, it->second->sandbox) != Liveness::kAlive) {
      ended.push_back(key);
    }
  }
  for (const auto& key : ended) {
    recovered_.erase(key);
    auto it = containers_.find(key);
    if (it == containers_.end() || it->second->status) {
      continue;
    }
    Container& container = *it->second;
    if (processLiveness(container.pid, container.sandbox) == Liveness::kReused) {
      container.pid = 0;
    }
    auto status = recordedStatus(key, container);
    if (!status && container.kill_signal == SIGKILL) {
      status = SIGKILL;  // a wait status: killed by SIGKILL, before its first process could write
    }
    if (!status && container.message.empty()) {
      container.message = "The container's first process was killed, its status unknown";
    }
    exited(container, status);
  }
  if (recovered_.empty() && recovered_timer_ != 0) {
    timers_.cancel(recovered_timer_);
    recovered_timer_ = 0;
  }
}

void NestedContainers::checkpointNested(const std::string& work_dir, bool outlive_agent) {
  checkpoint_.emplace(work_dir, "nested");
  outlive_ = outlive_agent;
}

Status NestedContainers::prepareCheckpoint(const std::string& key, NestedSpec& spec,
                                           Fd* status_fd) {
  auto path = checkpoint_->prepare(key, "");
  if (!path) {
    return path.error();
  }
  status_fd->reset(::open(path->c_str(), O_WRONLY | O_CLOEXEC));
  if (status_fd->get() < 0) {
    return {StatusCode::kInternal, fmt::format("Cannot open {}: {}", *path, std::strerror(errno))};
  }
  spec.status_fd = status_fd->get();
  return {};
}

void NestedContainers::checkpointLaunched(Container& container, const NestedSpec& spec) {
  if (!checkpoint_) {
    return;
  }
  const std::string key = keyOf(container.id);
  // Sessions and TTYs are the agent's connections: they end with it, as in Mesos.
  container.outlives_agent = outlive_ && spec.stdio == NestedStdio::kFiles;
  Status written = checkpoint_->write({.container_id = key,
                                       .sandbox = spec.relay_dir,
                                       .pid = container.pid,
                                       .session = spec.stdio != NestedStdio::kFiles});
  if (!written.isOk()) {
    log_->error("checkpoint_failed what=\"nested container {}\" error=\"{}\"", key,
                written.message());
  }
}

std::optional<int> NestedContainers::recordedStatus(const std::string& key,
                                                    const Container& container) const {
  if (container.standalone) {
    return standalone_.exit_status ? standalone_.exit_status(key) : std::nullopt;
  }
  return checkpoint_ ? checkpoint_->exitStatus(key) : std::nullopt;
}

void NestedContainers::forgetCheckpoint(const std::string& key, const Container& container) {
  if (container.standalone) {
    if (standalone_.forget) {
      standalone_.forget(key);
    }
  } else if (checkpoint_) {
    checkpoint_->remove(key);
  }
}

namespace {

// The ContainerID whose text (agent/nested_state.h keyOf()) is `key`.
v1::ContainerID idOf(const std::string& key) {
  v1::ContainerID id;
  size_t dot = key.rfind('.');
  id.set_value(dot == std::string::npos ? key : key.substr(dot + 1));
  if (dot != std::string::npos) {
    *id.mutable_parent() = idOf(key.substr(0, dot));
  }
  return id;
}

}  // namespace

std::vector<std::string> NestedContainers::recoverNested(bool cleanup) {
  std::vector<std::string> running;
  if (!checkpoint_) {
    return running;
  }
  std::vector<std::string> errors;
  std::vector<StandaloneRecord> records = checkpoint_->recover(&errors);
  for (const auto& error : errors) {
    log_->warn("checkpoint_skipped reason=\"{}\"", error);
  }
  // Parents first: a container's key is its parent's with ".<id>" after it.
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::count(a.container_id.begin(), a.container_id.end(), '.') <
           std::count(b.container_id.begin(), b.container_id.end(), '.');
  });
  for (const auto& record : records) {
    Liveness liveness = processLiveness(record.pid, record.sandbox);
    v1::ContainerID id = idOf(record.container_id);
    const char* dropped = cleanup          ? "the agent recovers with --recover=cleanup"
                          : record.session ? "a session ends with the agent"
                          : !id.has_parent() || !parentOf(id.parent()) ? "its parent is gone"
                                                                       : nullptr;
    if (dropped == nullptr) {
      adopt(id, record.sandbox, record.pid, liveness, /*standalone=*/false);
      if (liveness == Liveness::kAlive) {
        running.push_back(record.container_id);
      }
      continue;
    }
    if (liveness != Liveness::kReused) {
      signalTree(record.pid, SIGKILL);
    }
    checkpoint_->remove(record.container_id);
    log_->info("nested_container_dropped container_id={} reason=\"{}\"", record.container_id,
               dropped);
  }
  return running;
}

}  // namespace plateau::agent
