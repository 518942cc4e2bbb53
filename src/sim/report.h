#pragma once

// What one plateau-sim run measured, and its two renderings: a table for people and JSON
// (`--json`) for scripts. Plain data; rendering is pure (tests/unit/sim/report_test.cc).

#include <cstdint>
#include <string>

#include "sim/failover.h"
#include "sim/ledger.h"
#include "sim/links.h"
#include "sim/sim_framework.h"

namespace plateau::sim {

struct Percentiles {
  size_t count = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;

  static Percentiles of(const LatencySamples& samples);
};

// The steady phase (Workload::steady_after_running): from the first time that many tasks ran
// at once to the end of the arrival phase. Latencies of tasks submitted or launched in it, and
// probes and calls made in it.
struct SteadyReport {
  bool reached = false;
  double after_seconds = 0;  // from the window's start to the steady point
  double seconds = 0;        // its length
  int64_t running_at_start = 0;
  int64_t running_at_end = 0;
  int64_t launched = 0;
  Percentiles wait_for_offer;
  Percentiles accept_to_agent;
  Percentiles launch_to_running;
  Percentiles submit_to_running;
  Percentiles sim_queue_wait;
  Percentiles health;
  Percentiles allocation_ms;
  Percentiles loop_stall_ms;
  Percentiles loop_busy_ms;
  double master_cpu_seconds = 0;
  int64_t master_rss = 0;  // at its end
  double sim_cpu_seconds = 0;
};

struct Report {
  // Conditions.
  int agents = 0;
  int agents_registered = 0;
  int frameworks = 0;
  int frameworks_subscribed = 0;
  double registration_seconds = 0;  // from the first REGISTER to the last REGISTERED
  double arrival_seconds = 0;       // the arrival phase
  double window_seconds = 0;        // arrival phase + drain: what the rates divide by
  // Tasks, as the simulated schedulers and agents saw them.
  TaskCounts tasks;
  int64_t tasks_left = 0;  // submitted and not ended when the run stopped
  FrameworkStats frameworks_seen;
  LinkStats links;
  Percentiles wait_for_offer;     // seconds
  Percentiles accept_to_agent;    // seconds
  Percentiles launch_to_running;  // seconds
  Percentiles submit_to_running;  // seconds
  Percentiles sim_queue_wait;     // seconds: calls waiting inside the simulator
  // The master.
  bool master_measured = false;   // false when its pid is unknown (--master without --master_pid)
  double master_cpu_seconds = 0;  // during the window
  int64_t master_rss_before_agents = 0;
  int64_t master_rss_with_agents = 0;  // once every agent registered, before any task
  int64_t master_rss_end = 0;
  int64_t master_peak_rss = 0;
  Percentiles health;  // /health round trips, seconds
  int64_t health_failures = 0;
  Percentiles state;              // /master/state round trips (--state_interval), seconds
  int64_t state_bytes = 0;        // the last one's size
  Percentiles allocation_ms;      // allocator/mesos/allocation_run_ms at each scrape
  Percentiles loop_stall_ms;      // plateau/event_loop_stall_ms at each scrape
  Percentiles loop_busy_ms;       // plateau/event_loop_busy_ms at each scrape
  double allocation_mean_ms = 0;  // from /metrics: sum / count of the window's rounds
  int64_t allocation_runs = 0;    // rounds in the window
  // The master's own counters over the window (from /metrics/snapshot).
  int64_t master_offers_sent = 0;
  int64_t master_tasks_launched = 0;
  int64_t master_tasks_finished = 0;
  int64_t master_agents_active = 0;
  Failover failover;
  SteadyReport steady;
  // The simulator.
  double sim_cpu_seconds = 0;  // during the window
  int64_t sim_peak_rss = 0;

  double offersPerSecond() const;
  double launchedPerSecond() const;
  double finishedPerSecond() const;
  // Master CPU per launched task, in milliseconds (0 without tasks).
  double masterCpuMsPerTask() const;
  // (RSS with agents − RSS before agents) / agents, in bytes.
  double masterRssPerAgent() const;

  std::string table() const;
  std::string json() const;
};

}  // namespace plateau::sim
