#pragma once

// Task checks and health checks, shared by the command executor and the default executor.
//
// Two layers: the pure bookkeeping (HealthTracker, CheckTracker: what a probe result means,
// when to report, when to kill; no I/O, unit-tested) and the Checker, which runs probes
// (COMMAND, HTTP, TCP) on the event loop on the schedule a HealthCheck/CheckInfo gives.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mesos/v1/mesos.pb.h>

#include "common/process.h"
#include "common/status.h"
#include "runtime/event_loop.h"

namespace plateau::executor {

namespace v1 = mesos::v1;

// One probe's outcome. For COMMAND: exit_code (absent when it timed out or could not run);
// HTTP: status_code (absent when no response came); TCP: connected.
struct ProbeResult {
  v1::CheckInfo::Type type = v1::CheckInfo::UNKNOWN;
  std::optional<int> exit_code;
  std::optional<uint32_t> status_code;
  bool connected = false;
  bool timed_out = false;
};

// What a health check probe means: COMMAND exit 0, HTTP 2xx/3xx (or one of the listed
// statuses), TCP connected.
bool probeHealthy(const ProbeResult& result, const std::vector<uint32_t>& http_statuses = {});

// CheckStatusInfo for a check probe, as Mesos fills it (a timed-out probe leaves the value
// field unset).
v1::CheckStatusInfo checkStatus(const ProbeResult& result);

// Health bookkeeping with Mesos semantics: failures inside the grace period are ignored until
// the first success; after that, `consecutive_failures` failures in a row mean kill.
class HealthTracker {
 public:
  struct Outcome {
    bool report = false;  // send TASK_RUNNING with `healthy`
    bool healthy = false;
    bool kill = false;  // kill the task: it failed too many checks in a row
  };
  HealthTracker(uint32_t consecutive_failures, std::chrono::nanoseconds grace_period)
      : max_failures_(consecutive_failures), grace_(grace_period) {}

  // `since_launch`: how long the task has run when the probe finished.
  Outcome onResult(bool healthy, std::chrono::nanoseconds since_launch);
  uint32_t consecutiveFailures() const { return failures_; }

 private:
  uint32_t max_failures_;
  std::chrono::nanoseconds grace_;
  bool initializing_ = true;  // no success yet
  uint32_t failures_ = 0;
  std::optional<bool> reported_;
};

// Check bookkeeping: report when the status differs from the last one reported.
class CheckTracker {
 public:
  // The status to report, or nullopt when nothing changed.
  std::optional<v1::CheckStatusInfo> onResult(const v1::CheckStatusInfo& status);

 private:
  std::optional<std::string> last_;
};

// How and when to probe.
struct ProbeSpec {
  v1::CheckInfo::Type type = v1::CheckInfo::UNKNOWN;
  v1::CommandInfo command;      // COMMAND
  uint32_t port = 0;            // HTTP, TCP
  std::string path = "/";       // HTTP
  std::string scheme = "http";  // HTTP
  std::chrono::nanoseconds delay{0};
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{0};
  std::vector<std::string> env;  // COMMAND probes' environment
  std::string working_dir;       // COMMAND probes' working directory
  // When set, makes a COMMAND probe's launch start inside the task's container (its image);
  // a probe it fails to prepare counts as one that could not run.
  using Enter = std::function<Status(const v1::CommandInfo&, LaunchSpec&)>;
  Enter enter;

  static Result<ProbeSpec> fromHealthCheck(const v1::HealthCheck& check);
  static Result<ProbeSpec> fromCheck(const v1::CheckInfo& check);
};

// Runs one probe at a time on the loop: the first after `delay`, then every `interval` after
// the previous one ended. COMMAND and TCP probes run in child processes, which the owner
// reaps and hands to onChildExit().
class Checker {
 public:
  using Callback = std::function<void(const ProbeResult&)>;
  Checker(EventLoop& loop, ProbeSpec spec, Callback callback);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void start();
  void stop();
  // True when `pid` was this checker's probe.
  bool onChildExit(pid_t pid, int status);

 private:
  void schedule(std::chrono::nanoseconds delay);
  void probe();
  void finish(ProbeResult result);

  EventLoop& loop_;
  ProbeSpec spec_;
  Callback callback_;
  std::shared_ptr<bool> alive_;
  bool stopped_ = true;
  pid_t probe_pid_ = 0;
  uint64_t probe_seq_ = 0;
  EventLoop::TimerId timer_ = 0;
  EventLoop::TimerId timeout_timer_ = 0;
};

}  // namespace plateau::executor
