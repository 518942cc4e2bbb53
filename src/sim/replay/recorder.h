#pragma once

// The replay's measurements: utilization integrated over virtual time, queueing delays per role,
// the longest wait, and periodic samples of shares and queues. Fills a ReplayReport.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/replay/report.h"
#include "sim/replay/trace.h"

namespace plateau::sim::replay {

// Guarantees: time only moves forward (advance() with an earlier time is ignored); the usage it
// integrates is what launched() added minus what finished() took away.
class Recorder {
 public:
  // Roles are indexed in the order given; totals are the cluster's cpus and mem (milli-units).
  Recorder(std::vector<std::string> roles, int64_t total_cpus_milli, int64_t total_mem_milli);

  // Integrates usage up to `now_us`.
  void advance(int64_t now_us);
  void submitted(uint32_t role, int64_t tasks) { roles_[role].submitted += tasks; }
  // `count` tasks of `job` (trace index) launched after waiting `delay_us`.
  void launched(uint32_t role, const TraceJob& job, uint32_t job_index, int64_t count,
                int64_t delay_us);
  void finished(const TraceJob& job, int64_t count);
  // Tasks still waiting at the end, the oldest of them since `wait_us`.
  void stillWaiting(uint32_t role, int64_t tasks, int64_t wait_us, uint32_t job_index);
  void sample(int64_t now_us, std::vector<double> shares, std::vector<int64_t> pending);

  int64_t launchedTasks() const { return launched_; }
  int64_t finishedTasks() const { return finished_; }

  // Fills the report's utilization, per-role figures (weights left as they are) and samples.
  void fill(ReplayReport& report, const std::vector<TraceJob>& jobs) const;

 private:
  struct PerRole {
    std::string name;
    int64_t submitted = 0;
    int64_t launched = 0;
    int64_t pending_at_end = 0;
    std::vector<std::pair<int64_t, int64_t>> delays;  // (delay us, tasks)
    int64_t longest_us = -1;
    uint32_t longest_job = 0;
  };
  static DelayStats stats(std::vector<std::pair<int64_t, int64_t>> delays);
  void noteWait(PerRole& r, int64_t wait_us, uint32_t job_index);

  std::vector<PerRole> roles_;
  double total_cpus_;
  double total_mem_;
  int64_t used_cpus_ = 0;
  int64_t used_mem_ = 0;
  int64_t now_us_ = 0;
  double cpu_integral_ = 0;  // milli-cpus × seconds
  double mem_integral_ = 0;
  double peak_cpu_ = 0;
  int64_t launched_ = 0;
  int64_t finished_ = 0;
  std::vector<Sample> samples_;
};

}  // namespace plateau::sim::replay
