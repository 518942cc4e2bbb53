#pragma once

// The built-in command executor: subscribes to its agent through the v1 executor API, runs
// one task's command, reports its states, and exits once the terminal update is acknowledged.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <mesos/v1/executor/executor.pb.h>

#include "common/recordio.h"
#include "common/uuid.h"
#include "http/client.h"
#include "http/event_loop.h"

namespace plateau::executor {

namespace v1 = mesos::v1;

struct Config {
  std::string framework_id;
  std::string executor_id;
  http::Endpoint agent;
  std::string sandbox;
  bool checkpoint = false;
  std::chrono::nanoseconds recovery_timeout = std::chrono::minutes(15);
  std::chrono::nanoseconds subscription_backoff_max = std::chrono::seconds(2);
  std::chrono::nanoseconds shutdown_grace_period = std::chrono::seconds(5);

  // From the MESOS_* variables the agent sets.
  static Result<Config> fromEnvironment();
};

class CommandExecutor {
 public:
  CommandExecutor(EventLoop& loop, Config config, uint64_t seed);
  void start();
  // The process exit code once the loop stops.
  int exitCode() const { return exit_code_; }

 private:
  void subscribe();
  void onData(std::string_view data);
  void onDisconnected(const std::string& why);
  void handle(const v1::executor::Event& event);
  void launch(const v1::TaskInfo& task);
  void kill(std::optional<v1::KillPolicy> policy, bool shutdown);
  void onChildExit(pid_t pid, int status);
  void update(v1::TaskState state, const std::string& message,
              std::optional<v1::TaskStatus::Reason> reason = std::nullopt);
  void send(const v1::executor::Call& call);
  void maybeExit();

  EventLoop& loop_;
  Config config_;
  UuidGenerator uuids_;
  http::Client client_;
  std::shared_ptr<http::StreamingCall> stream_;
  recordio::Decoder decoder_;
  bool subscribed_ = false;
  std::optional<v1::TaskInfo> task_;
  pid_t pid_ = 0;
  bool killing_ = false;
  bool terminal_sent_ = false;
  bool killing_capability_ = false;
  std::map<std::string, v1::executor::Call::Update> unacknowledged_;  // by uuid
  std::chrono::steady_clock::time_point disconnected_at_;
  bool disconnected_ = false;
  int exit_code_ = 0;
};

}  // namespace plateau::executor
