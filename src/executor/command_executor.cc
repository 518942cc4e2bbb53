#include "executor/command_executor.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common/event_stream.h"
#include "common/json.h"
#include "common/plain_command.h"
#include "common/process.h"
#include "common/task_state.h"
#include "common/units.h"
#include "http/content.h"

namespace plateau::executor {

using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

Result<Config> Config::fromEnvironment() {
  Config c;
  c.framework_id = env("MESOS_FRAMEWORK_ID");
  c.executor_id = env("MESOS_EXECUTOR_ID");
  c.authentication_token = env("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
  std::string endpoint = env("MESOS_AGENT_ENDPOINT");
  if (c.framework_id.empty() || c.executor_id.empty() || endpoint.empty()) {
    return invalidArgument(
        "MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID and MESOS_AGENT_ENDPOINT must be set: "
        "plateau-executor is started by plateau-agent");
  }
  auto agent = http::Endpoint::parse(endpoint, 5051);
  if (!agent) {
    return invalidArgument(
        fmt::format("Invalid MESOS_AGENT_ENDPOINT '{}': {}", endpoint, agent.error().message()));
  }
  c.agent = *agent;
  c.sandbox = env("MESOS_SANDBOX");
  c.checkpoint = env("MESOS_CHECKPOINT") == "1";
  c.image = TaskImage::from([](const std::string& name) { return env(name.c_str()); });
  if (auto d = parseDuration(env("MESOS_RECOVERY_TIMEOUT")); d) {
    c.recovery_timeout = *d;
  }
  if (auto d = parseDuration(env("MESOS_SUBSCRIPTION_BACKOFF_MAX")); d && *d > 0s) {
    c.subscription_backoff_max = *d;
  }
  if (auto d = parseDuration(env("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD")); d) {
    c.shutdown_grace_period = *d;
  }
  return c;
}

namespace {

// Variables only the executor itself needs; a default executor's tasks do not see them.
bool executorOnly(const std::string& entry) {
  return entry.starts_with("MESOS_") || entry.starts_with("PLATEAU_") ||
         entry.starts_with("LIBPROCESS_");
}

void setVariable(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  std::string prefix = name + "=";
  std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
  env.push_back(prefix + value);
}

// A group task's sandbox (<executor sandbox>/tasks/<task id>) with its SANDBOX_PATH volumes.
Status makeTaskSandbox(const std::string& executor_sandbox, const RunningTask& task) {
  namespace fs = std::filesystem;
  const v1::TaskInfo& info = task.info;
  std::error_code ec;
  fs::create_directories(task.sandbox, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable, fmt::format("Failed to create the task sandbox {}: {}",
                                                        task.sandbox, ec.message()));
  }
  // SANDBOX_PATH volumes of type PARENT: a path of the executor's sandbox shared into the
  // task's, here as a symbolic link (no mount namespace).
  for (const auto& volume : info.container().volumes()) {
    if (!volume.has_source() || volume.source().type() != v1::Volume::Source::SANDBOX_PATH) {
      continue;
    }
    const auto& source = volume.source().sandbox_path();
    fs::path target = source.type() == v1::Volume::Source::SandboxPath::PARENT
                          ? fs::path(executor_sandbox) / source.path()
                          : fs::path(task.sandbox) / source.path();
    fs::path link = fs::path(task.sandbox) / volume.container_path();
    fs::create_directories(target, ec);
    if (!ec) {
      fs::create_directories(link.parent_path(), ec);
    }
    if (!ec) {
      fs::create_directory_symlink(target, link, ec);
    }
    if (ec) {
      return Status(StatusCode::kUnavailable, fmt::format("Failed to set up volume '{}': {}",
                                                          volume.container_path(), ec.message()));
    }
  }
  return {};
}

// How a COMMAND check of the task starts: inside the task's image when it has one (the check
// sees the image's files and what the task wrote there, as with Mesos's docker/runtime).
ProbeSpec::Enter imageEntry(const RunningTask& task) {
  if (task.image.empty()) {
    return {};
  }
  return [image = task.image, sandbox = task.sandbox](const v1::CommandInfo& command,
                                                      LaunchSpec& spec) {
    return image.enter(command, sandbox, spec);
  };
}

// Starts the task's process. A shell command that is a plain word list runs without the shell
// when the task runs on the host (common/plain_command.h); should that launch fail, the shell
// runs the command and reports what it reports (127, 126, its message on stderr).
Result<pid_t> launchTaskProcess(const LaunchSpec& spec, const v1::CommandInfo& command,
                                bool on_host) {
  if (on_host && command.shell()) {
    if (auto direct = directSpec(spec, command.value())) {
      if (auto pid = launchProcess(*direct)) {
        return pid;
      }
    }
  }
  return launchProcess(spec);
}

}  // namespace

CommandExecutor::CommandExecutor(EventLoop& loop, Config config, uint64_t seed, Mode mode)
    : loop_(loop),
      clock_(loop.clock()),
      config_(std::move(config)),
      mode_(mode),
      uuids_(seed),
      client_(loop),
      calls_([this](http::ClientRequest request, CallQueue::Finished finished) {
        // An update that does not get through travels again with the next SUBSCRIBE.
        client_.fetch(config_.agent, std::move(request), 10s,
                      [finished = std::move(finished)](Result<http::Response>) { finished(); });
      }) {}

void CommandExecutor::start() {
  loop_.onSignal(SIGCHLD, [this](int) {
    for (auto [pid, status] : reapChildren()) {
      onChildExit(pid, status);
    }
  });
  loop_.onSignal(SIGTERM, [this](int) { shutdown(); });
  // Without checkpointing the executor cannot outlive its connection to the agent (a window of
  // zero: the first loss ends it); with it, the agent has the recovery timeout to come back.
  // Retries come often enough to be back within the agent's --executor_reregistration_timeout.
  const std::chrono::nanoseconds window = config_.checkpoint ? config_.recovery_timeout : 0s;
  const std::chrono::nanoseconds retry =
      std::min<std::chrono::nanoseconds>(1s, config_.subscription_backoff_max / 2);
  agent_ = client::fixedDetector(loop_, config_.agent);
  subscription_ = std::make_unique<client::Subscription>(
      client::Subscription::Options{.peer = "agent",
                                    .reconnect = {.backoff_min = retry,
                                                  .backoff_max = retry,
                                                  .recovery_window = window,
                                                  .first_subscription_window = window}},
      client::Subscription::Callbacks{
          .request = [this] { return subscribeRequest(); },
          .opened = {},
          .data = client::decodeEach<v1::executor::Event>([this](v1::executor::Event& event) {
            handle(event);
            return true;
          }),
          .closed = [this](const client::Subscription::Closed& closed) { onClosed(closed); },
          .refused = {}},
      *agent_, loop_, clock_, client::streamsOn(loop_));
  subscription_->start();
}

http::ClientRequest CommandExecutor::subscribeRequest() {
  calls_.dropQueued();  // this SUBSCRIBE carries every unacknowledged update
  held_.clear();
  v1::executor::Call call;
  call.mutable_framework_id()->set_value(config_.framework_id);
  call.mutable_executor_id()->set_value(config_.executor_id);
  call.set_type(v1::executor::Call::SUBSCRIBE);
  auto* subscribe = call.mutable_subscribe();
  for (const auto& [id, task] : tasks_) {
    if (!task.terminal) {
      *subscribe->add_unacknowledged_tasks() = task.info;
    }
  }
  for (const auto& update : unacknowledged_) {
    *subscribe->add_unacknowledged_updates() = update;
  }
  return executorRequest(call, {{"accept", http::kProtobufMediaType}});
}

void CommandExecutor::killAll(int signo) {
  for (auto& [id, task] : tasks_) {
    if (task.pid > 0) {
      ::kill(-task.pid, signo);
    }
  }
}

void CommandExecutor::onClosed(const client::Subscription::Closed& closed) {
  if (closed.next != client::Subscription::Next::kGiveUp) {
    return;  // the subscription tries again
  }
  if (!config_.checkpoint) {
    // Without checkpointing nothing can reconnect to us later: stop the tasks and leave.
    fmt::print(stderr, "Lost the agent ({}); killing the tasks and exiting\n", closed.why);
  } else {
    fmt::print(stderr, "Agent did not come back within the recovery timeout ({}); exiting\n",
               closed.why);
  }
  killAll(SIGKILL);
  exit_code_ = 1;
  loop_.stop();
}

void CommandExecutor::handle(const v1::executor::Event& event) {
  switch (event.type()) {
    case v1::executor::Event::SUBSCRIBED: {
      subscription_->subscribed();
      for (auto& request : held_) {
        calls_.push(std::move(request));
      }
      held_.clear();
      for (const auto& cap : event.subscribed().framework_info().capabilities()) {
        if (cap.type() == v1::FrameworkInfo::Capability::TASK_KILLING_STATE) {
          killing_capability_ = true;
        }
      }
      break;
    }
    case v1::executor::Event::LAUNCH:
      launch(event.launch().task());
      break;
    case v1::executor::Event::LAUNCH_GROUP:
      launchGroup(event.launch_group().task_group());
      break;
    case v1::executor::Event::KILL:
      killTask(event.kill().task_id().value(), event.kill().has_kill_policy()
                                                   ? std::optional(event.kill().kill_policy())
                                                   : std::nullopt);
      break;
    case v1::executor::Event::ACKNOWLEDGED:
      std::erase_if(unacknowledged_, [&](const v1::executor::Call::Update& update) {
        return update.status().uuid() == event.acknowledged().uuid();
      });
      maybeExit();
      break;
    case v1::executor::Event::SHUTDOWN:
      shutdown();
      break;
    case v1::executor::Event::ERROR:
      fmt::print(stderr, "Error from the agent: {}\n", event.error().message());
      break;
    default:
      break;
  }
}

void CommandExecutor::launch(const v1::TaskInfo& task) {
  if (mode_ == Mode::kDefault) {
    updateFor(task.task_id(), v1::TASK_FAILED,
              "The default executor runs task groups (LAUNCH_GROUP), not single tasks",
              v1::TaskStatus::REASON_TASK_INVALID, std::nullopt, std::nullopt);
    return;
  }
  if (!tasks_.empty() || shutting_down_) {
    updateFor(task.task_id(), v1::TASK_FAILED, "The command executor runs a single task",
              v1::TaskStatus::REASON_TASK_INVALID, std::nullopt, std::nullopt);
    return;
  }
  RunningTask& running = tasks_[task.task_id().value()];
  running.info = task;
  running.sandbox = config_.sandbox;
  running.image = config_.image;
  startTask(running);
}

void CommandExecutor::launchGroup(const v1::TaskGroupInfo& group) {
  if (mode_ != Mode::kDefault || shutting_down_) {
    for (const auto& task : group.tasks()) {
      updateFor(task.task_id(), v1::TASK_FAILED,
                shutting_down_ ? "The executor is shutting down"
                               : "The command executor cannot run task groups",
                v1::TaskStatus::REASON_TASK_GROUP_INVALID, std::nullopt, std::nullopt);
    }
    return;
  }
  int group_id = ++groups_;
  std::vector<std::string> ids;
  for (const auto& task : group.tasks()) {
    const std::string& id = task.task_id().value();
    if (tasks_.contains(id)) {
      updateFor(task.task_id(), v1::TASK_FAILED, "A task with this id was already launched",
                v1::TaskStatus::REASON_TASK_INVALID, std::nullopt, std::nullopt);
      continue;
    }
    RunningTask& running = tasks_[id];
    running.info = task;
    running.group = group_id;
    running.sandbox = (std::filesystem::path(config_.sandbox) / "tasks" / id).string();
    running.image = TaskImage::fromCommand(task.command());  // its own image, from the agent
    ids.push_back(id);
  }
  // All tasks of the group start before any reports, so a task failing to start takes the
  // group down with the same rule as one failing later.
  for (const auto& id : ids) {
    auto it = tasks_.find(id);
    if (it != tasks_.end() && !it->second.terminal && killed_before_launch_.erase(id) > 0) {
      update(it->second, v1::TASK_KILLED, "Killed before it was launched");
      groupRule(it->second, v1::TASK_KILLED);
    }
    if (it != tasks_.end() && !it->second.terminal) {
      startTask(it->second);
    }
  }
}

bool CommandExecutor::startTask(RunningTask& task) {
  namespace fs = std::filesystem;
  const v1::TaskInfo& info = task.info;
  auto fail = [&](const std::string& why,
                  v1::TaskStatus::Reason reason = v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED) {
    update(task, v1::TASK_FAILED, why, reason);
    groupRule(task, v1::TASK_FAILED);
    return false;
  };
  if (!info.has_command()) {
    return fail("Task has no 'command' to run");
  }
  if (!task.image.error.empty()) {
    return fail("Failed to launch container: " + task.image.error,
                v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  }
  LaunchSpec spec = commandLaunchSpec(info.command());
  spec.env = currentEnvironment();
  if (mode_ == Mode::kDefault) {
    std::erase_if(spec.env, executorOnly);
    if (Status made = makeTaskSandbox(config_.sandbox, task); !made.isOk()) {
      return fail(made.message());
    }
    setVariable(spec.env, "MESOS_SANDBOX", task.sandbox);
    spec.stdout_path = (fs::path(task.sandbox) / "stdout").string();
    spec.stderr_path = (fs::path(task.sandbox) / "stderr").string();
  }
  for (const auto& var : info.command().environment().variables()) {
    if (!TaskImage::isVariable(var.name())) {
      setVariable(spec.env, var.name(), environmentValue(var));
    }
  }
  spec.working_dir = task.sandbox;
  spec.new_session = false;
  if (!task.image.empty()) {
    if (Status s = task.image.enter(info.command(), task.sandbox, spec); !s.isOk()) {
      return fail(fmt::format("Failed to run the task in its image: {}", s.message()));
    }
  }  // its own process group, so a kill reaches all it started
  std::vector<std::string> check_env = spec.env;
  // As Mesos's built-in executors since 1.5: TASK_STARTING as the task's process starts, then
  // TASK_RUNNING (the call queue keeps them in that order on the way to the agent).
  update(task, v1::TASK_STARTING, "");
  auto pid = launchTaskProcess(spec, info.command(), task.image.empty());
  if (!pid) {
    return fail(pid.error().message());
  }
  task.pid = *pid;
  task.launched = true;
  task.started = clock_.now();
  if (info.has_check()) {
    task.check_status.emplace();
    task.check_status->set_type(info.check().type());
    switch (info.check().type()) {
      case v1::CheckInfo::COMMAND:
        task.check_status->mutable_command();
        break;
      case v1::CheckInfo::HTTP:
        task.check_status->mutable_http();
        break;
      case v1::CheckInfo::TCP:
        task.check_status->mutable_tcp();
        break;
      default:
        break;
    }
    (void)task.check.onResult(*task.check_status);
  }
  update(task, v1::TASK_RUNNING, "");
  startChecks(task, check_env);
  return true;
}

void CommandExecutor::startChecks(RunningTask& task, const std::vector<std::string>& check_env) {
  const v1::TaskInfo& info = task.info;
  // Checks start after TASK_RUNNING, in the task's environment and sandbox.
  const std::string id = info.task_id().value();
  if (info.has_health_check()) {
    auto spec_or = ProbeSpec::fromHealthCheck(info.health_check());
    if (spec_or) {
      spec_or->env = check_env;
      spec_or->working_dir = task.sandbox;
      spec_or->enter = imageEntry(task);
      task.health = std::make_unique<HealthTracker>(
          info.health_check().consecutive_failures(),
          std::chrono::duration_cast<std::chrono::nanoseconds>(
              std::chrono::duration<double>(info.health_check().grace_period_seconds())));
      task.health_checker = std::make_unique<Checker>(
          loop_, std::move(*spec_or), [this, id](const ProbeResult& r) { onHealth(id, r); });
      task.health_checker->start();
    } else {
      fmt::print(stderr, "Task {}: health check not started: {}\n", id, spec_or.error().message());
    }
  }
  if (info.has_check()) {
    auto spec_or = ProbeSpec::fromCheck(info.check());
    if (spec_or) {
      spec_or->env = check_env;
      spec_or->working_dir = task.sandbox;
      spec_or->enter = imageEntry(task);
      task.checker = std::make_unique<Checker>(
          loop_, std::move(*spec_or), [this, id](const ProbeResult& r) { onCheck(id, r); });
      task.checker->start();
    } else {
      fmt::print(stderr, "Task {}: check not started: {}\n", id, spec_or.error().message());
    }
  }
}

void CommandExecutor::onHealth(const std::string& task_id, const ProbeResult& result) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.killing || it->second.terminal || !it->second.health) {
    return;
  }
  RunningTask& task = it->second;
  std::vector<uint32_t> statuses;
  if (task.info.health_check().has_http()) {
    statuses.assign(task.info.health_check().http().statuses().begin(),
                    task.info.health_check().http().statuses().end());
  }
  auto outcome = task.health->onResult(probeHealthy(result, statuses), clock_.now() - task.started);
  if (outcome.report) {
    task.healthy = outcome.healthy;
    updateFor(task.info.task_id(), v1::TASK_RUNNING, "",
              v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, outcome.healthy,
              task.check_status);
  }
  if (outcome.kill) {
    task.unhealthy = true;
    fmt::print(stderr, "Task {} failed {} health checks in a row: killing it\n", task_id,
               task.health->consecutiveFailures());
    killTask(task_id, std::nullopt);
  }
}

