#include "jobs/flags.h"

namespace plateau::jobs {

void registerFlags(flags::FlagSet& set, Flags& f) {
  set.add("master", &f.master, "The master: host:port, http://host:port or zk://host:port/path");
  set.add("zk_hosts", &f.zk_hosts,
          "ZooKeeper servers (host:port,...) for state and leader election (not wired yet: see "
          "docs/jobs.md)");
  set.add("zk_path", &f.zk_path, "Path in ZooKeeper for state and leader election");
  set.add("zk_timeout", &f.zk_timeout, "ZooKeeper session timeout in milliseconds");
  set.add("http_address", &f.http_address, "Address the REST API listens on");
  set.add("http_port", &f.http_port, "Port of the REST API (0 picks a free one)");
  set.add("hostname", &f.hostname, "Hostname advertised to the master and in /leader");
  set.add("webui_url", &f.webui_url, "URL of this service's UI, registered with the master");
  set.add("cluster_name", &f.cluster_name, "Name of the cluster (informational)");
  set.add("mesos_role", &f.mesos_role, "Role the framework registers with (default '*')");
  set.add("mesos_authentication_principal", &f.mesos_authentication_principal,
          "Principal the framework authenticates to the master as");
  set.add("mesos_authentication_secret_file", &f.mesos_authentication_secret_file,
          "File holding the principal's secret (its bytes, as they are)");
  set.add("mesos_framework_name", &f.mesos_framework_name, "Framework name");
  set.add("mesos_checkpoint", &f.mesos_checkpoint,
          "Register as a checkpointing framework (tasks survive agent restarts)");
  set.add("user", &f.user, "User tasks run as when a job has no runAsUser (default: this user)");
  set.add("task_epsilon", &f.task_epsilon,
          "Seconds a scheduled run may start late when the job gives no epsilon");
  set.add("failure_retry", &f.failure_retry, "Milliseconds between a failed run and its retry");
  set.add("failover_timeout", &f.failover_timeout,
          "Seconds the master keeps the framework's tasks while it is disconnected");
  set.add("schedule_horizon", &f.schedule_horizon,
          "Look-ahead in seconds (accepted for Chronos; runs are timed exactly)");
  set.add("disable_after_failures", &f.disable_after_failures,
          "Disable a job after this many failed runs in a row (0: never)");
  set.add("mesos_task_cpu", &f.mesos_task_cpu, "CPUs of a job that gives no cpus");
  set.add("mesos_task_mem", &f.mesos_task_mem, "Memory (MB) of a job that gives no mem");
  set.add("mesos_task_disk", &f.mesos_task_disk, "Disk (MB) of a job that gives no disk");
  set.add("decline_offer_duration", &f.decline_offer_duration,
          "Milliseconds a declined offer is refused for");
  set.add("reconciliation_interval", &f.reconciliation_interval,
          "Seconds between reconciliations of running tasks with the master");
  set.add("job_history_limit", &f.job_history_limit, "Finished runs kept per job");
  set.add("min_revive_offers_interval", &f.min_revive_offers_interval,
          "Accepted for Chronos (REVIVE is sent only when offers become wanted)");
  set.add("revive_offers_for_new_jobs", &f.revive_offers_for_new_jobs,
          "Accepted for Chronos (offers are always revived when a run falls due)");
  set.add("leader_max_idle_time", &f.leader_max_idle_time, "Accepted for Chronos");
  set.add("offer_lead", &f.offer_lead,
          "Milliseconds before a scheduled time at which offers are revived and held");
  set.add("work_dir", &f.work_dir,
          "Directory for the embedded SQLite state (jobs, runs, framework id)");
  set.add("logging_level", &f.logging_level, "trace, debug, info, warning or error");
  set.add("log_dir", &f.log_dir, "Directory for plateau-jobs.log (default: stderr only)");
}

Status validateFlags(const Flags& f) {
  if (f.failure_retry < 0) {
    return {StatusCode::kInvalidArgument, "Flag '--failure_retry' must not be negative"};
  }
  if (f.task_epsilon < 0) {
    return {StatusCode::kInvalidArgument, "Flag '--task_epsilon' must not be negative"};
  }
  if (f.failover_timeout < 0) {
    return {StatusCode::kInvalidArgument, "Flag '--failover_timeout' must not be negative"};
  }
  if (f.reconciliation_interval <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--reconciliation_interval' must be positive"};
  }
  if (f.job_history_limit <= 0) {
    return {StatusCode::kInvalidArgument, "Flag '--job_history_limit' must be positive"};
  }
  if (f.mesos_task_cpu < 0 || f.mesos_task_mem < 0 || f.mesos_task_disk < 0) {
    return {StatusCode::kInvalidArgument, "Flags '--mesos_task_*' must not be negative"};
  }
  if (f.offer_lead < 0 || f.decline_offer_duration < 0) {
    return {StatusCode::kInvalidArgument,
            "Flags '--offer_lead' and '--decline_offer_duration' must not be negative"};
  }
  if (!f.zk_hosts.empty() || !f.zk_path.empty()) {
    return {StatusCode::kUnimplemented,
            "Flags '--zk_hosts'/'--zk_path': ZooKeeper state and leader election among "
            "plateau-jobs instances are not wired yet; run one instance with --work_dir"};
  }
  return {};
}

}  // namespace plateau::jobs
