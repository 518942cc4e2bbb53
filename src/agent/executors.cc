// Executors: sandbox and process launch, the v1 executor API, termination.

#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "agent/agent.h"
#include "agent/containerizer/containerizer.h"
#include "agent/containers.h"
#include "agent/nested_containers.h"
#include "common/process.h"
#include "common/task_state.h"
#include "http/stream_accept.h"
#include "http/tls_flags.h"

namespace plateau::agent {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Why an executor's status update is refused (400), or nothing.
std::optional<std::string> invalidUpdate(const v1::TaskStatus& status) {
  if (status.uuid().size() != 16) {
    return "Expecting 'status.uuid' to be a valid UUID";
  }
  if (status.state() == v1::TASK_STAGING) {
    return "Received TASK_STAGING from executor, which is not allowed";
  }
  return std::nullopt;
}

// An update the agent already holds or had acknowledged: one an executor sent again.
bool duplicateUpdate(const StatusUpdateManager& updates, const std::string& framework_id,
                     const v1::TaskStatus& status) {
  const std::string& task_id = status.task_id().value();
  return updates.isPending(framework_id, task_id, status.uuid()) ||
         updates.wasAcknowledged(framework_id, task_id, status.uuid());
}

}  // namespace

v1::ExecutorInfo Agent::commandExecutorInfo(const v1::TaskInfo& task,
                                            const std::string& framework_id) {
  v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value(task.task_id().value());
  info.mutable_framework_id()->set_value(framework_id);
  info.set_type(v1::ExecutorInfo::CUSTOM);
  std::string shown = task.command().value();
  if (shown.size() > 80) {
    shown = shown.substr(0, 80) + "...";
  }
  info.set_name(fmt::format("Command Executor (Task: {}) (Command: sh -c '{}')",
                            task.task_id().value(), shown));
  info.mutable_command()->set_value(executor_path_);
  info.mutable_command()->set_shell(false);
  info.mutable_command()->add_arguments("plateau-executor");
  if (task.command().has_user()) {
    info.mutable_command()->set_user(task.command().user());  // the executor runs as the task
  }
  if (task.command().has_environment()) {
    *info.mutable_command()->mutable_environment() = task.command().environment();
  }
  // The task's URIs are fetched into the executor's sandbox, which the task shares.
  *info.mutable_command()->mutable_uris() = task.command().uris();
  if (task.command().has_user()) {
    info.mutable_command()->set_user(task.command().user());
  }
  *info.mutable_resources() = commandExecutorAllowance(task);
  return info;
}

ExecutorChannel& Agent::channel(const Executor& executor) {
  return channels_[executor.containerId()];
}

void Agent::armRegistrationTimer(Executor& executor, std::chrono::nanoseconds timeout,
                                 bool reregistration) {
  std::string fw_id = executor.frameworkId();
  std::string ex_id = executor.id();
  channel(executor).registration_timer = timers_.after(timeout, [this, fw_id, ex_id, timeout,
                                                                 reregistration] {
    Executor* e = book_.find(fw_id, ex_id);
    if (e == nullptr || e->state() != ExecutorState::kRegistering) {
      return;
    }
    channel(*e).registration_timer = 0;
    log_->warn("{} framework_id={} executor_id={}",
               reregistration ? "executor_reregistration_timeout" : "executor_registration_timeout",
               fw_id, ex_id);
    // As Mesos: its unfinished tasks fail with the reason once the container is gone.
    book_.recordTermination(
        *e,
        reregistration ? v1::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT
                       : v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT,
        fmt::format("Executor did not {}register within {}s", reregistration ? "re" : "",
                    std::chrono::duration<double>(timeout).count()));
    containerizer_->kill(e->containerId());
  });
}

