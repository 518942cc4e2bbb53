#include "sim/ledger.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace plateau::sim {

namespace {

double seconds(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

double LatencySamples::percentile(double p) const {
  if (samples_.empty()) {
    return 0;
  }
  if (!sorted_ || sorted_count_ != samples_.size()) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
    sorted_count_ = samples_.size();
  }
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(samples_.size())));
  return samples_[std::clamp<size_t>(rank, 1, samples_.size()) - 1];
}

double LatencySamples::mean() const {
  if (samples_.empty()) {
    return 0;
  }
  return std::accumulate(samples_.begin(), samples_.end(), 0.0) /
         static_cast<double>(samples_.size());
}

void TaskLedger::submitted(const std::string& task_id, TimePoint at) {
  if (live_.try_emplace(task_id, Entry{.submitted = at}).second) {
    counts_.submitted++;
  }
}

void TaskLedger::launched(const std::string& task_id, TimePoint at) {
  auto it = live_.find(task_id);
  if (it == live_.end() || it->second.was_launched) {
    return;
  }
  it->second.launched = at;
  it->second.was_launched = true;
  counts_.launched++;
  wait_for_offer_.add(seconds(it->second.submitted, at));
}

void TaskLedger::atAgent(const std::string& task_id, TimePoint at) {
  auto it = live_.find(task_id);
  if (it == live_.end() || !it->second.was_launched || it->second.was_at_agent) {
    return;
  }
  it->second.was_at_agent = true;
  counts_.at_agent++;
  accept_to_agent_.add(seconds(it->second.launched, at));
}

void TaskLedger::running(const std::string& task_id, TimePoint at) {
  auto it = live_.find(task_id);
  if (it == live_.end() || !it->second.was_launched || it->second.was_running) {
    return;
  }
  it->second.was_running = true;
  counts_.running++;
  launch_to_running_.add(seconds(it->second.launched, at));
}

void TaskLedger::ended(const std::string& task_id, End how, TimePoint /*at*/) {
  if (live_.erase(task_id) == 0) {
    return;  // a duplicate terminal update, or a task this run did not submit
  }
  switch (how) {
    case End::kFinished:
      counts_.finished++;
      break;
    case End::kKilled:
      counts_.killed++;
      break;
    case End::kFailed:
      counts_.failed++;
      break;
  }
}

}  // namespace plateau::sim
