// The agent's QoS wiring (agent/qos_controller.h): what its executors hold, and the KILL
// corrections carried out as Mesos's agent does (docs/compatibility.md, "Oversubscription").

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"

namespace plateau::agent {

std::unique_ptr<QosCorrector> Agent::makeQos() {
  auto controller = makeQosController(flags_.qos_controller, flags_.modules, *load_, log_);
  if (!controller) {
    // validateFlags() refuses such flags at start-up; a test may build an Agent without it.
    log_->error("qos_controller_refused reason=\"{}\"", controller.error().message());
    controller = std::unique_ptr<QosController>();
  }
  return std::make_unique<QosCorrector>(
      timers_, flags_.qos_correction_interval_min, std::move(*controller),
      QosCorrector::Hooks{.usage = [this] { return executorUsage(); },
                          // It starts once recovery is over, and the agent has no stopping state of
                          // its own: shutdown() ends the loop.
                          .active = [] { return true; },
                          .kill = [this](const QosKill& kill) { preemptExecutor(kill); }});
}

std::vector<ExecutorUsage> Agent::executorUsage() const {
  std::vector<ExecutorUsage> usage;
  for (const auto& [fw_id, fw] : book_.frameworks()) {
    for (const auto& [ex_id, ex] : fw.executors()) {
      usage.push_back(ExecutorUsage{.framework_id = fw_id,
                                    .executor_id = ex_id,
                                    .container_id = ex.containerId(),
                                    .allocated = ex.allocatedResources()});
    }
  }
  return usage;
}

void Agent::preemptExecutor(const QosKill& kill) {
  Executor* executor = book_.find(kill.framework_id, kill.executor_id);
  auto ignore = [&](const char* why) {
    log_->warn("qos_correction_ignored framework_id={} executor_id={} reason=\"{}\"",
               kill.framework_id, kill.executor_id, why);
  };
  if (executor == nullptr) {
    return ignore("no such executor");
  }
  if (!kill.container_id.empty() && kill.container_id != executor->containerId()) {
    return ignore("the executor runs in another container");
  }
  if (executor->state() == ExecutorState::kTerminating) {
    return ignore("the executor is terminating");
  }
  const Framework* framework = book_.framework(kill.framework_id);
  bool partition_aware = false;
  for (const auto& capability : framework->info().capabilities()) {
    partition_aware |= capability.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE;
  }
  log_->info("executor_preempted framework_id={} executor_id={} container_id={}", kill.framework_id,
             kill.executor_id, executor->containerId());
  // As Mesos: its unfinished tasks end GONE (LOST for a framework that is not partition-aware)
  // once the container is gone.
  book_.recordTermination(*executor, v1::TaskStatus::REASON_CONTAINER_PREEMPTED,
                          "Container preempted by a QoS correction",
                          partition_aware ? v1::TASK_GONE : v1::TASK_LOST);
  book_.terminate(*executor);
  metrics_.executors_preempted++;
  if (executor->pid() <= 0) {
    stopFetch(*executor);  // still fetching: no process will start
    return;
  }
  containerizer_->kill(executor->containerId());
}

}  // namespace plateau::agent
