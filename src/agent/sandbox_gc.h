#pragma once

// Garbage collection of the sandboxes of what ended on this agent (executors' runs, and with
// --gc_non_executor_container_sandboxes standalone containers'), as mesos-agent's --gc_delay,
// --gc_disk_headroom and --disk_watch_interval define it. Guarantees:
//  - a path scheduled with its last change at time t is removed at t + gc_delay at the latest
//    (one timer, armed for the earliest removal);
//  - a disk usage reading u removes at once every scheduled path older than
//    maxAge(gc_delay, headroom, u) = gc_delay * max(0, 1 - headroom - u): a fuller disk shortens
//    the wait, down to nothing when usage reaches 1 - headroom;
//  - a path is removed once at most, and never after unschedule(); a path scheduled again keeps
//    its latest time;
//  - removal is the Remover's (the agent's: recursive removal, then the empty folders above the
//    path up to the stop folder the agent names); this component only decides when.
// Every read of time goes through the Clock and every wait through the Timers: a unit test runs
// it in virtual time. Loop thread only.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::agent {

class SandboxGc {
 public:
  struct Options {
    std::chrono::nanoseconds gc_delay = std::chrono::hours(24 * 7);  // Mesos's 1weeks
    double disk_headroom = 0.1;                                      // Mesos's 0.1
  };
  // Removes `path` (and whatever it holds); called on the loop thread.
  using Remover = std::function<void(const std::string& path)>;

  SandboxGc(Timers& timers, const Clock& clock, Options options, Remover remover);
  ~SandboxGc();
  SandboxGc(const SandboxGc&) = delete;
  SandboxGc& operator=(const SandboxGc&) = delete;

  // The longest a scheduled path waits at disk usage `usage` (0..1): gc_delay scaled by the
  // share of the disk left above the headroom, never negative.
  static std::chrono::nanoseconds maxAge(std::chrono::nanoseconds gc_delay, double headroom,
                                         double usage);

  // Schedules `path`, last changed at `changed`, for removal gc_delay after that (at once when
  // that has passed).
  void schedule(const std::string& path, Clock::TimePoint changed);
  // Drops `path` from the schedule; false when it was not scheduled.
  bool unschedule(const std::string& path);
  bool scheduled(const std::string& path) const { return by_path_.contains(path); }
  size_t size() const { return by_path_.size(); }
  // A disk usage reading (the share of the work directory's file system in use): removes every
  // scheduled path at least maxAge(usage) old. Returns how many were removed.
  size_t diskUsage(double usage);

 private:
  using Schedule = std::multimap<Clock::TimePoint, std::string>;  // changed time -> path

  // Removes every scheduled path changed at or before `cutoff`; returns how many.
  size_t removeUpTo(Clock::TimePoint cutoff);
  // Arms the one timer for the earliest removal (cancelling the one armed before).
  void arm();

  Timers& timers_;
  const Clock& clock_;
  Options options_;
  Remover remover_;
  Schedule schedule_;
  std::unordered_map<std::string, Schedule::iterator> by_path_;
  Timers::TimerId timer_ = 0;
  Clock::TimePoint armed_for_{};
};

}  // namespace plateau::agent
