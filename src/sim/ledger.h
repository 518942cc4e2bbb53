#pragma once

// What plateau-sim measures, task by task: when each task was submitted, launched (its ACCEPT
// sent), received by its agent (RUN_TASK), seen RUNNING by its scheduler and ended. Pure
// bookkeeping on the caller's clock; one entry per live task, erased once the task ended, so
// memory follows the tasks in flight, not the whole run. Loop thread only.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/clock.h"

namespace plateau::sim {

// Durations in seconds; percentiles by nearest rank over every sample (sorted when asked).
class LatencySamples {
 public:
  // Adds a sample; to the steady phase's too when `steady`, or once markSteady() was called.
  void add(double seconds, bool steady = false);
  size_t count() const { return samples_.size(); }
  // The p-th percentile (p in [0, 100]); 0 when there are no samples.
  double percentile(double p) const;
  double max() const { return percentile(100); }
  double mean() const;
  // From now on every sample also goes to a second set, `steady()`: the samples of the run's
  // steady phase, kept apart from the fill's (a Workload's `steady_after_running`).
  void markSteady() { steady_on_ = true; }
  const LatencySamples& steady() const;

 private:
  mutable std::vector<double> samples_;
  bool steady_on_ = false;
  std::shared_ptr<LatencySamples> steady_;  // created on the first steady sample
  mutable bool sorted_ = false;
  mutable size_t sorted_count_ = 0;
};

// How tasks ended, as their schedulers saw it.
struct TaskCounts {
  int64_t submitted = 0;
  int64_t launched = 0;  // in an ACCEPT's LAUNCH
  int64_t at_agent = 0;  // RUN_TASK reached a simulated agent
  int64_t running = 0;   // TASK_RUNNING seen by the scheduler
  int64_t finished = 0;
  int64_t killed = 0;
  int64_t failed = 0;  // FAILED, LOST, DROPPED, ERROR, GONE...
};

class TaskLedger {
 public:
  using TimePoint = Clock::TimePoint;

  void submitted(const std::string& task_id, TimePoint at);
  void launched(const std::string& task_id, TimePoint at);
  void atAgent(const std::string& task_id, TimePoint at);
  void running(const std::string& task_id, TimePoint at);
  // A terminal state: `finished` (TASK_FINISHED), `killed`, or anything else counted as failed.
  enum class End { kFinished, kKilled, kFailed };
  void ended(const std::string& task_id, End how, TimePoint at);

  const TaskCounts& counts() const { return counts_; }
  // Tasks submitted and not yet ended.
  size_t live() const { return live_.size(); }
  // Tasks seen TASK_RUNNING by their schedulers and not yet ended.
  int64_t runningNow() const { return running_now_; }

  // The steady phase: from the first time `runningNow()` reaches `threshold` (0: never), tasks
  // submitted or launched from then on are also sampled apart, in the `steady` samples below.
  void steadyAfterRunning(int64_t threshold) { steady_threshold_ = threshold; }
  // When the steady phase began, if it did.
  std::optional<TimePoint> steadySince() const { return steady_since_; }
  // The steady phase's samples: tasks submitted (wait for an offer) or launched (the others)
  // after it began.
  const LatencySamples& steadyWaitForOffer() const { return wait_for_offer_.steady(); }
  const LatencySamples& steadyAcceptToAgent() const { return accept_to_agent_.steady(); }
  const LatencySamples& steadyLaunchToRunning() const { return launch_to_running_.steady(); }
  const LatencySamples& steadySubmitToRunning() const { return submit_to_running_.steady(); }
  int64_t steadyLaunched() const { return steady_launched_; }
  // Submitted → ACCEPT sent: how long a task waited for an offer that fits.
  const LatencySamples& waitForOffer() const { return wait_for_offer_; }
  // ACCEPT sent → RUN_TASK at the agent: the master's handling of the launch.
  const LatencySamples& acceptToAgent() const { return accept_to_agent_; }
  // ACCEPT sent → TASK_RUNNING at the scheduler (the agent's start delay included).
  const LatencySamples& launchToRunning() const { return launch_to_running_; }
  // Submitted → TASK_RUNNING at the scheduler: what Kubernetes' pod start-up SLO measures (pod
  // created → running, seen by a watch), the wait for an offer included.
  const LatencySamples& submitToRunning() const { return submit_to_running_; }

 private:
  struct Entry {
    TimePoint submitted{};
    TimePoint launched{};
    bool was_launched = false;
    bool was_running = false;
    bool was_at_agent = false;
  };
  bool isSteady(TimePoint t) const { return steady_since_ && t >= *steady_since_; }

  TaskCounts counts_;
  int64_t running_now_ = 0;
  int64_t steady_threshold_ = 0;
  std::optional<TimePoint> steady_since_;
  int64_t steady_launched_ = 0;
  std::unordered_map<std::string, Entry> live_;
  LatencySamples wait_for_offer_;
  LatencySamples accept_to_agent_;
  LatencySamples launch_to_running_;
  LatencySamples submit_to_running_;
};

}  // namespace plateau::sim
