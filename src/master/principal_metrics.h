#pragma once

// Mesos's per-principal scheduler call counters: frameworks/<principal>/messages_received and
// messages_processed in /metrics/snapshot (plateau_master_framework_principal_<hex of the
// principal>_messages_{received,processed}_total in /metrics), with a bound on how many
// principals are counted, so that principals that come and go never grow the master's memory or
// its metrics without end. Loop thread only.
//
// Guarantees:
// - A principal's pair is made when a call of a subscribing framework names it (counters() with
//   `create`) or when a framework of it is added; the empty principal is never counted.
// - A principal is live while at least one framework added with it has not been removed; else
//   it is idle, its pair kept (its counts stay readable) until room is needed.
// - At most `max` pairs exist. Making one more first drops the pair of the principal idle the
//   longest (its series leave both outputs); when every counted principal is live, the new one
//   is not counted (counters() returns null) until one becomes idle.
// - A pointer counters() returns dies when its pair is dropped: callers look it up again rather
//   than keep it across a wait.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "common/metrics.h"

namespace plateau::master {

class PrincipalMetrics {
 public:
  static constexpr size_t kMaxPrincipals = 1024;

  struct Counters {
    metrics::Counter* received;
    metrics::Counter* processed;
  };

  explicit PrincipalMetrics(metrics::Registry& registry, size_t max = kMaxPrincipals);
  PrincipalMetrics(const PrincipalMetrics&) = delete;
  PrincipalMetrics& operator=(const PrincipalMetrics&) = delete;

  // The pair of `principal`; made when absent if `create` and there is room (null otherwise).
  Counters* counters(const std::string& principal, bool create);
  // The framework `framework_id` is live with `principal` (again: a changed principal moves it).
  void frameworkAdded(const std::string& framework_id, const std::string& principal);
  // The framework is gone; its principal becomes idle with its last framework.
  void frameworkRemoved(const std::string& framework_id);

  // How many principals are counted now, and how many of them are idle.
  size_t size() const { return entries_.size(); }
  size_t idleCount() const { return idle_.size(); }

 private:
  struct Entry {
    Counters counters;
    uint64_t idle_since = 0;  // its key in idle_; 0 while live
  };

  // Drops the pair idle the longest; false when none is idle.
  bool dropOldestIdle();
  void becameIdle(const std::string& principal, Entry& entry);

  metrics::Registry& registry_;
  size_t max_;
  std::unordered_map<std::string, Entry> entries_;                     // by principal
  std::map<uint64_t, std::string> idle_;                               // idle order -> principal
  std::unordered_map<std::string, size_t> live_;                       // principal -> frameworks
  std::unordered_map<std::string, std::string> framework_principals_;  // framework id -> principal
  uint64_t idle_order_ = 0;
};

}  // namespace plateau::master
