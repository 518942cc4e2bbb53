#pragma once

// Replay in virtual time: drives the master's own allocator (master/allocator, the library
// plateau-master links, called the way the master calls it) with a trace of jobs under a
// simulated clock, and measures what the allocation configuration gives: utilization, dominant
// shares per role, queueing delay per role and starvation.
//
// The model: `agents` identical agents register at time 0; each framework of the trace (one
// role each) subscribes at time 0 and takes every offer at once: it launches what fits from its
// oldest queued jobs (FrameworkModel), returns the rest with a filter of `accept_refuse`, or
// declines the whole offer with a filter of `decline_refuse` when nothing fits (or, with
// probability `decline_fraction`, anyway). An idle framework suppresses its role
// (`suppress_when_idle`) and revives when a job arrives. A task runs for its job's duration,
// then its resources are recovered. Rounds run every `allocation_interval` and, with
// `triggered_rounds`, also as the master schedules them: right after a task ends or a framework
// revives, once the events of that instant have been handled.
//
// Deterministic: events are ordered by (virtual time, sequence), all randomness comes from one
// Rng seeded with `seed`, and nothing iterates an unordered container; the same trace,
// configuration and seed give the same report (ReplayReport::json) bit for bit.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/allocator_types.h"
#include "sim/replay/report.h"
#include "sim/replay/trace.h"

namespace plateau::sim::replay {

struct ReplayConfig {
  int64_t agents = 1000;
  Resources agent_resources;  // default (empty): cpus:16;mem:65536
  std::map<std::string, double> weights;
  std::map<std::string, master::allocator::Quota> quotas;
  int64_t allocation_interval_us = 1000000;
  bool triggered_rounds = true;
  int64_t decline_refuse_us = 5000000;  // Mesos's default Filters.refuse_seconds
  int64_t accept_refuse_us = 5000000;
  bool suppress_when_idle = true;
  double decline_fraction = 0;
  int64_t lookahead = 16;
  uint64_t seed = 1;
  int64_t sample_interval_us = 300000000;  // 5 minutes
  int64_t horizon_us = 0;                  // stop then; 0: once every job ran
  // The allocator's options (Mesos's --min_allocatable_resources among them).
  master::allocator::Options allocator_options;
  std::string weights_text;  // echoed in the report
  std::string quota_text;
};

// Checks the configuration against the trace (every task must fit on an agent) and replays it.
// InvalidArgument naming the flag or the trace line; the allocator's own errors as they come.
Result<ReplayReport> runReplay(const std::vector<TraceJob>& jobs, const ReplayConfig& config);

}  // namespace plateau::sim::replay
