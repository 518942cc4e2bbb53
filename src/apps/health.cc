#include "apps/health.h"

#include <fmt/format.h>

namespace plateau::apps {

bool runByService(const HealthCheck& h) {
  return h.protocol == "HTTP" || h.protocol == "HTTPS" || h.protocol == "TCP";
}

bool runByAgent(const HealthCheck& h) {
  return h.protocol == "MESOS_HTTP" || h.protocol == "MESOS_HTTPS" || h.protocol == "MESOS_TCP" ||
         h.protocol == "COMMAND";
}

Verdict recordResult(CheckState& state, const HealthCheck& check, const ProbeResult& result,
                     std::chrono::steady_clock::duration since_running, double wall_now) {
  Verdict v;
  if (result.ignored) {
    return v;
  }
  if (result.ok) {
    v.counted = true;
    state.consecutive_failures = 0;
    state.last_success = wall_now;
    if (!state.first_success) {
      state.first_success = wall_now;
    }
    return v;
  }
  bool in_grace = since_running < std::chrono::seconds(check.grace_period_seconds);
  if (in_grace && !state.first_success) {
    return v;  // still starting: not counted
  }
  v.counted = true;
  state.consecutive_failures += 1;
  state.last_failure = wall_now;
  state.last_failure_cause = result.cause;
  v.kill = check.max_consecutive_failures > 0 &&
           state.consecutive_failures >= check.max_consecutive_failures;
  return v;
}

std::optional<uint32_t> probePort(const HealthCheck& check, const std::vector<uint32_t>& ports) {
  if (check.port) {
    return *check.port;
  }
  size_t index = check.port_index.value_or(0);
  if (index >= ports.size()) {
    return std::nullopt;
  }
  return ports[index];
}

ProbeResult httpVerdict(const HealthCheck& check, int status) {
  if (status >= 200 && status < 400) {
    return {.ok = true};
  }
  if (status >= 100 && status < 200 && check.ignore_http1xx) {
    return {.ignored = true};
  }
  return {.cause = fmt::format("{} answered status {}", check.protocol, status)};
}

}  // namespace plateau::apps
