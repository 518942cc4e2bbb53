// The agent's side of its standalone containers (agent/nested_containers.h): each runs in a
// container of the containerizer with plateau-container-launch as its first process, which
// records how the command ended; the container is checkpointed under meta/containers
// (agent/standalone_checkpoint.h) so that a restarted agent takes it over.

#include <signal.h>

#include <filesystem>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/nested_containers.h"

namespace plateau::agent {

void Agent::initStandalone() {
  // Sandboxes are under the work directory; the first process is beside plateau-executor.
  std::string launcher =
      (std::filesystem::path(executor_path_).parent_path() / "plateau-container-launch").string();
  auto launch = [this, launcher](const NestedContainers::StandaloneSpec& spec) -> Result<pid_t> {
    auto status_file = standalone_checkpoint_.prepare(spec.container_id, spec.user);
    if (!status_file) {
      return std::unexpected(status_file.error());
    }
    ContainerConfig config{.container_id = spec.container_id,
                           .directory = spec.sandbox,
                           .cpus = spec.cpus,
                           .mem_mb = spec.mem_mb,
                           .disk_mb = spec.disk_mb};
    LaunchSpec process{.path = launcher,
                       .argv = {"plateau-container-launch", *status_file, spec.program},
                       .env = spec.env,
                       .working_dir = spec.sandbox,
                       .stdout_path = spec.sandbox + "/stdout",
                       .stderr_path = spec.sandbox + "/stderr"};
    process.argv.insert(process.argv.end(), spec.argv.begin(), spec.argv.end());
    auto pid = containerizer_->launch(config, process, spec.user);
    if (!pid) {
      standalone_checkpoint_.remove(spec.container_id);
      return pid;
    }
    checkpointed(standalone_checkpoint_.write({.container_id = spec.container_id,
                                               .sandbox = spec.sandbox,
                                               .pid = *pid,
                                               .cpus = spec.cpus,
                                               .mem_mb = spec.mem_mb,
                                               .disk_mb = spec.disk_mb}),
                 "standalone container " + spec.container_id);
    return pid;
  };
  nested_->setStandalone(
      {.launch = std::move(launch),
       .destroy = [this](const std::string& id) { containerizer_->destroy(id); },
       .exit_status =
           [this](const std::string& id) { return standalone_checkpoint_.exitStatus(id); },
       .forget = [this](const std::string& id) { standalone_checkpoint_.remove(id); },
       .root = flags_.work_dir + "/containers",
       .outlive_agent = flags_.recover == "reconnect"});
}

void Agent::recoverStandalone(std::vector<ContainerConfig>* alive) {
  std::vector<std::string> errors;
  std::vector<StandaloneRecord> records = standalone_checkpoint_.recover(&errors);
  for (const auto& error : errors) {
    log_->warn("checkpoint_skipped reason=\"{}\"", error);
  }
  std::vector<NestedContainers::RecoveredStandalone> recovered;
  for (const auto& record : records) {
    Liveness liveness = processLiveness(record.pid, record.sandbox);
    if (flags_.recover == "cleanup") {
      if (liveness != Liveness::kReused) {
        signalTree(record.pid, SIGKILL);
      }
      standalone_checkpoint_.remove(record.container_id);
      continue;
    }
    if (liveness == Liveness::kAlive) {
      alive->push_back({.container_id = record.container_id,
                        .directory = record.sandbox,
                        .cpus = record.cpus,
                        .mem_mb = record.mem_mb,
                        .disk_mb = record.disk_mb,
                        .pid = record.pid});
    }
    recovered.push_back({.container_id = record.container_id,
                         .sandbox = record.sandbox,
                         .pid = record.pid,
                         .liveness = liveness});
  }
  nested_->recoverStandalone(recovered);
}

}  // namespace plateau::agent
