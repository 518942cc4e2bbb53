#include "agent/sandbox_gc.h"

#include <algorithm>
#include <utility>

namespace plateau::agent {

SandboxGc::SandboxGc(Timers& timers, const Clock& clock, Options options, Remover remover)
    : timers_(timers), clock_(clock), options_(options), remover_(std::move(remover)) {}

SandboxGc::~SandboxGc() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

std::chrono::nanoseconds SandboxGc::maxAge(std::chrono::nanoseconds gc_delay, double headroom,
                                           double usage) {
  double share = std::max(0.0, 1.0 - headroom - usage);
  return std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(gc_delay.count()) * std::min(1.0, share)));
}

void SandboxGc::schedule(const std::string& path, Clock::TimePoint changed) {
  unschedule(path);
  by_path_.emplace(path, schedule_.emplace(changed, path));
  arm();
}

bool SandboxGc::unschedule(const std::string& path) {
  auto found = by_path_.find(path);
  if (found == by_path_.end()) {
    return false;
  }
  schedule_.erase(found->second);
  by_path_.erase(found);
  return true;
}

size_t SandboxGc::diskUsage(double usage) {
  auto age = maxAge(options_.gc_delay, options_.disk_headroom, usage);
  size_t removed = removeUpTo(clock_.now() - age);
  arm();
  return removed;
}

size_t SandboxGc::removeUpTo(Clock::TimePoint cutoff) {
  size_t removed = 0;
  while (!schedule_.empty() && schedule_.begin()->first <= cutoff) {
    std::string path = std::move(schedule_.begin()->second);
    schedule_.erase(schedule_.begin());
    by_path_.erase(path);
    remover_(path);
    ++removed;
  }
  return removed;
}

void SandboxGc::arm() {
  if (schedule_.empty()) {
    if (timer_ != 0) {
      timers_.cancel(timer_);
      timer_ = 0;
    }
    return;
  }
  Clock::TimePoint due = schedule_.begin()->first + options_.gc_delay;
  if (timer_ != 0 && armed_for_ == due) {
    return;
  }
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
  armed_for_ = due;
  timer_ = timers_.after(std::max(due - clock_.now(), std::chrono::nanoseconds(0)), [this] {
    timer_ = 0;
    removeUpTo(clock_.now() - options_.gc_delay);
    arm();
  });
}

}  // namespace plateau::agent
