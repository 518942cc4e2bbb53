#include "sim/replay/generator.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "common/roles.h"
#include "sim/replay/rng.h"

namespace plateau::sim::replay {

namespace {

constexpr double kDayS = 86400;

Status bad(const char* flag, const std::string& why) {
  return {StatusCode::kInvalidArgument, fmt::format("--{} {}", flag, why)};
}

double rateFactor(const GeneratorSpec& spec, double t_s) {
  return 1 + spec.diurnal * std::sin(2 * std::numbers::pi * t_s / kDayS - std::numbers::pi / 2);
}

TraceJob drawJob(const GeneratorSpec& spec, Rng& rng, const std::string& role, int64_t arrival_us,
                 int64_t n) {
  TraceJob job;
  job.arrival_us = arrival_us;
  job.role = role;
  job.framework =
      spec.frameworks_per_role > 1
          ? fmt::format("{}-{}", role, rng.below(static_cast<uint64_t>(spec.frameworks_per_role)))
          : role;
  job.job = fmt::format("{}-{}", role, n);
  // Geometric on {0, 1, ...} with mean tasks_mean - 1, plus one.
  const double extra_mean = spec.tasks_mean - 1;
  int64_t extra = 0;
  if (extra_mean > 0) {
    const double p = 1 / (1 + extra_mean);
    extra = static_cast<int64_t>(std::floor(std::log1p(-rng.uniform()) / std::log1p(-p)));
  }
  job.tasks = std::clamp<int64_t>(1 + extra, 1, spec.tasks_max);
  job.cpus_milli = spec.cpus_milli[rng.below(spec.cpus_milli.size())];
  job.mem_milli = job.cpus_milli * spec.mem_per_cpu_milli / 1000;
  const double duration_s = rng.lognormal(spec.duration_median_s, spec.duration_sigma);
  job.duration_us = std::clamp(static_cast<int64_t>(std::llround(duration_s * 1e6)),
                               spec.duration_min_us, spec.duration_max_us);
  return job;
}

}  // namespace

Status validate(const GeneratorSpec& spec) {
  if (spec.rates.empty()) {
    return bad("roles", "is required: role=jobs_per_second,... (e.g. batch=2,service=0.5)");
  }
  for (const auto& [role, rate] : spec.rates) {
    if (Status s = roles::validate(role); !s.isOk()) {
      return bad("roles", fmt::format("role '{}': {}", role, s.message()));
    }
    if (!(rate > 0 && rate <= 1e5)) {
      return bad("roles", fmt::format("rate of '{}' must be in (0, 100000] jobs/s", role));
    }
  }
  if (spec.span_us <= 0 || spec.span_us > kMaxTraceSpanUs) {
    return bad("span", "must be in (0, 366days]");
  }
  if (!(spec.diurnal >= 0 && spec.diurnal < 1)) {
    return bad("diurnal", "must be in [0, 1)");
  }
  if (spec.frameworks_per_role < 1 || spec.frameworks_per_role > 100000) {
    return bad("frameworks_per_role", "must be in [1, 100000]");
  }
  if (!(spec.tasks_mean >= 1) || spec.tasks_max < 1 || spec.tasks_max > kMaxTasksPerJob) {
    return bad("tasks_mean", "must be at least 1 (and --tasks_max in [1, 1000000])");
  }
  if (spec.cpus_milli.empty() ||
      std::any_of(spec.cpus_milli.begin(), spec.cpus_milli.end(),
                  [](int64_t c) { return c < 1 || c > kMaxCpusMilli; })) {
    return bad("task_cpus", "must list cpus in [0.001, 1000000]");
  }
  if (spec.mem_per_cpu_milli < 0 || spec.mem_per_cpu_milli > kMaxMemMilli / 1000) {
    return bad("mem_per_cpu", "must be in [0, 1073741] MB");
  }
  if (!(spec.duration_median_s > 0) || !(spec.duration_sigma >= 0 && spec.duration_sigma <= 10) ||
      spec.duration_min_us < 1 || spec.duration_max_us < spec.duration_min_us ||
      spec.duration_max_us > kMaxTraceSpanUs) {
    return bad("duration_median",
               "must be positive, --duration_sigma in [0, 10], and 0 < --duration_min <= "
               "--duration_max <= 366days");
  }
  return {};
}

std::vector<TraceJob> generateTrace(const GeneratorSpec& spec) {
  std::vector<TraceJob> jobs;
  for (size_t r = 0; r < spec.rates.size(); ++r) {
    const auto& [role, rate] = spec.rates[r];
    Rng rng(spec.seed * 0x100000001b3ULL + r + 1);
    const double peak = rate * (1 + spec.diurnal);  // thinning: candidates at the peak rate
    double t_s = 0;
    int64_t n = 0;
    while (true) {
      t_s += rng.exponential(1 / peak);
      const auto arrival_us = static_cast<int64_t>(std::llround(t_s * 1e6));
      if (arrival_us >= spec.span_us) {
        break;
      }
      if (rng.uniform() * (1 + spec.diurnal) >= rateFactor(spec, t_s)) {
        continue;
      }
      jobs.push_back(drawJob(spec, rng, role, arrival_us, n++));
    }
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const TraceJob& a, const TraceJob& b) {
    return a.arrival_us < b.arrival_us;
  });
  return jobs;
}

}  // namespace plateau::sim::replay
