#pragma once

// What a replay measured, rendered as a table (for people) or JSON (for tools). The JSON holds
// only simulated quantities, so one trace, configuration and seed give the same bytes every run;
// the wall time goes in the table only.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace plateau::sim::replay {

// Queueing delay (job arrival to task launch) in seconds, over tasks.
struct DelayStats {
  int64_t count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

struct RoleReport {
  std::string role;
  double weight = 1;
  int64_t frameworks = 0;
  int64_t tasks_submitted = 0;
  int64_t tasks_launched = 0;
  int64_t tasks_pending_at_end = 0;
  double mean_share = 0;  // dominant share, mean over samples
  double max_share = 0;
  DelayStats delay;
  // Starvation: the longest a task waited, launched or (still waiting at the end) not, and its
  // job ("line N" of the trace when the job has no name).
  double longest_wait_s = 0;
  std::string longest_wait_job;
};

// The cluster at one instant.
struct Sample {
  double time_s = 0;
  double cpu_utilization = 0;  // cpus used by tasks / cpus in the cluster
  double mem_utilization = 0;
  std::vector<double> shares;          // per role, in RoleReport order
  std::vector<int64_t> pending_tasks;  // per role
};

struct ReplayReport {
  // The configuration, echoed.
  int64_t agents = 0;
  std::string agent_resources;
  double allocation_interval_s = 0;
  bool triggered_rounds = false;
  double decline_refuse_s = 0;
  double accept_refuse_s = 0;
  bool suppress_when_idle = false;
  double decline_fraction = 0;
  int64_t lookahead = 0;
  uint64_t seed = 0;
  std::string weights;  // as given
  std::string quota;
  std::string min_allocatable;  // alternatives, '|'-separated
  // What happened.
  int64_t jobs = 0;
  double simulated_s = 0;  // virtual time at the end
  bool stalled = false;    // stopped because nothing could launch for an hour
  int64_t rounds = 0;
  int64_t offers = 0;
  int64_t declines = 0;
  int64_t tasks_launched = 0;
  int64_t tasks_finished = 0;
  double mean_cpu_utilization = 0;  // time-weighted over the whole run
  double mean_mem_utilization = 0;
  double peak_cpu_utilization = 0;
  std::vector<RoleReport> roles;
  std::vector<Sample> samples;
  // Not in the JSON: how long the replay took here.
  double wall_s = 0;
  double allocator_wall_s = 0;  // of which inside Allocator::allocate()

  std::string json() const;
  std::string table() const;
};

}  // namespace plateau::sim::replay
