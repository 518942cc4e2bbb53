// The master's metrics: Mesos's snapshot keys, Prometheus names in base units, HELP text.

#include "master/metrics.h"

#include <string>

#include <fmt/format.h>

namespace plateau::master {

namespace {

using metrics::Registry;

const metrics::Namer kNames("master/", "plateau_master_");

using metrics::kMegabytes;

// Prometheus's name, HELP wording and scale for one scalar resource.
struct Unit {
  std::string suffix;  // "" or "_bytes"
  std::string what;    // "CPUs", "memory (bytes)"
  double scale;
};

Unit unitOf(const std::string& resource) {
  if (resource == "mem") return {"_bytes", "memory in bytes", kMegabytes};
  if (resource == "disk") return {"_bytes", "disk in bytes", kMegabytes};
  if (resource == "gpus") return {"", "GPUs", 1};
  return {"", "CPUs", 1};
}

std::array<Metrics::ResourceGauges, 4> resourceGauges(Registry& r) {
  auto one = [&r](const std::string& name) {
    Unit unit = unitOf(name);
    return Metrics::ResourceGauges{
        kNames.gauge(r, name + "_total", name + "_capacity" + unit.suffix,
                     "Total " + unit.what + " of the registered agents.", unit.scale),
        kNames.gauge(r, name + "_used", name + "_used" + unit.suffix,
                     "Used " + unit.what + " (by tasks and executors) on the registered agents.",
                     unit.scale),
        kNames.gauge(r, name + "_percent", name + "_used_ratio",
                     "Fraction of the agents' " + unit.what.substr(0, unit.what.find(' ')) +
                         " in use, 0 to 1 (Mesos's <resource>_percent)."),
    };
  };
  return {one("cpus"), one("mem"), one("disk"), one("gpus")};
}

std::array<Metrics::AllocatorGauges, 4> allocatorGauges(Registry& r) {
  auto one = [&r](const std::string& name) {
    Unit unit = unitOf(name);
    std::string key = "allocator/mesos/resources/" + name;
    return Metrics::AllocatorGauges{
        r.gauge(kNames.info(key + "/total", "allocator_" + name + "_capacity" + unit.suffix,
                            "Total " + unit.what + " the allocator manages.", unit.scale)),
        r.gauge(kNames.info(key + "/offered_or_allocated",
                            "allocator_" + name + "_offered_or_allocated" + unit.suffix,
                            "Offered or allocated " + unit.what + ", as the allocator counts them.",
                            unit.scale)),
    };
  };
  return {one("cpus"), one("mem"), one("disk"), one("gpus")};
}

}  // namespace

Metrics::Metrics()
    : uptime_secs(kNames.gauge(registry, "uptime_secs", "uptime_seconds",
                               "Seconds since this master started.")),
      elected(kNames.gauge(registry, "elected", "elected", "1 while this master is the leader.")),
      slaves_active(kNames.gauge(registry, "slaves_active", "agents_active", "Agents connected.")),
      slaves_inactive(kNames.gauge(registry, "slaves_inactive", "agents_inactive",
                                   "Agents registered but not connected.")),
      slaves_connected(
          kNames.gauge(registry, "slaves_connected", "agents_connected", "Agents connected.")),
      slaves_disconnected(kNames.gauge(registry, "slaves_disconnected", "agents_disconnected",
                                       "Agents registered but disconnected.")),
      slaves_unreachable(kNames.gauge(registry, "slaves_unreachable", "agents_unreachable",
                                      "Agents marked unreachable (always 0: not tracked).")),
      agent_registrations(kNames.counter(registry, "slave_registrations",
                                         "agent_registrations_total",
                                         "Agents that registered for the first time.")),
      agent_reregistrations(kNames.counter(registry, "slave_reregistrations",
                                           "agent_reregistrations_total",
                                           "Agent re-registrations.")),
      agent_removals(
          kNames.counter(registry, "slave_removals", "agent_removals_total", "Agents removed.")),
      frameworks_active(kNames.gauge(registry, "frameworks_active", "frameworks_active",
                                     "Frameworks that are active (not deactivated).")),
      frameworks_inactive(kNames.gauge(registry, "frameworks_inactive", "frameworks_inactive",
                                       "Frameworks that are deactivated.")),
      frameworks_connected(kNames.gauge(registry, "frameworks_connected", "frameworks_connected",
                                        "Frameworks with an open subscription.")),
      frameworks_disconnected(kNames.gauge(registry, "frameworks_disconnected",
                                           "frameworks_disconnected",
                                           "Frameworks without an open subscription.")),
      outstanding_offers(kNames.gauge(registry, "outstanding_offers", "outstanding_offers",
                                      "Offers sent and not yet accepted, declined or rescinded.")),
      tasks_staging(
          kNames.gauge(registry, "tasks_staging", "tasks_staging", "Tasks in TASK_STAGING.")),
      tasks_starting(
          kNames.gauge(registry, "tasks_starting", "tasks_starting", "Tasks in TASK_STARTING.")),
      tasks_running(
          kNames.gauge(registry, "tasks_running", "tasks_running", "Tasks in TASK_RUNNING.")),
      tasks_killing(
          kNames.gauge(registry, "tasks_killing", "tasks_killing", "Tasks in TASK_KILLING.")),
      tasks_unreachable(kNames.gauge(registry, "tasks_unreachable", "tasks_unreachable",
                                     "Tasks in TASK_UNREACHABLE (always 0: not tracked).")),
      tasks_finished(kNames.counter(registry, "tasks_finished", "tasks_finished_total",
                                    "Tasks that ended in TASK_FINISHED.")),
      tasks_failed(kNames.counter(registry, "tasks_failed", "tasks_failed_total",
                                  "Tasks that ended in TASK_FAILED.")),
      tasks_killed(kNames.counter(registry, "tasks_killed", "tasks_killed_total",
                                  "Tasks that ended in TASK_KILLED.")),
      tasks_lost(kNames.counter(registry, "tasks_lost", "tasks_lost_total",
                                "Tasks that ended in TASK_LOST.")),
      tasks_error(kNames.counter(registry, "tasks_error", "tasks_error_total",
                                 "Tasks that ended in TASK_ERROR.")),
      tasks_dropped(kNames.counter(registry, "tasks_dropped", "tasks_dropped_total",
                                   "Tasks that ended in TASK_DROPPED.")),
      tasks_gone(kNames.counter(registry, "tasks_gone", "tasks_gone_total",
                                "Tasks that ended in TASK_GONE (and TASK_GONE_BY_OPERATOR).")),
      tasks_gone_by_operator(kNames.counter(registry, "tasks_gone_by_operator",
                                            "tasks_gone_by_operator_total",
                                            "Tasks that ended in TASK_GONE_BY_OPERATOR (always 0: "
                                            "counted in tasks_gone).")),
      valid_status_updates(kNames.counter(registry, "valid_status_updates",
                                          "valid_status_updates_total",
                                          "Status updates from agents that were accepted.")),
      invalid_status_updates(kNames.counter(registry, "invalid_status_updates",
                                            "invalid_status_updates_total",
                                            "Status updates from agents that were refused.")),
      valid_framework_to_executor_messages(
          kNames.counter(registry, "valid_framework_to_executor_messages",
                         "valid_framework_to_executor_messages_total",
                         "Framework messages forwarded to executors.")),
      valid_executor_to_framework_messages(
          kNames.counter(registry, "valid_executor_to_framework_messages",
                         "valid_executor_to_framework_messages_total",
                         "Executor messages forwarded to frameworks.")),
      offers_declined(kNames.counter(registry, "messages_decline_offers", "offers_declined_total",
                                     "Offers that frameworks declined.")),
      offers_accepted(kNames.counter(registry, "messages_accept_offers", "accept_calls_total",
                                     "ACCEPT calls from frameworks.")),
      offers_rescinded(kNames.counter(registry, "messages_offer_rescinded",
                                      "offers_rescinded_total", "Offers rescinded by the master.")),
      event_queue_messages(kNames.gauge(registry, "event_queue_messages", "event_queue_messages",
                                        "Messages waiting in the event queue (always 0).")),
      dropped_messages(kNames.counter(registry, "dropped_messages", "dropped_messages_total",
                                      "Messages dropped (always 0).")),
      resources(resourceGauges(registry)),
      allocator(allocatorGauges(registry)),
      allocation_runs(registry.counter(kNames.info(
          "allocator/mesos/allocation_runs", "allocation_runs_total", "Allocation rounds run."))),
      allocation_last_ms(registry.gauge(
          kNames.info("allocator/mesos/allocation_run_ms", "allocation_last_duration_seconds",
                      "Duration of the last allocation round.", 1e-3))),
      calls_received(
          registry.counter(kNames.info("plateau/calls_received", "scheduler_calls_received_total",
                                       "Scheduler API calls received."))),
      calls_invalid(
          registry.counter(kNames.info("plateau/calls_invalid", "scheduler_calls_invalid_total",
                                       "Scheduler API calls refused as malformed."))),
      offers_sent(registry.counter(
          kNames.info("plateau/offers_sent", "offers_sent_total", "Offers sent to frameworks."))),
      tasks_launched(registry.counter(
          kNames.info("plateau/tasks_launched", "tasks_launched_total", "Tasks launched."))),
      frameworks_removed(registry.counter(kNames.info(
          "", "frameworks_removed_total", "Frameworks removed (torn down or failed over)."))),
      allocation_duration(registry.histogram(
          kNames.info("", "allocation_duration_seconds", "Duration of allocation rounds."),
          metrics::latencyBuckets())),
      scheduler_calls(registry.histograms(
          kNames.info(
              "", "scheduler_call_duration_seconds",
              "Scheduler API calls (POST /api/v1/scheduler) from receipt to answer, by call "
              "type; SUBSCRIBE until its stream opens."),
          "call", metrics::latencyBuckets())),
      operator_calls(registry.histograms(
          kNames.info("", "operator_call_duration_seconds",
                      "Operator API calls (POST /api/v1) from receipt to answer, by call type; "
                      "SUBSCRIBE until its stream opens."),
          "call", metrics::latencyBuckets())) {}

}  // namespace plateau::master
