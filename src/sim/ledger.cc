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

void LatencySamples::add(double seconds, bool steady) {
  samples_.push_back(seconds);
  if (steady || steady_on_) {
    if (!steady_) {
      steady_ = std::make_shared<LatencySamples>();
    }
    steady_->add(seconds);
  }
}

const LatencySamples& LatencySamples::steady() const {
  static const LatencySamples kNone;
  return steady_ ? *steady_ : kNone;
}

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
  steady_launched_ += isSteady(at) ? 1 : 0;
  wait_for_offer_.add(seconds(it->second.submitted, at), isSteady(it->second.submitted));
}

void TaskLedger::atAgent(const std::string& task_id, TimePoint at) {
  auto it = live_.find(task_id);
  if (it == live_.end() || !it->second.was_launched || it->second.was_at_agent) {
    return;
  }
  it->second.was_at_agent = true;
  counts_.at_agent++;
  accept_to_agent_.add(seconds(it->second.launched, at), isSteady(it->second.launched));
}

void TaskLedger::running(const std::string& task_id, TimePoint at) {
  auto it = live_.find(task_id);
  if (it == live_.end() || !it->second.was_launched || it->second.was_running) {
    return;
  }
  it->second.was_running = true;
  counts_.running++;
  launch_to_running_.add(seconds(it->second.launched, at), isSteady(it->second.launched));
  submit_to_running_.add(seconds(it->second.submitted, at), isSteady(it->second.submitted));
  running_now_++;
  if (!steady_since_ && steady_threshold_ > 0 && running_now_ >= steady_threshold_) {
    steady_since_ = at;
  }
}

void TaskLedger::ended(const std::string& task_id, End how, TimePoint /*at*/) {
  auto it = live_.find(task_id);
  if (it == live_.end()) {
    return;  // a duplicate terminal update, or a task this run did not submit
  }
  running_now_ -= it->second.was_running ? 1 : 0;
  live_.erase(it);
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
