#pragma once

// The master's metrics in one registry (common/metrics.h): Mesos's /metrics/snapshot keys and
// values, and their Prometheus names. Each group of series below is registered by one function
// (metrics.cc); Metrics is all of them, its bases registered in the order /metrics/snapshot
// lists them. The event-loop thread updates the counters directly and Master sets the gauges
// from its state in a collect hook (state_json.cc).

#include <array>
#include <cstdint>

#include "common/metrics.h"
#include "common/system_metrics.h"

namespace plateau::master {

// The registry every group registers into; the first base, so it exists before them.
struct MetricsRegistry {
  metrics::Registry registry;
};

// How long this master has run, and whether it leads.
struct LeadershipMetrics {
  metrics::Gauge& uptime_secs;
  metrics::Gauge& elected;
};

// Agents by state, and their registrations and removals.
struct AgentMetrics {
  metrics::Gauge& slaves_active;
  metrics::Gauge& slaves_inactive;
  metrics::Gauge& slaves_connected;
  metrics::Gauge& slaves_disconnected;
  metrics::Gauge& slaves_unreachable;
  metrics::Counter& agent_registrations;
  metrics::Counter& agent_reregistrations;
  metrics::Counter& agent_removals;
};

// Frameworks by state, and the offers they hold.
struct FrameworkMetrics {
  metrics::Gauge& frameworks_active;
  metrics::Gauge& frameworks_inactive;
  metrics::Gauge& frameworks_connected;
  metrics::Gauge& frameworks_disconnected;
  metrics::Gauge& outstanding_offers;
};

// Live tasks by state, and tasks by the terminal state they ended in.
struct TaskMetrics {
  metrics::Gauge& tasks_staging;
  metrics::Gauge& tasks_starting;
  metrics::Gauge& tasks_running;
  metrics::Gauge& tasks_killing;
  metrics::Gauge& tasks_unreachable;
  metrics::Counter& tasks_finished;
  metrics::Counter& tasks_failed;
  metrics::Counter& tasks_killed;
  metrics::Counter& tasks_lost;
  metrics::Counter& tasks_error;
  metrics::Counter& tasks_dropped;
  metrics::Counter& tasks_gone;
  metrics::Counter& tasks_gone_by_operator;
};

// Status updates, framework messages and offer answers the master handled.
struct MessageMetrics {
  metrics::Counter& valid_status_updates;
  metrics::Counter& invalid_status_updates;
  metrics::Counter& status_updates_batched;  // Plateau: those that came several to a call
  // Plateau: agents' updates not forwarded while the framework's stream lagged (sent again).
  metrics::Counter& status_updates_deferred;
  metrics::Counter& valid_framework_to_executor_messages;
  metrics::Counter& valid_executor_to_framework_messages;
  metrics::Counter& offers_declined;
  metrics::Counter& offers_accepted;
  metrics::Counter& offers_rescinded;
  metrics::Gauge& event_queue_messages;
  metrics::Counter& dropped_messages;
  metrics::Counter& requests_limited;  // Plateau: 429s of --client_request_qps, --agent_call_qps
};

// The agents' scalar resources, as the master and the allocator count them, and allocation runs.
struct AllocationMetrics {
  // master/<name>_total, _used, _percent for one scalar resource.
  struct ResourceGauges {
    metrics::Gauge& total;
    metrics::Gauge& used;
    metrics::Gauge& percent;
  };
  // allocator/mesos/resources/<name>/total and /offered_or_allocated.
  struct AllocatorGauges {
    metrics::Gauge& total;
    metrics::Gauge& offered_or_allocated;
  };
  // The scalar resources with metrics, in snapshot order.
  static constexpr std::array<const char*, 4> kResources = {"cpus", "mem", "disk", "gpus"};

  std::array<ResourceGauges, 4> resources;  // non-revocable
  // master/<name>_revocable_total, _used, _percent: the agents' oversubscribed resources.
  std::array<ResourceGauges, 4> revocable;
  std::array<AllocatorGauges, 4> allocator;
  metrics::Counter& allocation_runs;
  metrics::Gauge& allocation_last_ms;
};

// Plateau's own series: under plateau/ in the snapshot, then Prometheus only.
struct PlateauMetrics {
  metrics::Counter& calls_received;
  metrics::Counter& calls_invalid;
  metrics::Counter& offers_sent;
  // Times a framework's offers were held back because its event stream lagged.
  metrics::Counter& offers_paused;
  metrics::Counter& tasks_launched;
  // The event loop's longest stall and busy gap in the last 10 s (loop_watch.h), milliseconds.
  metrics::Gauge& event_loop_stall_ms;
  metrics::Gauge& event_loop_busy_ms;
  // Prometheus only (not in Mesos's snapshot).
  metrics::Histogram& event_loop_stall;  // seconds each loop watch tick came late
  metrics::Counter& frameworks_removed;
  metrics::Histogram& allocation_duration;    // seconds per allocation round
  metrics::HistogramFamily& scheduler_calls;  // seconds per scheduler call, by call type
  metrics::HistogramFamily& operator_calls;   // seconds per operator call, by call type
};

// Every series of the master, registered on construction.
class Metrics : public MetricsRegistry,
                public LeadershipMetrics,
                public AgentMetrics,
                public FrameworkMetrics,
                public TaskMetrics,
                public MessageMetrics,
                public AllocationMetrics,
                public PlateauMetrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Mesos's system/* (the host's CPUs, load and memory), read at each scrape; the registry's
  // first source.
  metrics::SystemMetrics system;
};

}  // namespace plateau::master