void CommandExecutor::onCheck(const std::string& task_id, const ProbeResult& result) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.killing || it->second.terminal) {
    return;
  }
  RunningTask& task = it->second;
  if (auto changed = task.check.onResult(checkStatus(result))) {
    task.check_status = *changed;
    updateFor(task.info.task_id(), v1::TASK_RUNNING, "",
              v1::TaskStatus::REASON_TASK_CHECK_STATUS_UPDATED, task.healthy, task.check_status);
  }
}

void CommandExecutor::killTask(const std::string& task_id, std::optional<v1::KillPolicy> policy) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() && mode_ == Mode::kDefault) {
    // The agent may still be provisioning the task's image: its group comes later.
    killed_before_launch_.insert(task_id);
    return;
  }
  if (it == tasks_.end() || it->second.terminal) {
    return;
  }
  RunningTask& task = it->second;
  if (task.killing) {
    // A second KILL may only bring the SIGKILL closer (as Mesos's executors allow).
    if (policy && policy->has_grace_period() && task.pid > 0) {
      auto grace = std::max<std::chrono::nanoseconds>(
          std::chrono::nanoseconds(policy->grace_period().nanoseconds()), 0ns);
      if (clock_.now() + grace < task.kill_deadline) {
        scheduleEscalation(task, grace);
      }
    }
    return;
  }
  // The KILL's policy overrides the task's; without either, 3 seconds as in Mesos.
  std::chrono::nanoseconds grace = 3s;
  if (policy && policy->has_grace_period()) {
    grace = std::chrono::nanoseconds(policy->grace_period().nanoseconds());
  } else if (task.info.has_kill_policy() && task.info.kill_policy().has_grace_period()) {
    grace = std::chrono::nanoseconds(task.info.kill_policy().grace_period().nanoseconds());
  }
  signalTask(task, std::max<std::chrono::nanoseconds>(grace, 0ns));
}

