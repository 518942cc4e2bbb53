#pragma once

// A plateau-sim run as a workload file describes it (docs/sim.md): the simulated agents, the
// simulated frameworks and how long to run. Parsed once, validated, then read-only.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::sim {

// The TaskInfo label by which a simulated framework tells a simulated agent how long a task runs.
inline constexpr const char* kDurationLabel = "plateau-sim/duration_ms";

// A group of identical agents.
struct AgentGroup {
  int count = 0;
  std::string hostname_prefix = "sim-agent";
  double cpus = 8;
  double mem = 16384;   // MB
  double disk = 65536;  // MB
  std::map<std::string, std::string> attributes;
};

// A group of identical frameworks. Each submits tasks at `arrival_rate` per second (a steady
// stream, not bursts) until `max_tasks` were submitted or the arrival phase ends.
struct FrameworkGroup {
  int count = 0;
  std::string name = "sim-framework";
  std::string role = "*";
  double task_cpus = 0.1;
  double task_mem = 32;
  double task_disk = 0;
  double duration_min_s = 1;  // each task runs a uniform draw from [min, max]
  double duration_max_s = 1;
  double arrival_rate = 10;        // tasks per second, per framework
  int64_t max_tasks = 0;           // 0: no limit
  int64_t initial_tasks = 0;       // submitted at once when the framework subscribes
  double decline_fraction = 0;     // offers declined even with tasks waiting
  double refuse_seconds = 5;       // the filter sent with declines and left-overs
  bool suppress_when_idle = true;  // SUPPRESS with nothing waiting, REVIVE when tasks arrive
  int max_tasks_per_offer = 0;     // 0: as many as fit
  // FrameworkInfo.failover_timeout: how long the master keeps the framework (and its tasks)
  // while it is away, e.g. across a master failover; 0: removed as soon as it is.
  double failover_timeout_s = 0;
};

struct Workload {
  uint64_t seed = 1;
  double duration_s = 30;        // the arrival phase
  double drain_s = 30;           // afterwards, at most this long for running tasks to finish
  double start_delay_s = 0.005;  // simulated agents: TASK_STARTING to TASK_RUNNING
  // The steady phase: once this many tasks run at once (as the schedulers see them), the
  // report also gives the latencies of what happens from then on, separately from the fill
  // (0: no steady phase). With `steady_seconds` > 0 the arrival phase then ends that long after
  // the steady point (or at `duration_s`, whichever is first).
  int64_t steady_after_running = 0;
  double steady_s = 0;
  std::vector<std::string> master_flags;  // when plateau-sim starts the master itself
  std::vector<AgentGroup> agents;
  std::vector<FrameworkGroup> frameworks;

  int totalAgents() const;
  int totalFrameworks() const;
};

// Parses and validates a workload (JSON). InvalidArgument naming the line and column of a
// syntax error, or the path of a bad value ("frameworks[1].arrival_rate must be >= 0"); unknown
// keys are errors, so that a misspelt setting is not silently ignored.
Result<Workload> parseWorkload(std::string_view text);

// Reads and parses a workload file; errors start with the file's path.
Result<Workload> loadWorkload(const std::string& path);

}  // namespace plateau::sim