void Agent::launchExecutor(Executor& executor) {
  const std::string fw_id = executor.frameworkId();
  const std::string ex_id = executor.id();
  fs::path dir = fs::path(flags_.work_dir) / "slaves" / info_.id().value() / "frameworks" / fw_id /
                 "executors" / ex_id / "runs" / executor.containerId();
  std::error_code ec;
  fs::create_directories(dir, ec);
  book_.setDirectory(executor, dir.string());
  auto fail = [&](const std::string& why) {
    log_->error("executor_launch_failed framework_id={} executor_id={} error=\"{}\"", fw_id, ex_id,
                why);
    executorTerminated(fw_id, ex_id, why, std::nullopt);
  };
  if (ec) {
    return fail(fmt::format("Failed to create sandbox {}: {}", dir.string(), ec.message()));
  }
  for (const auto& [task_id, task] : executor.queuedTasks()) {
    if (Status linked = linkVolumes(executor, task); !linked.isOk()) {
      return fail(linked.message());
    }
  }
  if (Status s = assignGpus(executor); !s.isOk()) {
    return failLaunch(executor, s.message());
  }
  if (Status s = giveVolumeGids(executor, executorUser(*book_.framework(fw_id), executor));
      !s.isOk()) {
    return failLaunch(executor, s.message());
  }
  if (provisionImage(executor)) {
    return;
  }
  continueLaunch(executor);
}

void Agent::continueLaunch(Executor& executor) {
  // With URIs to fetch, the process starts once the fetcher is done (fetch_launch.cc).
  if (executor.info().command().uris_size() > 0) {
    return startFetch(executor);
  }
  startExecutorProcess(executor);
}

