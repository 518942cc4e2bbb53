#pragma once

// The built-in executors: subscribe to the agent through the v1 executor API, run tasks'
// commands (with kill policies, health checks and checks), report their states, and exit
// once every task is terminal and its terminal update acknowledged.
// The command executor runs one task (LAUNCH); the default executor runs task groups
// (LAUNCH_GROUP). One class serves both: they differ only in where a task runs, its
// environment, and what one task's end means for the others.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <mesos/v1/executor/executor.pb.h>

#include "client/detector.h"
#include "client/subscription.h"
#include "common/uuid.h"
#include "executor/call_queue.h"
#include "executor/checker.h"
#include "executor/task_image.h"
#include "http/client.h"
#include "runtime/event_loop.h"

namespace plateau::executor {

namespace v1 = mesos::v1;

struct Config {
  std::string framework_id;
  std::string executor_id;
  std::string authentication_token;  // MESOS_EXECUTOR_AUTHENTICATION_TOKEN ("" for none)
  http::Endpoint agent;
  std::string sandbox;
  bool checkpoint = false;
  std::chrono::nanoseconds recovery_timeout = std::chrono::minutes(15);
  std::chrono::nanoseconds subscription_backoff_max = std::chrono::seconds(2);
  std::chrono::nanoseconds shutdown_grace_period = std::chrono::seconds(5);
  // The command executor's task in an image (PLATEAU_ROOTFS and friends, set by the agent).
  TaskImage image;

  // From the MESOS_* variables the agent sets.
  static Result<Config> fromEnvironment();
};

// Which executor this process is.
enum class Mode {
  kCommand,  // the command executor: one task (LAUNCH), run in the executor's sandbox
  kDefault,  // the default executor: task groups (LAUNCH_GROUP), each task in
             // <sandbox>/tasks/<task id>; one failing or killed task kills its group
};

// One task the executor runs.
struct RunningTask {
  v1::TaskInfo info;
  std::string sandbox;
  TaskImage image;  // the task's image, if it has one
  int group = 0;    // which LAUNCH_GROUP brought it (default executor)
  pid_t pid = 0;
  bool launched = false;
  bool killing = false;
  bool terminal = false;
  bool unhealthy = false;        // killed because it failed its health check
  bool killed_by_group = false;  // killed because another task of its group ended badly
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point kill_deadline;  // when SIGKILL follows SIGTERM
  std::unique_ptr<Checker> health_checker;
  std::unique_ptr<HealthTracker> health;
  std::unique_ptr<Checker> checker;
  CheckTracker check;
  std::optional<bool> healthy;                      // last reported health
  std::optional<v1::CheckStatusInfo> check_status;  // last reported check status
};

class CommandExecutor {
 public:
  CommandExecutor(EventLoop& loop, Config config, uint64_t seed, Mode mode = Mode::kCommand);
  void start();
  // The process exit code once the loop stops.
  int exitCode() const { return exit_code_; }

 private:
  // The SUBSCRIBE call, carrying the unacknowledged tasks and updates (oldest update first);
  // the UPDATE calls still queued are dropped, since it carries them.
  http::ClientRequest subscribeRequest();
  // The subscription to the agent ended for good (Subscription::Next::kGiveUp): the tasks are
  // killed and the executor exits non-zero.
  void onClosed(const client::Subscription::Closed& closed);
  void handle(const v1::executor::Event& event);
  void launch(const v1::TaskInfo& task);
  void launchGroup(const v1::TaskGroupInfo& group);
  bool startTask(RunningTask& task);
  // The task's health check and check, after its TASK_RUNNING, in its environment and sandbox.
  void startChecks(RunningTask& task, const std::vector<std::string>& check_env);
  void onHealth(const std::string& task_id, const ProbeResult& result);
  void onCheck(const std::string& task_id, const ProbeResult& result);
  void killTask(const std::string& task_id, std::optional<v1::KillPolicy> policy);
  void signalTask(RunningTask& task, std::chrono::nanoseconds grace);
  void scheduleEscalation(RunningTask& task, std::chrono::nanoseconds grace);
  void shutdown();
  void killAll(int signo);
  void onChildExit(pid_t pid, int status);
  void groupRule(RunningTask& task, v1::TaskState state);
  void update(RunningTask& task, v1::TaskState state, const std::string& message,
              std::optional<v1::TaskStatus::Reason> reason = std::nullopt);
  void updateFor(const v1::TaskID& task_id, v1::TaskState state, const std::string& message,
                 std::optional<v1::TaskStatus::Reason> reason, std::optional<bool> healthy,
                 const std::optional<v1::CheckStatusInfo>& check_status);
  // A POST of `call` to the agent's executor API, with the token when there is one.
  http::ClientRequest executorRequest(const v1::executor::Call& call, http::Headers headers) const;
  // Queues `call` behind the calls sent before it (CallQueue: one in flight, in order); while
  // not subscribed, holds it for the next SUBSCRIBE (which carries it) or SUBSCRIBED (after
  // which it goes), so nothing overtakes the updates a resubscription carries.
  void send(const v1::executor::Call& call);
  bool active() const;
  void maybeExit();

  EventLoop& loop_;
  const Clock& clock_;  // every read of time (runtime/clock.h)
  Config config_;
  Mode mode_;
  UuidGenerator uuids_;
  http::Client client_;
  CallQueue calls_;                                // the UPDATE calls, one at a time and in order
  std::vector<http::ClientRequest> held_;          // calls made while not subscribed (send())
  std::unique_ptr<client::MasterDetector> agent_;  // the agent, at its fixed address
  std::unique_ptr<client::Subscription> subscription_;
  std::map<std::string, RunningTask> tasks_;  // by task id
  int groups_ = 0;
  std::set<std::string> killed_before_launch_;  // KILLs for tasks whose group has not come yet
  bool shutting_down_ = false;
  bool killing_capability_ = false;
  std::vector<v1::executor::Call::Update> unacknowledged_;  // oldest first
  bool exit_timer_ = false;
  int exit_code_ = 0;
};

}  // namespace plateau::executor
