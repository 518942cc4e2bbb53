#pragma once

// A synthetic trace for the replay: Poisson job arrivals per role (optionally following a daily
// cycle), tasks per job, task shapes and durations from simple distributions, all drawn from one
// seeded Rng, so a seed gives the same trace on every run.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sim/replay/trace.h"

namespace plateau::sim::replay {

struct GeneratorSpec {
  uint64_t seed = 1;
  int64_t span_us = 24LL * 3600 * 1000000;            // arrivals in [0, span)
  std::vector<std::pair<std::string, double>> rates;  // role, jobs per second (mean)
  int64_t frameworks_per_role = 1;                    // named <role>-<i> when more than one
  // Daily cycle: a role's rate at time t is rate × (1 + diurnal × sin(2π t / 1 day − π/2)), lowest
  // at t = 0 and highest at midday. 0: steady.
  double diurnal = 0;
  double tasks_mean = 10;  // tasks per job: 1 + a geometric draw, this mean, at most tasks_max
  int64_t tasks_max = 1000;
  std::vector<int64_t> cpus_milli = {500, 1000, 2000, 4000};  // a task's cpus: one of these
  int64_t mem_per_cpu_milli = 2048 * 1000;                    // a task's mem: cpus × this (MB)
  // A task's duration: log-normal with this median and shape, clipped to [min, max].
  double duration_median_s = 600;
  double duration_sigma = 1.0;
  int64_t duration_min_us = 1000000;
  int64_t duration_max_us = 6LL * 3600 * 1000000;
};

// InvalidArgument naming the flag for a value out of bounds (no roles, a rate that is not
// positive, diurnal outside [0, 1), ...).
Status validate(const GeneratorSpec& spec);

// The jobs, sorted by arrival; each role's stream comes from its own generator, seeded from the
// seed and the role's position in `rates`, so appending a role leaves the others' jobs
// unchanged. Job names are <role>-<n>.
std::vector<TraceJob> generateTrace(const GeneratorSpec& spec);

}  // namespace plateau::sim::replay
