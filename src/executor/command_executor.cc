#include "executor/command_executor.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include <fmt/format.h>

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

CommandExecutor::CommandExecutor(EventLoop& loop, Config config, uint64_t seed)
    : loop_(loop), config_(std::move(config)), uuids_(seed), client_(loop) {}

void CommandExecutor::start() {
  loop_.onSignal(SIGCHLD, [this](int) {
    for (auto [pid, status] : reapChildren()) {
      onChildExit(pid, status);
    }
  });
  loop_.onSignal(SIGTERM, [this](int) { kill(std::nullopt, true); });
  subscribe();
}

void CommandExecutor::subscribe() {
  v1::executor::Call call;
  call.mutable_framework_id()->set_value(config_.framework_id);
  call.mutable_executor_id()->set_value(config_.executor_id);
  call.set_type(v1::executor::Call::SUBSCRIBE);
  auto* subscribe = call.mutable_subscribe();
  if (task_ && !terminal_sent_) {
    *subscribe->add_unacknowledged_tasks() = *task_;
  }
  for (const auto& [uuid, update] : unacknowledged_) {
    *subscribe->add_unacknowledged_updates() = update;
  }
  decoder_ = recordio::Decoder();
  http::ClientRequest request{.method = "POST",
                              .path = "/api/v1/executor",
                              .headers = {{"content-type", http::kProtobufMediaType},
                                          {"accept", http::kProtobufMediaType}},
                              .body = call.SerializePartialAsString()};
  stream_ = http::StreamingCall::open(
      loop_, config_.agent, std::move(request), 5s,
      {.on_head =
           [this](const http::Response& head) {
             if (head.status != 200) {
               fmt::print(stderr, "Subscription refused by the agent: HTTP {}\n", head.status);
             }
           },
       .on_data = [this](std::string_view data) { onData(data); },
       .on_closed = [this](const Status& why) { onDisconnected(why.message()); }});
}

void CommandExecutor::onData(std::string_view data) {
  auto records = decoder_.decode(data);
  if (!records) {
    stream_->cancel();
    return onDisconnected(records.error().message());
  }
  for (const auto& record : *records) {
    v1::executor::Event event;
    if (event.ParseFromString(record)) {
      handle(event);
    }
  }
}