void CommandExecutor::scheduleEscalation(RunningTask& task, std::chrono::nanoseconds grace) {
  task.kill_deadline = clock_.now() + grace;
  pid_t pid = task.pid;
  std::string id = task.info.task_id().value();
  loop_.after(grace, [this, id, pid] {
    auto it = tasks_.find(id);
    if (it != tasks_.end() && it->second.pid == pid) {
      ::kill(-pid, SIGKILL);
    }
  });
}

void CommandExecutor::signalTask(RunningTask& task, std::chrono::nanoseconds grace) {
  task.killing = true;
  if (task.health_checker) {
    task.health_checker->stop();
  }
  if (task.checker) {
    task.checker->stop();
  }
  if (killing_capability_) {
    update(task, v1::TASK_KILLING, "");
  }
  pid_t pid = task.pid;
  if (pid <= 0) {
    update(task, v1::TASK_KILLED, "Killed before its command started");
    return;
  }
  ::kill(-pid, SIGTERM);
  scheduleEscalation(task, grace);
}

void CommandExecutor::shutdown() {
  shutting_down_ = true;
  if (!active()) {
    exit_code_ = 0;
    loop_.stop();
    return;
  }
  // Leave room within the agent's grace period for the terminal updates to go out.
  auto grace = config_.shutdown_grace_period > 2s ? config_.shutdown_grace_period - 1s
                                                  : config_.shutdown_grace_period / 2;
  for (auto& [id, task] : tasks_) {
    if (!task.terminal && !task.killing) {
      signalTask(task, grace);
    }
  }
}

