#pragma once

// Health checks that plateau-apps runs itself, as Marathon does for protocols HTTP (the
// default), HTTPS and TCP: probes from the service to each running task on its interval, and
// Marathon's rules for what a result means. Checks of protocol MESOS_HTTP, MESOS_HTTPS, MESOS_TCP
// and COMMAND are the agent's (Mesos health checks in TaskInfo) and are not handled here.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "apps/app.h"
#include "runtime/clock.h"

namespace plateau::apps {

// Whether plateau-apps probes this check itself (HTTP, HTTPS, TCP).
bool runByService(const HealthCheck& h);
// Whether the agent runs it (MESOS_HTTP, MESOS_HTTPS, MESOS_TCP, COMMAND).
bool runByAgent(const HealthCheck& h);

// The outcome of one probe. `ignored`: no verdict (an HTTP 1xx answer with ignoreHttp1xx).
struct ProbeResult {
  bool ok = false;
  bool ignored = false;
  std::string cause;  // why it failed: "connection refused", "status 500", "timed out", ...
  int status = 0;     // the HTTP status, when there was an answer
};

// Runs probes. `done` runs once on the loop; the check's timeoutSeconds bounds it.
class Prober {
 public:
  virtual ~Prober() = default;
  virtual void probe(const HealthCheck& check, const std::string& host, uint32_t port,
                     std::function<void(ProbeResult)> done) = 0;
};

// What one check knows of one task (Marathon's healthCheckResults entry).
struct CheckState {
  int consecutive_failures = 0;
  std::optional<double> first_success;  // wall seconds
  std::optional<double> last_success;
  std::optional<double> last_failure;
  std::string last_failure_cause;
  bool in_flight = false;
  Clock::TimePoint next_probe{};

  // Marathon's "alive": the last counted result was a success.
  bool alive() const { return last_success && (!last_failure || *last_success >= *last_failure); }
};

// What a result means for the task.
struct Verdict {
  bool counted = false;  // false: ignored (within the grace period before any success, or 1xx)
  bool kill = false;     // unhealthy for maxConsecutiveFailures in a row (never when it is 0)
};

// Applies one probe result to `state` under Marathon's rules: failures within
// gracePeriodSeconds of the task's start are not counted until the check first succeeds; each
// success resets the consecutive failures; maxConsecutiveFailures failures in a row kill the
// task, and 0 means never kill (the task only shows as unhealthy). Pure.
Verdict recordResult(CheckState& state, const HealthCheck& check, const ProbeResult& result,
                     std::chrono::steady_clock::duration since_running, double wall_now);

// The port a check probes on a task: `port`, or the host port at `portIndex` (0 by default);
// nullopt when that index does not exist.
std::optional<uint32_t> probePort(const HealthCheck& check, const std::vector<uint32_t>& ports);

// HTTP(S) answers that mean healthy: 200 to 399. With ignoreHttp1xx, 1xx answers are ignored;
// without it they fail.
ProbeResult httpVerdict(const HealthCheck& check, int status);

}  // namespace plateau::apps