void Agent::startExecutorProcess(Executor& executor) {
  const std::string fw_id = executor.frameworkId();
  const std::string ex_id = executor.id();
  const Framework& framework = *book_.framework(fw_id);
  fs::path dir = executor.directory();
  auto fail = [&](const std::string& why) {
    log_->error("executor_launch_failed framework_id={} executor_id={} error=\"{}\"", fw_id, ex_id,
                why);
    executorTerminated(fw_id, ex_id, why, std::nullopt);
  };

  const v1::CommandInfo& command = executor.info().command();
  LaunchSpec spec = commandLaunchSpec(command);
  // --executor_environment_variables, when given, replaces what the agent would pass on.
  spec.env = flags_.executor_env ? *flags_.executor_env : currentEnvironment();
  std::erase_if(spec.env, [](const std::string& e) {
    return e.starts_with("MESOS_") || e.starts_with("PLATEAU_");
  });
  // The agent's --ssl_* flags reach the executor as the variables they stand for, so that it
  // speaks to the agent as the agent serves.
  for (std::string& variable : http::tlsFlagsAsEnvironment()) {
    std::string prefix = variable.substr(0, variable.find('=') + 1);
    std::erase_if(spec.env, [&](const std::string& e) { return e.starts_with(prefix); });
    spec.env.push_back(std::move(variable));
  }
  auto add = [&](const std::string& name, const std::string& value) {
    spec.env.push_back(name + "=" + value);
  };
  add("MESOS_FRAMEWORK_ID", fw_id);
  add("MESOS_EXECUTOR_ID", ex_id);
  add("MESOS_SLAVE_ID", info_.id().value());
  add("MESOS_AGENT_ID", info_.id().value());
  // Executors run beside the agent: they reach it where it listens, advertised or not.
  add("MESOS_SLAVE_PID", fmt::format("slave(1)@{}:{}", flags_.ip, bound_port_));
  add("MESOS_AGENT_ENDPOINT", fmt::format("{}:{}", flags_.ip, bound_port_));
  add("MESOS_DIRECTORY", executor.directory());
  add("MESOS_SANDBOX", executor.directory());
  add("MESOS_CONTAINER_ID", executor.containerId());
  add("MESOS_CHECKPOINT", framework.info().checkpoint() ? "1" : "0");
  add("MESOS_HTTP_COMMAND_EXECUTOR", "1");
  if (std::string token = executorToken(fw_id, ex_id, executor.containerId()); !token.empty()) {
    add("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", token);
  }
  auto ms = [](std::chrono::nanoseconds d) {
    return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  add("MESOS_RECOVERY_TIMEOUT", ms(flags_.recovery_timeout));
  add("MESOS_SUBSCRIPTION_BACKOFF_MAX", ms(flags_.executor_reregistration_timeout));
  add("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", ms(flags_.executor_shutdown_grace_period));
  for (const auto& var : command.environment().variables()) {
    add(var.name(), var.value());
  }
  std::ranges::copy(gpuEnvironment(executor), std::back_inserter(spec.env));
  spec.working_dir = executor.directory();
  spec.stdout_path = (dir / "stdout").string();
  spec.stderr_path = (dir / "stderr").string();
  std::string user = executorUser(framework, executor);
  if (Status s = enterImage(executor, spec, user); !s.isOk()) {
    return failLaunch(executor, s.message());
  }
  auto pid = containerizer_->launch(launchConfig(executor), spec, user);
  if (!pid) {
    book_.recordTermination(executor, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                            "Failed to launch container: " + pid.error().message());
    return fail(pid.error().message());
  }
  book_.setPid(executor, *pid);
  pids_[*pid] = {fw_id, ex_id};
  isolateGpus(executor);
  if (framework.info().checkpoint()) {
    checkpointed(
        checkpoint_.writeExecutor(fw_id, executor.info(), executor.containerId(),
                                  executor.directory(), executor.pid(), executor.commandExecutor()),
        "executor");
  }
  executors_launched_++;
  log_->info("executor_launched framework_id={} executor_id={} pid={} sandbox={}", fw_id, ex_id,
             *pid, executor.directory());
  armRegistrationTimer(executor, flags_.executor_registration_timeout, /*reregistration=*/false);
}

void Agent::executorApi(http::Request& request, http::Responder responder) {
  executor::Call call;
  auto type = http::decodeCall(request, &call);
  if (!type) {
    return responder.respond(std::move(type.error()));
  }
  if (!call.has_type()) {
    return responder.respond(http::Response::text(400, "Expecting 'type' to be present"));
  }
  Executor* executor = book_.find(call.framework_id().value(), call.executor_id().value());
  if (executor == nullptr) {
    return responder.respond(http::Response::text(
        400, fmt::format("Executor '{}' of framework '{}' is not known to this agent",
                         call.executor_id().value(), call.framework_id().value())));
  }
  switch (call.type()) {
    case executor::Call::SUBSCRIBE: {
      auto accept = http::streamAcceptType(request);
      if (!accept) {
        return responder.respond(http::Response::text(406, accept.error().message()));
      }
      return subscribeExecutor(call, accept->message,
                               http::framedAs(*accept, std::move(responder)));
    }
    case executor::Call::UPDATE: {
      if (!call.has_update()) {
        return responder.respond(http::Response::text(400, "Expecting 'update' to be present"));
      }
      v1::TaskStatus status = call.update().status();
      if (auto invalid = invalidUpdate(status)) {
        metrics_.invalid_status_updates++;
        return responder.respond(http::Response::text(400, *invalid));
      }
      if (duplicateUpdate(status_updates_, call.framework_id().value(), status)) {
        break;  // sent again after a reconnection: taken once, as Mesos does
      }
      status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
      *status.mutable_executor_id() = call.executor_id();
      *status.mutable_agent_id() = info_.id();
      if (!status.has_timestamp()) {
        status.set_timestamp(clock_.wallSeconds());
      }
      applyLimitation(*executor, &status);
      book_.setTaskState(*executor, status.task_id().value(), status.state());
      if (isTerminal(status.state()) && containerizer_->contains(executor->containerId())) {
        // As Mesos: an ended task's resources leave the container (memory excepted, below).
        resizeContainer(*containerizer_, *executor);
      }
      metrics_.valid_status_updates++;
      statusUpdate(call.framework_id().value(), status);
      break;
    }
    case executor::Call::MESSAGE: {
      if (!call.has_message()) {
        return responder.respond(http::Response::text(400, "Expecting 'message' to be present"));
      }
      internal::AgentCall out;
      out.set_type(internal::AgentCall::FRAMEWORK_MESSAGE);
      *out.mutable_agent_id() = info_.id();
      auto* m = out.mutable_framework_message();
      *m->mutable_framework_id() = call.framework_id();
      *m->mutable_executor_id() = call.executor_id();
      m->set_data(call.message().data());
      master_link_.send(out);
      break;
    }
    default:
      return responder.respond(http::Response::text(400, "Unknown executor call type"));
  }
  responder.respond(http::Response{.status = 202, .headers = {}, .body = {}});
}

void Agent::subscribeExecutor(const executor::Call& call, http::ContentType accept,
                              http::Responder responder) {
  const std::string fw_id = call.framework_id().value();
  const std::string ex_id = call.executor_id().value();
  Executor& executor = *book_.find(fw_id, ex_id);
  ExecutorChannel& link = channel(executor);
  if (link.stream) {
    auto old = std::move(link.stream);
    old->close();
  }
  link.content = accept;
  link.stream = responder.stream(200, {{"content-type", http::mediaType(accept)}});
  std::weak_ptr<http::Stream> weak = link.stream;
  link.stream->onClosed([this, fw_id, ex_id, weak] {
    Executor* e = book_.find(fw_id, ex_id);
    auto link = e == nullptr ? channels_.end() : channels_.find(e->containerId());
    if (link != channels_.end() && link->second.stream == weak.lock()) {
      link->second.stream.reset();
      log_->info("executor_disconnected framework_id={} executor_id={}", fw_id, ex_id);
    }
  });
  if (link.registration_timer != 0) {
    timers_.cancel(link.registration_timer);
    link.registration_timer = 0;
  }
  bool running = book_.subscribed(executor);

  executor::Event event;
  event.set_type(executor::Event::SUBSCRIBED);
  auto* subscribed = event.mutable_subscribed();
  *subscribed->mutable_executor_info() = executor.info();
  *subscribed->mutable_framework_info() = book_.framework(fw_id)->info();
  *subscribed->mutable_agent_info() = info_;
  subscribed->mutable_container_id()->set_value(executor.containerId());
  sendToExecutor(executor, event);
  log_->info("executor_subscribed framework_id={} executor_id={}", fw_id, ex_id);

  if (!running) {
    executor::Event shutdown;
    shutdown.set_type(executor::Event::SHUTDOWN);
    sendToExecutor(executor, shutdown);
    return;
  }
  executorResubscribed(executor, call.subscribe());
  ExecutorBook::Handover handover = book_.handOver(executor);
  for (const auto& task : handover.tasks) {
    // A task joining a running executor grows its container's limits.
    resizeContainer(*containerizer_, executor);
    executor::Event launch;
    launch.set_type(executor::Event::LAUNCH);
    *launch.mutable_launch()->mutable_task() = task;
    sendToExecutor(executor, launch);
  }
  for (const auto& group : handover.groups) {
    launchGroupOnExecutor(executor, group);
  }
  for (const auto& kill : handover.kills) {
    sendToExecutor(executor, kill);
  }
}

void Agent::launchOnExecutor(Executor& executor, const v1::TaskInfo& task) {
  // A task joining a running executor grows its container's limits.
  resizeContainer(*containerizer_, executor);
  executor::Event event;
  event.set_type(executor::Event::LAUNCH);
  *event.mutable_launch()->mutable_task() = task;
  sendToExecutor(executor, event);
}

void Agent::sendToExecutor(Executor& executor, const executor::Event& event) {
  ExecutorChannel& link = channel(executor);
  if (!link.stream || link.stream->closed()) {
    return;
  }
  link.stream->write(recordio::encode(http::encode(event, link.content)));
}

void Agent::shutdownExecutor(Executor& executor) {
  if (!book_.terminate(executor)) {
    return;
  }
  executor::Event event;
  event.set_type(executor::Event::SHUTDOWN);
  sendToExecutor(executor, event);
  if (executor.pid() <= 0) {
    stopFetch(executor);  // still fetching: no process will start
    return;
  }
  std::string fw_id = executor.frameworkId();
  std::string ex_id = executor.id();
  ExecutorChannel& link = channel(executor);
  if (!link.stream) {
    containerizer_->terminate(executor.containerId());
  }
  link.kill_timer = timers_.after(flags_.executor_shutdown_grace_period, [this, fw_id, ex_id] {
    if (Executor* e = book_.find(fw_id, ex_id)) {
      channel(*e).kill_timer = 0;
      log_->warn("executor_killed framework_id={} executor_id={} reason=shutdown_grace_period",
                 fw_id, ex_id);
      containerizer_->kill(e->containerId());
    }
  });
}

void Agent::onChildExit(pid_t pid, int status) {
  if (nested_->childExited(pid, status)) {
    return;
  }
  auto it = pids_.find(pid);
  if (it == pids_.end()) {
    fetchExited(pid, status);
    return;
  }
  auto [fw_id, ex_id] = it->second;
  pids_.erase(it);
  // An executor that ended cleanly took its task with it; otherwise sweep its whole session.
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    if (const Executor* executor = book_.find(fw_id, ex_id)) {
      containerizer_->kill(executor->containerId());
    }
  }
  executorTerminated(fw_id, ex_id, fmt::format("Executor {}", describeWaitStatus(status)), status);
}