void CommandExecutor::onChildExit(pid_t pid, int status) {
  for (auto& [id, task] : tasks_) {
    if ((task.health_checker && task.health_checker->onChildExit(pid, status)) ||
        (task.checker && task.checker->onChildExit(pid, status))) {
      return;
    }
  }
  RunningTask* ended = nullptr;
  for (auto& [id, task] : tasks_) {
    if (pid > 0 && task.pid == pid) {
      ended = &task;
      break;
    }
  }
  if (ended == nullptr) {
    return;
  }
  RunningTask& task = *ended;
  // The task's own process group may still hold children: end them with it.
  ::kill(-pid, SIGKILL);
  task.pid = 0;
  if (task.health_checker) {
    task.health_checker->stop();
  }
  if (task.checker) {
    task.checker->stop();
  }
  v1::TaskState state = v1::TASK_FAILED;
  if (task.killing) {
    state = v1::TASK_KILLED;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    state = v1::TASK_FINISHED;
  }
  update(task, state, fmt::format("Command {}", describeWaitStatus(status)));
  groupRule(task, state);
}

void CommandExecutor::groupRule(RunningTask& task, v1::TaskState state) {
  // The default executor's rule: a task that failed or was killed (other than by this rule)
  // takes the rest of its group down.
  if (mode_ != Mode::kDefault || shutting_down_ || task.killed_by_group ||
      (state != v1::TASK_FAILED && state != v1::TASK_KILLED)) {
    return;
  }
  for (auto& [id, other] : tasks_) {
    if (other.group == task.group && !other.terminal && !other.killing) {
      other.killed_by_group = true;
      // A group killed for one task's failed health check ends unhealthy as a whole (as
      // Mesos's default executor reports it).
      other.unhealthy = other.unhealthy || task.unhealthy;
      killTask(id, std::nullopt);
    }
  }
}

