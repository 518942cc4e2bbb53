#pragma once

// The master's counters, named as Mesos names them in /metrics/snapshot.

#include <cstdint>

namespace plateau::master {

struct Metrics {
  uint64_t valid_status_updates = 0;
  uint64_t invalid_status_updates = 0;
  uint64_t valid_framework_to_executor_messages = 0;
  uint64_t valid_executor_to_framework_messages = 0;
  uint64_t agent_registrations = 0;
  uint64_t agent_reregistrations = 0;
  uint64_t agent_removals = 0;
  uint64_t frameworks_removed = 0;
  uint64_t offers_sent = 0;
  uint64_t offers_declined = 0;
  uint64_t offers_accepted = 0;
  uint64_t offers_rescinded = 0;
  uint64_t tasks_launched = 0;
  uint64_t tasks_finished = 0;
  uint64_t tasks_failed = 0;
  uint64_t tasks_killed = 0;
  uint64_t tasks_lost = 0;
  uint64_t tasks_error = 0;
  uint64_t tasks_dropped = 0;
  uint64_t tasks_gone = 0;
  uint64_t calls_received = 0;
  uint64_t calls_invalid = 0;
  uint64_t allocation_runs = 0;
  double allocation_last_ms = 0;
};

}  // namespace plateau::master
