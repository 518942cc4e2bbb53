#pragma once

// A simulated framework in the replay: the jobs it was given and not yet launched, and what it
// does with an offer (first fit over the oldest queued jobs).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sim/replay/trace.h"

namespace plateau::sim::replay {

// Tasks of one job launched together on one offer.
struct Launch {
  uint32_t job = 0;  // index into the trace
  int64_t count = 0;
};

// Guarantees: the queue holds jobs in arrival order, each with at least one task left; pack()
// takes no more than the offer holds and no more tasks than a job has left.
class FrameworkModel {
 public:
  FrameworkModel(std::string id, std::string role) : id_(std::move(id)), role_(std::move(role)) {}

  const std::string& id() const { return id_; }
  const std::string& role() const { return role_; }

  // A job arrived: all its tasks wait.
  void enqueue(uint32_t job, int64_t tasks);
  // Fills an offer of `cpus_milli` and `mem_milli`: looks at the first `lookahead` queued jobs
  // in order and launches as many tasks of each as still fit. Jobs fully launched leave the
  // queue. Returns what to launch (empty: nothing fits).
  std::vector<Launch> pack(int64_t cpus_milli, int64_t mem_milli, const std::vector<TraceJob>& jobs,
                           size_t lookahead);

  bool idle() const { return queue_.empty(); }
  int64_t pendingTasks() const { return pending_tasks_; }
  // The oldest queued job (the one waiting longest); requires !idle().
  uint32_t oldestJob() const { return queue_.front().job; }

  bool suppressed = false;

 private:
  struct Waiting {
    uint32_t job;
    int64_t left;
  };
  std::string id_;
  std::string role_;
  std::deque<Waiting> queue_;
  int64_t pending_tasks_ = 0;
};

}  // namespace plateau::sim::replay
