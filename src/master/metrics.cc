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

// `kind` is "" or "_revocable" (the agents' oversubscribed resources).
std::array<AllocationMetrics::ResourceGauges, 4> resourceGauges(Registry& r,
                                                                const std::string& kind) {
  auto one = [&r, &kind](const std::string& resource) {
    Unit unit = unitOf(resource);
    const std::string name = resource + kind;
    const std::string what = (kind.empty() ? "" : "revocable ") + unit.what;
    return AllocationMetrics::ResourceGauges{
        kNames.gauge(r, name + "_total", name + "_capacity" + unit.suffix,
                     "Total " + what + " of the registered agents.", unit.scale),
        kNames.gauge(r, name + "_used", name + "_used" + unit.suffix,
                     "Used " + what + " (by tasks and executors) on the registered agents.",
                     unit.scale),
        kNames.gauge(r, name + "_percent", name + "_used_ratio",
                     std::string("Fraction of the agents' ") + (kind.empty() ? "" : "revocable ") +
                         unit.what.substr(0, unit.what.find(' ')) +
                         " in use, 0 to 1 (Mesos's <resource>" + kind + "_percent)."),
    };
  };
  return {one("cpus"), one("mem"), one("disk"), one("gpus")};
}

std::array<AllocationMetrics::AllocatorGauges, 4> allocatorGauges(Registry& r) {
  auto one = [&r](const std::string& name) {
    Unit unit = unitOf(name);
    std::string key = "allocator/mesos/resources/" + name;
    return AllocationMetrics::AllocatorGauges{
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

LeadershipMetrics leadershipMetrics(Registry& r) {
  return {
      .uptime_secs =
          kNames.gauge(r, "uptime_secs", "uptime_seconds", "Seconds since this master started."),
      .elected = kNames.gauge(r, "elected", "elected", "1 while this master is the leader."),
  };
}

AgentMetrics agentMetrics(Registry& r) {
  return {
      .slaves_active = kNames.gauge(r, "slaves_active", "agents_active", "Agents connected."),
      .slaves_inactive = kNames.gauge(r, "slaves_inactive", "agents_inactive",
                                      "Agents registered but not connected."),
      .slaves_connected =
          kNames.gauge(r, "slaves_connected", "agents_connected", "Agents connected."),
      .slaves_disconnected = kNames.gauge(r, "slaves_disconnected", "agents_disconnected",
                                          "Agents registered but disconnected."),
      .slaves_unreachable = kNames.gauge(r, "slaves_unreachable", "agents_unreachable",
                                         "Agents the registry holds as unreachable."),
      .agent_registrations = kNames.counter(r, "slave_registrations", "agent_registrations_total",
                                            "Agents that registered for the first time."),
      .agent_reregistrations = kNames.counter(
          r, "slave_reregistrations", "agent_reregistrations_total", "Agent re-registrations."),
      .agent_removals =
          kNames.counter(r, "slave_removals", "agent_removals_total", "Agents removed."),
  };
}

FrameworkMetrics frameworkMetrics(Registry& r) {
  return {
      .frameworks_active = kNames.gauge(r, "frameworks_active", "frameworks_active",
                                        "Frameworks that are active (not deactivated)."),
      .frameworks_inactive = kNames.gauge(r, "frameworks_inactive", "frameworks_inactive",
                                          "Frameworks that are deactivated."),
      .frameworks_connected = kNames.gauge(r, "frameworks_connected", "frameworks_connected",
                                           "Frameworks with an open subscription."),
      .frameworks_disconnected =
          kNames.gauge(r, "frameworks_disconnected", "frameworks_disconnected",
                       "Frameworks without an open subscription."),
      .outstanding_offers =
          kNames.gauge(r, "outstanding_offers", "outstanding_offers",
                       "Offers sent and not yet accepted, declined or rescinded."),
  };
}

// tasks_<state>: the live tasks in TASK_<STATE>.
metrics::Gauge& liveTasks(Registry& r, const std::string& state, const std::string& help) {
  return kNames.gauge(r, "tasks_" + state, "tasks_" + state, help);
}

// tasks_<state>: the tasks that ended in TASK_<STATE>.
metrics::Counter& endedTasks(Registry& r, const std::string& state, const std::string& help) {
  return kNames.counter(r, "tasks_" + state, "tasks_" + state + "_total", help);
}

TaskMetrics taskMetrics(Registry& r) {
  return {
      .tasks_staging = liveTasks(r, "staging", "Tasks in TASK_STAGING."),
      .tasks_starting = liveTasks(r, "starting", "Tasks in TASK_STARTING."),
      .tasks_running = liveTasks(r, "running", "Tasks in TASK_RUNNING."),
      .tasks_killing = liveTasks(r, "killing", "Tasks in TASK_KILLING."),
      .tasks_unreachable = liveTasks(
          r, "unreachable", "Tasks listed unreachable (their agent was marked unreachable)."),
      .tasks_finished = endedTasks(r, "finished", "Tasks that ended in TASK_FINISHED."),
      .tasks_failed = endedTasks(r, "failed", "Tasks that ended in TASK_FAILED."),
      .tasks_killed = endedTasks(r, "killed", "Tasks that ended in TASK_KILLED."),
      .tasks_lost = endedTasks(r, "lost", "Tasks that ended in TASK_LOST."),
      .tasks_error = endedTasks(r, "error", "Tasks that ended in TASK_ERROR."),
      .tasks_dropped = endedTasks(r, "dropped", "Tasks that ended in TASK_DROPPED."),
      .tasks_gone =
          endedTasks(r, "gone", "Tasks that ended in TASK_GONE (and TASK_GONE_BY_OPERATOR)."),
      .tasks_gone_by_operator = endedTasks(
          r, "gone_by_operator",
          "Tasks that ended in TASK_GONE_BY_OPERATOR (always 0: counted in tasks_gone)."),
  };
}

MessageMetrics messageMetrics(Registry& r) {
  return {
      .valid_status_updates =
          kNames.counter(r, "valid_status_updates", "valid_status_updates_total",
                         "Status updates from agents that were accepted."),
      .invalid_status_updates =
          kNames.counter(r, "invalid_status_updates", "invalid_status_updates_total",
                         "Status updates from agents that were refused."),
      .status_updates_batched = r.counter(kNames.info(
          "plateau/status_updates_batched", "status_updates_batched_total",
          "Status updates that came several to one agent call (AgentCall.status_updates).")),
      .status_updates_deferred = r.counter(kNames.info(
          "plateau/status_updates_deferred", "status_updates_deferred_total",
          "Agents' status updates not forwarded while the framework's event stream was half-way "
          "to its bound; the agent sends each again until it is acknowledged.")),
      .valid_framework_to_executor_messages = kNames.counter(
          r, "valid_framework_to_executor_messages", "valid_framework_to_executor_messages_total",
          "Framework messages forwarded to executors."),
      .valid_executor_to_framework_messages = kNames.counter(
          r, "valid_executor_to_framework_messages", "valid_executor_to_framework_messages_total",
          "Executor messages forwarded to frameworks."),
      .offers_declined = kNames.counter(r, "messages_decline_offers", "offers_declined_total",
                                        "Offers that frameworks declined."),
      .offers_accepted = kNames.counter(r, "messages_accept_offers", "accept_calls_total",
                                        "ACCEPT calls from frameworks."),
      .offers_rescinded = kNames.counter(r, "messages_offer_rescinded", "offers_rescinded_total",
                                         "Offers rescinded by the master."),
      .event_queue_messages = kNames.gauge(r, "event_queue_messages", "event_queue_messages",
                                           "Messages waiting in the event queue (always 0)."),
      .dropped_messages =
          kNames.counter(r, "dropped_messages", "dropped_messages_total",
                         "Calls dropped past their principal's --rate_limits capacity."),
      .requests_limited = kNames.counter(
          r, "requests_limited", "requests_limited_total",
          "Requests answered 429 past their client's --client_request_qps or --agent_call_qps."),
  };
}

AllocationMetrics allocationMetrics(Registry& r) {
  return {
      .resources = resourceGauges(r, ""),
      .revocable = resourceGauges(r, "_revocable"),
      .allocator = allocatorGauges(r),
      .allocation_runs = r.counter(kNames.info("allocator/mesos/allocation_runs",
                                               "allocation_runs_total", "Allocation rounds run.")),
      .allocation_last_ms = r.gauge(kNames.info("allocator/mesos/allocation_run_ms",
                                                "allocation_last_duration_seconds",
                                                "Duration of the last allocation round.", 1e-3)),
  };
}

PlateauMetrics plateauMetrics(Registry& r) {
  return {
      .calls_received =
          r.counter(kNames.info("plateau/calls_received", "scheduler_calls_received_total",
                                "Scheduler API calls received.")),
      .calls_invalid =
          r.counter(kNames.info("plateau/calls_invalid", "scheduler_calls_invalid_total",
                                "Scheduler API calls refused as malformed.")),
      .offers_sent = r.counter(
          kNames.info("plateau/offers_sent", "offers_sent_total", "Offers sent to frameworks.")),
      .offers_paused = r.counter(kNames.info(
          "plateau/offers_paused", "offers_paused_total",
          "Times a framework's offers were held back until its lagging event stream caught up.")),
      .tasks_launched = r.counter(
          kNames.info("plateau/tasks_launched", "tasks_launched_total", "Tasks launched.")),
      .event_loop_stall_ms =
          r.gauge(kNames.info("plateau/event_loop_stall_ms", "event_loop_stall_recent_seconds",
                              "Longest event loop stall in the last 10 seconds.", 1e-3)),
      .event_loop_busy_ms = r.gauge(kNames.info(
          "plateau/event_loop_busy_ms", "event_loop_busy_recent_seconds",
          "Longest stretch of event loop CPU without a turn in the last 10 seconds.", 1e-3)),
      .event_loop_stall =
          r.histogram(kNames.info("", "event_loop_stall_seconds",
                                  "How late each event loop watch tick (every 10 ms) came."),
                      metrics::latencyBuckets()),
      .frameworks_removed = r.counter(kNames.info(
          "", "frameworks_removed_total", "Frameworks removed (torn down or failed over).")),
      .allocation_duration = r.histogram(
          kNames.info("", "allocation_duration_seconds", "Duration of allocation rounds."),
          metrics::latencyBuckets()),
      .scheduler_calls = r.histograms(
          kNames.info("", "scheduler_call_duration_seconds",
                      "Scheduler API calls (POST /api/v1/scheduler) from receipt to answer, by "
                      "call type; SUBSCRIBE until its stream opens."),
          "call", metrics::latencyBuckets()),
      .operator_calls = r.histograms(
          kNames.info("", "operator_call_duration_seconds",
                      "Operator API calls (POST /api/v1) from receipt to answer, by call type; "
                      "SUBSCRIBE until its stream opens."),
          "call", metrics::latencyBuckets()),
  };
}

}  // namespace

Metrics::Metrics()
    : LeadershipMetrics(leadershipMetrics(registry)),
      AgentMetrics(agentMetrics(registry)),
      FrameworkMetrics(frameworkMetrics(registry)),
      TaskMetrics(taskMetrics(registry)),
      MessageMetrics(messageMetrics(registry)),
      AllocationMetrics(allocationMetrics(registry)),
      PlateauMetrics(plateauMetrics(registry)),
      system("plateau_master_") {
  registry.addSource(&system);
}

}  // namespace plateau::master
