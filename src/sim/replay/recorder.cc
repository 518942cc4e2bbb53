#include "sim/replay/recorder.h"

#include <algorithm>

#include <fmt/format.h>

namespace plateau::sim::replay {

Recorder::Recorder(std::vector<std::string> roles, int64_t total_cpus_milli,
                   int64_t total_mem_milli)
    : total_cpus_(static_cast<double>(total_cpus_milli)),
      total_mem_(static_cast<double>(total_mem_milli)) {
  for (auto& name : roles) {
    roles_.push_back(PerRole{.name = std::move(name)});
  }
}

void Recorder::advance(int64_t now_us) {
  if (now_us <= now_us_) {
    return;
  }
  const double dt = static_cast<double>(now_us - now_us_) / 1e6;
  cpu_integral_ += static_cast<double>(used_cpus_) * dt;
  mem_integral_ += static_cast<double>(used_mem_) * dt;
  now_us_ = now_us;
}

void Recorder::noteWait(PerRole& r, int64_t wait_us, uint32_t job_index) {
  if (wait_us > r.longest_us) {
    r.longest_us = wait_us;
    r.longest_job = job_index;
  }
}

void Recorder::launched(uint32_t role, const TraceJob& job, uint32_t job_index, int64_t count,
                        int64_t delay_us) {
  PerRole& r = roles_[role];
  r.launched += count;
  r.delays.emplace_back(delay_us, count);
  noteWait(r, delay_us, job_index);
  used_cpus_ += count * job.cpus_milli;
  used_mem_ += count * job.mem_milli;
  launched_ += count;
  if (total_cpus_ > 0) {
    peak_cpu_ = std::max(peak_cpu_, static_cast<double>(used_cpus_) / total_cpus_);
  }
}

void Recorder::finished(const TraceJob& job, int64_t count) {
  used_cpus_ -= count * job.cpus_milli;
  used_mem_ -= count * job.mem_milli;
  finished_ += count;
}

void Recorder::stillWaiting(uint32_t role, int64_t tasks, int64_t wait_us, uint32_t job_index) {
  roles_[role].pending_at_end += tasks;
  noteWait(roles_[role], wait_us, job_index);
}

void Recorder::sample(int64_t now_us, std::vector<double> shares, std::vector<int64_t> pending) {
  samples_.push_back(Sample{.time_s = static_cast<double>(now_us) / 1e6,
                            .cpu_utilization = total_cpus_ > 0 ? used_cpus_ / total_cpus_ : 0,
                            .mem_utilization = total_mem_ > 0 ? used_mem_ / total_mem_ : 0,
                            .shares = std::move(shares),
                            .pending_tasks = std::move(pending)});
}

DelayStats Recorder::stats(std::vector<std::pair<int64_t, int64_t>> delays) {
  DelayStats d;
  std::sort(delays.begin(), delays.end());
  double sum = 0;
  for (auto [delay, count] : delays) {
    d.count += count;
    sum += static_cast<double>(delay) * static_cast<double>(count);
  }
  if (d.count == 0) {
    return d;
  }
  d.mean = sum / static_cast<double>(d.count) / 1e6;
  // The smallest delay with at least p% of the tasks at or below it (nearest rank).
  auto rank = [&](double p) {
    const auto needed = static_cast<int64_t>(std::max(1.0, std::ceil(p / 100 * d.count)));
    int64_t seen = 0;
    for (auto [delay, count] : delays) {
      seen += count;
      if (seen >= needed) {
        return static_cast<double>(delay) / 1e6;
      }
    }
    return static_cast<double>(delays.back().first) / 1e6;
  };
  d.p50 = rank(50);
  d.p90 = rank(90);
  d.p99 = rank(99);
  d.max = static_cast<double>(delays.back().first) / 1e6;
  return d;
}

void Recorder::fill(ReplayReport& report, const std::vector<TraceJob>& jobs) const {
  const double span = static_cast<double>(now_us_) / 1e6;
  report.simulated_s = span;
  report.mean_cpu_utilization =
      span > 0 && total_cpus_ > 0 ? cpu_integral_ / span / total_cpus_ : 0;
  report.mean_mem_utilization = span > 0 && total_mem_ > 0 ? mem_integral_ / span / total_mem_ : 0;
  report.peak_cpu_utilization = peak_cpu_;
  report.tasks_launched = launched_;
  report.tasks_finished = finished_;
  report.samples = samples_;
  report.roles.resize(roles_.size());
  for (size_t i = 0; i < roles_.size(); ++i) {
    const PerRole& r = roles_[i];
    RoleReport& out = report.roles[i];
    out.role = r.name;
    out.tasks_submitted = r.submitted;
    out.tasks_launched = r.launched;
    out.tasks_pending_at_end = r.pending_at_end;
    out.delay = stats(r.delays);
    double share_sum = 0;
    for (const Sample& s : samples_) {
      share_sum += s.shares[i];
      out.max_share = std::max(out.max_share, s.shares[i]);
    }
    out.mean_share = samples_.empty() ? 0 : share_sum / static_cast<double>(samples_.size());
    if (r.longest_us >= 0) {
      out.longest_wait_s = static_cast<double>(r.longest_us) / 1e6;
      const TraceJob& job = jobs[r.longest_job];
      out.longest_wait_job = job.job.empty() ? fmt::format("line {}", job.line) : job.job;
    }
  }
}

}  // namespace plateau::sim::replay