void Agent::executorTerminated(const std::string& framework_id, const std::string& executor_id,
                               const std::string& why, std::optional<int> status) {
  Executor* found = book_.find(framework_id, executor_id);
  if (found == nullptr) {
    return;
  }
  Executor& executor = *found;
  metrics_.executors_terminated++;
  log_->info("executor_terminated framework_id={} executor_id={} reason=\"{}\"", framework_id,
             executor_id, why);
  nested_->parentEnded(executor.containerId());
  auto link = channels_.extract(executor.containerId());
  if (link && link.mapped().kill_timer != 0) {
    timers_.cancel(link.mapped().kill_timer);
  }
  if (link && link.mapped().registration_timer != 0) {
    timers_.cancel(link.mapped().registration_timer);
  }
  containerEnded(executor);
  if (link && link.mapped().stream) {
    link.mapped().stream->close();
  }
  // Every task the executor did not finish fails with the reason.
  bool killed = executor.state() == ExecutorState::kTerminating;
  for (const auto& task_id : book_.unfinishedTasks(executor)) {
    v1::TaskStatus status =
        executor.terminationReason()
            ? agentStatus(task_id, executor.terminationState(), *executor.terminationReason(),
                          executor.terminationMessage(), executor_id)
            : agentStatus(task_id, killed ? v1::TASK_KILLED : v1::TASK_FAILED,
                          v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                          fmt::format("{} before the task finished", why), executor_id);
    // The executor is retired below with its tasks' states: this one ended with it.
    book_.setTaskState(executor, task_id, status.state());
    statusUpdate(framework_id, std::move(status));
  }
  internal::AgentCall call;
  call.set_type(internal::AgentCall::EXECUTOR_EXITED);
  *call.mutable_agent_id() = info_.id();
  auto* exited = call.mutable_executor_exited();
  exited->mutable_framework_id()->set_value(framework_id);
  exited->mutable_executor_id()->set_value(executor_id);
  if (status) {
    exited->set_status(*status);
  }
  master_link_.send(call);
  bool checkpoint = book_.checkpointing(framework_id);
  releaseGpus(executor);
  std::string sandbox = executor.directory();
  book_.retire(framework_id, executor_id);
  if (sandbox_gc_) {
    scheduleSandboxGc(sandbox);
  }
  if (checkpoint) {
    maybeRemoveExecutorCheckpoint(framework_id, executor_id);
  }
}

}  // namespace plateau::agent
