#pragma once

// The agent's metrics in one registry (common/metrics.h): Mesos's /metrics/snapshot keys
// ("slave/...") and values, and their Prometheus names. The members are declared, and so
// registered, in the order /metrics/snapshot lists them; the event-loop thread updates the
// counters directly and Agent sets the gauges from its state in a collect hook
// (state_json.cc).

#include <array>

#include "common/metrics.h"
#include "common/system_metrics.h"

namespace plateau::agent {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // slave/<name>_total, _used, _percent for one scalar resource.
  struct ResourceGauges {
    metrics::Gauge& total;
    metrics::Gauge& used;
    metrics::Gauge& percent;
  };
  // The scalar resources with metrics, in snapshot order.
  static constexpr std::array<const char*, 4> kResources = {"cpus", "mem", "disk", "gpus"};

  metrics::Registry registry;

  metrics::Gauge& registered;
  metrics::Gauge& uptime_secs;
  metrics::Gauge& frameworks_active;
  metrics::Gauge& executors_registering;
  metrics::Gauge& executors_running;
  metrics::Gauge& executors_terminating;
  metrics::Counter& executors_terminated;
  metrics::Counter& executors_preempted;  // destroyed by a QoS correction
  metrics::Gauge& tasks_staging;
  metrics::Gauge& tasks_starting;
  metrics::Gauge& tasks_running;
  metrics::Gauge& tasks_killing;
  metrics::Counter& tasks_finished;
  metrics::Counter& tasks_failed;
  metrics::Counter& tasks_killed;
  metrics::Counter& tasks_lost;
  metrics::Counter& valid_status_updates;
  metrics::Counter& invalid_status_updates;
  std::array<ResourceGauges, 4> resources;  // non-revocable
  // slave/<name>_revocable_total (the total last reported to the master), _used, _percent.
  std::array<ResourceGauges, 4> revocable;
  metrics::Counter& fetches_succeeded;
  metrics::Counter& fetches_failed;
  metrics::Gauge& fetcher_cache_total_bytes;
  metrics::Gauge& fetcher_cache_used_bytes;
  // The image store (agent/images/store.h), cumulative since the agent started.
  metrics::Gauge& image_pulls;
  metrics::Gauge& image_pull_failures;
  metrics::Gauge& image_cache_hits;
  metrics::Gauge& image_layers_stored;
  metrics::Gauge& image_bytes_pulled;
  // Containers whose destruction failed (Containerizer::destroyErrors()).
  metrics::Counter& container_destroy_errors;
  // Plateau: requests answered 429 past their client's --client_request_qps.
  metrics::Counter& requests_limited;
  // Mesos's system/* (the host's CPUs, load and memory), read at each scrape; after the above.
  metrics::SystemMetrics system;
};

}  // namespace plateau::agent