void CommandExecutor::update(RunningTask& task, v1::TaskState state, const std::string& message,
                             std::optional<v1::TaskStatus::Reason> reason) {
  std::optional<bool> healthy = task.healthy;
  if (isTerminal(state)) {
    task.terminal = true;
    if (task.unhealthy) {
      healthy = false;
    }
  }
  updateFor(task.info.task_id(), state, message, reason, healthy, task.check_status);
}

void CommandExecutor::updateFor(const v1::TaskID& task_id, v1::TaskState state,
                                const std::string& message,
                                std::optional<v1::TaskStatus::Reason> reason,
                                std::optional<bool> healthy,
                                const std::optional<v1::CheckStatusInfo>& check_status) {
  v1::executor::Call call;
  call.mutable_framework_id()->set_value(config_.framework_id);
  call.mutable_executor_id()->set_value(config_.executor_id);
  call.set_type(v1::executor::Call::UPDATE);
  v1::TaskStatus* status = call.mutable_update()->mutable_status();
  *status->mutable_task_id() = task_id;
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  if (!message.empty()) {
    status->set_message(message);
  }
  if (reason) {
    status->set_reason(*reason);
  }
  if (healthy) {
    status->set_healthy(*healthy);
  }
  if (check_status) {
    *status->mutable_check_status() = *check_status;
  }
  status->mutable_executor_id()->set_value(config_.executor_id);
  status->set_uuid(uuids_.bytes());
  status->set_timestamp(clock_.wallSeconds());
  unacknowledged_.push_back(call.update());
  send(call);
  if (isTerminal(state) && !active() && !exit_timer_) {
    exit_timer_ = true;
    // Should the acknowledgements never come (the framework is gone), leave anyway.
    loop_.after(60s, [this] {
      exit_code_ = 0;
      loop_.stop();
    });
  }
}

http::ClientRequest CommandExecutor::executorRequest(const v1::executor::Call& call,
                                                     http::Headers headers) const {
  headers["content-type"] = http::kProtobufMediaType;
  if (!config_.authentication_token.empty()) {
    headers["authorization"] = "Bearer " + config_.authentication_token;
  }
  return http::ClientRequest{.method = "POST",
                             .path = "/api/v1/executor",
                             .headers = std::move(headers),
                             .body = call.SerializePartialAsString()};
}

void CommandExecutor::send(const v1::executor::Call& call) {
  if (!subscription_ || !subscription_->isSubscribed()) {
    held_.push_back(executorRequest(call, {}));
    return;
  }
  calls_.push(executorRequest(call, {}));
}

bool CommandExecutor::active() const {
  for (const auto& [id, task] : tasks_) {
    if (!task.terminal) {
      return true;
    }
  }
  return false;
}

void CommandExecutor::maybeExit() {
  if (!tasks_.empty() && !active() && unacknowledged_.empty()) {
    exit_code_ = 0;
    loop_.stop();
  }
}

}  // namespace plateau::executor
