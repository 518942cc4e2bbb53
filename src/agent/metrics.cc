// The agent's metrics: Mesos's snapshot keys, Prometheus names in base units, HELP text.

#include "agent/metrics.h"

#include <string>

namespace plateau::agent {

namespace {

using metrics::Registry;

const metrics::Namer kNames("slave/", "plateau_agent_");

using metrics::kMegabytes;

// `kind` is "" or "_revocable" (the oversubscribed resources, docs/compatibility.md).
std::array<Metrics::ResourceGauges, 4> resourceGauges(Registry& r, const std::string& kind) {
  auto one = [&r, &kind](const std::string& resource) {
    const std::string name = resource + kind;
    const std::string what_kind = kind.empty() ? "" : " revocable";
    bool megabytes = resource == "mem" || resource == "disk";
    std::string suffix = megabytes ? "_bytes" : "";
    double scale = megabytes ? kMegabytes : 1;
    std::string what = resource == "mem"    ? "memory in bytes"
                       : resource == "disk" ? "disk in bytes"
                       : resource == "gpus" ? "GPUs"
                                            : "CPUs";
    return Metrics::ResourceGauges{
        kNames.gauge(r, name + "_total", name + "_capacity" + suffix,
                     "Total" + what_kind + " " + what + " this agent offers.", scale),
        kNames.gauge(r, name + "_used", name + "_used" + suffix,
                     "Used" + what_kind + " " + what + " (by tasks and executors) on this agent.",
                     scale),
        kNames.gauge(r, name + "_percent", name + "_used_ratio",
                     "Fraction of this agent's" + what_kind + " " + what.substr(0, what.find(' ')) +
                         " in use, 0 to 1 (Mesos's <resource>" + kind + "_percent)."),
    };
  };
  return {one("cpus"), one("mem"), one("disk"), one("gpus")};
}

}  // namespace

Metrics::Metrics()
    : registered(kNames.gauge(registry, "registered", "registered",
                              "1 while this agent is registered with a master.")),
      uptime_secs(kNames.gauge(registry, "uptime_secs", "uptime_seconds",
                               "Seconds since this agent started.")),
      frameworks_active(kNames.gauge(registry, "frameworks_active", "frameworks_active",
                                     "Frameworks with executors or tasks on this agent.")),
      executors_registering(kNames.gauge(registry, "executors_registering", "executors_registering",
                                         "Executors registering (always 0: not tracked).")),
      executors_running(
          kNames.gauge(registry, "executors_running", "executors_running", "Executors running.")),
      executors_terminating(kNames.gauge(registry, "executors_terminating", "executors_terminating",
                                         "Executors terminating (always 0: not tracked).")),
      executors_terminated(kNames.counter(registry, "executors_terminated",
                                          "executors_terminated_total",
                                          "Executors that terminated.")),
      executors_preempted(kNames.counter(registry, "executors_preempted",
                                         "executors_preempted_total",
                                         "Executors destroyed by a QoS correction.")),
      tasks_staging(kNames.gauge(registry, "tasks_staging", "tasks_staging",
                                 "Tasks queued for an executor that has not registered yet.")),
      tasks_starting(
          kNames.gauge(registry, "tasks_starting", "tasks_starting", "Tasks in TASK_STARTING.")),
      tasks_running(
          kNames.gauge(registry, "tasks_running", "tasks_running", "Tasks in TASK_RUNNING.")),
      tasks_killing(
          kNames.gauge(registry, "tasks_killing", "tasks_killing", "Tasks in TASK_KILLING.")),
      tasks_finished(kNames.counter(registry, "tasks_finished", "tasks_finished_total",
                                    "Tasks that ended in TASK_FINISHED.")),
      tasks_failed(kNames.counter(registry, "tasks_failed", "tasks_failed_total",
                                  "Tasks that ended in TASK_FAILED.")),
      tasks_killed(kNames.counter(registry, "tasks_killed", "tasks_killed_total",
                                  "Tasks that ended in TASK_KILLED.")),
      tasks_lost(kNames.counter(registry, "tasks_lost", "tasks_lost_total",
                                "Tasks that ended in TASK_LOST.")),
      valid_status_updates(kNames.counter(registry, "valid_status_updates",
                                          "valid_status_updates_total",
                                          "Status updates from executors that were accepted.")),
      invalid_status_updates(kNames.counter(registry, "invalid_status_updates",
                                            "invalid_status_updates_total",
                                            "Status updates from executors that were refused.")),
      resources(resourceGauges(registry, "")),
      revocable(resourceGauges(registry, "_revocable")),
      fetches_succeeded(registry.counter(kNames.info("containerizer/fetcher/task_fetches_succeeded",
                                                     "fetcher_task_fetches_succeeded_total",
                                                     "Tasks whose URIs were all fetched."))),
      fetches_failed(registry.counter(kNames.info("containerizer/fetcher/task_fetches_failed",
                                                  "fetcher_task_fetches_failed_total",
                                                  "Tasks whose URIs could not be fetched."))),
      fetcher_cache_total_bytes(registry.gauge(
          kNames.info("containerizer/fetcher/cache_size_total_bytes",
                      "fetcher_cache_capacity_bytes", "Size of the fetcher cache in bytes."))),
      fetcher_cache_used_bytes(registry.gauge(
          kNames.info("containerizer/fetcher/cache_size_used_bytes", "fetcher_cache_used_bytes",
                      "Bytes in use in the fetcher cache."))),
      image_pulls(registry.gauge(kNames.info("containerizer/images/pulls", "image_pulls",
                                             "Images pulled into the store since the start."))),
      image_pull_failures(
          registry.gauge(kNames.info("containerizer/images/pull_failures", "image_pull_failures",
                                     "Image pulls that failed since the start."))),
      image_cache_hits(registry.gauge(
          kNames.info("containerizer/images/cache_hits", "image_cache_hits",
                      "Containers whose image was already in the store (or being pulled)."))),
      image_layers_stored(
          registry.gauge(kNames.info("containerizer/images/layers_stored", "image_layers_stored",
                                     "Layers unpacked into the store since the start."))),
      image_bytes_pulled(
          registry.gauge(kNames.info("containerizer/images/bytes_pulled", "image_bytes_pulled",
                                     "Blob bytes downloaded from registries since the start."))),
      container_destroy_errors(registry.counter(kNames.info(
          "containerizer/mesos/container_destroy_errors", "container_destroy_errors_total",
          "Containers whose destruction failed (cgroups left past --cgroups_destroy_timeout)."))),
      requests_limited(
          kNames.counter(registry, "requests_limited", "requests_limited_total",
                         "Requests answered 429 past their client's --client_request_qps.")),
      system("plateau_agent_") {
  registry.addSource(&system);
}

}  // namespace plateau::agent
