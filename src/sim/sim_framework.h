#pragma once

// One simulated framework's scheduler logic over the v1 scheduler API: it submits tasks of one
// shape at a steady rate, packs waiting tasks into the offers it gets (one ACCEPT per offer,
// the rest of the offer refused for `refuse_seconds`), declines offers it cannot or chooses
// not to use, SUPPRESSes when nothing waits and REVIVEs when tasks arrive, and acknowledges
// every update that carries a uuid. Each task carries its duration (label
// `plateau-sim/duration_ms`, and `sleep N` as its command for a real agent).
//
// No I/O: calls leave through Hooks::send, events come in through handle(), time through Clock
// and Timers. Loop thread only. Memory: the waiting tasks (a count, not a list) and the ledger's
// entries for its live tasks.

#include <cstdint>
#include <functional>
#include <string>

#include <mesos/v1/scheduler/scheduler.pb.h>

#include "runtime/clock.h"
#include "runtime/timers.h"
#include "sim/ledger.h"
#include "sim/workload.h"

namespace plateau::sim {

struct FrameworkStats {
  int64_t offers = 0;
  int64_t offers_accepted = 0;
  int64_t offers_declined = 0;
  int64_t rescinded = 0;
  int64_t suppress = 0;
  int64_t revive = 0;
  int64_t updates = 0;
  int64_t failures = 0;  // FAILURE events (executors exited)
  int64_t errors = 0;    // ERROR events

  void add(const FrameworkStats& other);
};

class SimFramework {
 public:
  struct Hooks {
    std::function<void(mesos::v1::scheduler::Call call)> send;
  };

  // `index` numbers the framework in the run (task ids are "<name>-<index>-<n>").
  SimFramework(const Clock& clock, Timers& timers, const FrameworkGroup& spec, int index,
               uint64_t seed, TaskLedger& ledger, Hooks hooks);
  ~SimFramework();
  SimFramework(const SimFramework&) = delete;
  SimFramework& operator=(const SimFramework&) = delete;

  // The FrameworkInfo to subscribe with (the id once known, for resubscription).
  mesos::v1::FrameworkInfo info() const;
  // The SUBSCRIBE call: info(), its id once known, and its roles as suppressed_roles while it
  // is suppressed, so that a suppression outlives a resubscription (to a new leader, which
  // would otherwise offer every agent it admits to a framework with nothing to launch).
  mesos::v1::scheduler::Call subscription() const;
  // Every event from the master. SUBSCRIBED starts the arrivals (once).
  void handle(const mesos::v1::scheduler::Event& event);
  // No task is submitted after this; waiting tasks are still launched.
  void stopArrivals();

  const std::string& frameworkId() const { return framework_id_; }
  bool subscribed() const { return !framework_id_.empty(); }
  int64_t waiting() const { return waiting_; }
  int64_t submitted() const { return submitted_; }
  const FrameworkStats& stats() const { return stats_; }

 private:
  void arrivals();
  void submit(int64_t n);
  void offers(const mesos::v1::scheduler::Event::Offers& offers);
  void update(const mesos::v1::TaskStatus& status);
  void maybeSuppress();
  mesos::v1::scheduler::Call call(mesos::v1::scheduler::Call::Type type) const;
  double nextDuration();

  const Clock& clock_;
  Timers& timers_;
  const FrameworkGroup spec_;
  const std::string name_;
  TaskLedger& ledger_;
  const Hooks hooks_;
  uint64_t rng_;
  std::string framework_id_;
  Clock::TimePoint arrivals_started_{};
  Timers::TimerId arrival_timer_ = 0;
  bool arrivals_stopped_ = false;
  bool suppressed_ = false;
  int64_t submitted_ = 0;
  int64_t waiting_ = 0;      // tasks submitted and not yet launched, oldest first
  int64_t next_launch_ = 0;  // sequence number of the oldest waiting task
  // Submission times of the waiting tasks are kept by the ledger (by task id).
  FrameworkStats stats_;
};

}  // namespace plateau::sim