void CommandExecutor::onDisconnected(const std::string& why) {
  subscribed_ = false;
  stream_.reset();
  if (!config_.checkpoint) {
    // Without checkpointing nothing can reconnect to us later: stop the task and leave.
    fmt::print(stderr, "Lost the agent ({}); killing the task and exiting\n", why);
    if (pid_ > 0) {
      signalTree(pid_, SIGKILL);
    }
    exit_code_ = 1;
    loop_.stop();
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (!disconnected_) {
    disconnected_ = true;
    disconnected_at_ = now;
  }
  if (now - disconnected_at_ > config_.recovery_timeout) {
    fmt::print(stderr, "Agent did not come back within the recovery timeout; exiting\n");
    if (pid_ > 0) {
      signalTree(pid_, SIGKILL);
    }
    exit_code_ = 1;
    loop_.stop();
    return;
  }
  // Retry often enough to be back within the agent's --executor_reregistration_timeout.
  loop_.after(std::min<std::chrono::nanoseconds>(1s, config_.subscription_backoff_max / 2),
              [this] { subscribe(); });
}

void CommandExecutor::handle(const v1::executor::Event& event) {
  switch (event.type()) {
    case v1::executor::Event::SUBSCRIBED: {
      subscribed_ = true;
      disconnected_ = false;
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
    case v1::executor::Event::KILL:
      kill(event.kill().has_kill_policy() ? std::optional(event.kill().kill_policy())
                                          : std::nullopt,
           false);
      break;
    case v1::executor::Event::ACKNOWLEDGED:
      unacknowledged_.erase(event.acknowledged().uuid());
      maybeExit();
      break;
    case v1::executor::Event::SHUTDOWN:
      kill(std::nullopt, true);
      break;
    case v1::executor::Event::ERROR:
      fmt::print(stderr, "Error from the agent: {}\n", event.error().message());
      break;
    default:
      break;
  }
}

void CommandExecutor::launch(const v1::TaskInfo& task) {
  if (task_) {
    // One command executor runs one task.
    v1::TaskInfo other = task;
    auto saved = std::move(task_);
    task_ = other;
    update(v1::TASK_FAILED, "The command executor runs a single task",
           v1::TaskStatus::REASON_TASK_INVALID);
    task_ = std::move(saved);
    return;
  }
  task_ = task;
  const v1::CommandInfo& command = task.command();
  LaunchSpec spec = commandLaunchSpec(command);
  spec.env = currentEnvironment();
  for (const auto& var : command.environment().variables()) {
    spec.env.push_back(var.name() + "=" + var.value());
  }
  spec.working_dir = config_.sandbox;
  spec.new_session = false;
  auto pid = launchProcess(spec);
  if (!pid) {
    update(v1::TASK_FAILED, pid.error().message(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
    return;
  }
  pid_ = *pid;
  update(v1::TASK_RUNNING, "");
}

void CommandExecutor::kill(std::optional<v1::KillPolicy> policy, bool shutdown) {
  if (pid_ <= 0) {
    if (shutdown) {
      exit_code_ = 0;
      loop_.stop();
    }
    return;
  }
  if (killing_) {
    return;
  }
  killing_ = true;
  if (killing_capability_) {
    update(v1::TASK_KILLING, "");
  }
  auto grace = config_.shutdown_grace_period;
  if (policy && policy->has_grace_period()) {
    grace = std::chrono::nanoseconds(policy->grace_period().nanoseconds());
  } else if (!shutdown && task_ && task_->has_kill_policy() &&
             task_->kill_policy().has_grace_period()) {
    grace = std::chrono::nanoseconds(task_->kill_policy().grace_period().nanoseconds());
  } else if (!shutdown) {
    grace = 3s;
  }
  ::kill(-pid_, SIGTERM);
  pid_t pid = pid_;
  loop_.after(grace, [this, pid] {
    if (pid_ == pid) {
      ::kill(-pid, SIGKILL);
    }
  });
}

void CommandExecutor::onChildExit(pid_t pid, int status) {
  if (pid != pid_) {
    return;
  }
  // The task's own process group may still hold children: end them with it.
  ::kill(-pid, SIGKILL);
  pid_ = 0;
  if (killing_) {
    update(v1::TASK_KILLED, fmt::format("Command {}", describeWaitStatus(status)));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    update(v1::TASK_FINISHED, "Command exited with status 0");
  } else {
    update(v1::TASK_FAILED, fmt::format("Command {}", describeWaitStatus(status)));
  }
}

void CommandExecutor::update(v1::TaskState state, const std::string& message,
                             std::optional<v1::TaskStatus::Reason> reason) {
  v1::executor::Call call;
  call.mutable_framework_id()->set_value(config_.framework_id);
  call.mutable_executor_id()->set_value(config_.executor_id);
  call.set_type(v1::executor::Call::UPDATE);
  v1::TaskStatus* status = call.mutable_update()->mutable_status();
  *status->mutable_task_id() = task_->task_id();
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  if (!message.empty()) {
    status->set_message(message);
  }
  if (reason) {
    status->set_reason(*reason);
  }
  status->mutable_executor_id()->set_value(config_.executor_id);
  status->set_uuid(uuids_.bytes());
  status->set_timestamp(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  unacknowledged_[status->uuid()] = call.update();
  if (isTerminal(state)) {
    terminal_sent_ = true;
    // Should the acknowledgement never come (the framework is gone), leave anyway.
    loop_.after(60s, [this] {
      exit_code_ = 0;
      loop_.stop();
    });
  }
  send(call);
}

void CommandExecutor::send(const v1::executor::Call& call) {
  http::ClientRequest request{.method = "POST",
                              .path = "/api/v1/executor",
                              .headers = {{"content-type", http::kProtobufMediaType}},
                              .body = call.SerializePartialAsString()};
  // Updates that do not get through are re-sent on the next SUBSCRIBE.
  client_.fetch(config_.agent, std::move(request), 10s, [](Result<http::Response>) {});
}

void CommandExecutor::maybeExit() {
  if (terminal_sent_ && unacknowledged_.empty()) {
    exit_code_ = 0;
    loop_.stop();
  }
}

}  // namespace plateau::executor
