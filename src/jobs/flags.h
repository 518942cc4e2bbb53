#pragma once

// plateau-jobs' flags, in Chronos's spelling (its docs/docs/configuration.md) where Chronos
// has one, plus Plateau's --work_dir, --logging_level and --log_dir.

#include <optional>
#include <string>

#include "common/flags.h"
#include "common/status.h"
#include "service/service_flags.h"
#include "zookeeper/url.h"

namespace plateau::jobs {

// master, http_address, http_port, hostname, webui_url, failover_timeout, work_dir,
// logging_level and log_dir come from ServiceFlags.
struct Flags : service::ServiceFlags {
  std::string zk_hosts;
  std::string zk_path = "/chronos/state";  // used with --zk_hosts
  int zk_timeout = 10000;                  // milliseconds
  std::string cluster_name;
  std::string mesos_role;
  std::string mesos_framework_name = "plateau-jobs";
  bool mesos_checkpoint = true;
  std::string user;
  double task_epsilon = 60;   // seconds
  int failure_retry = 60000;  // milliseconds
  int schedule_horizon = 60;  // seconds
  int disable_after_failures = 0;
  double mesos_task_cpu = 0.1;
  double mesos_task_mem = 128;
  double mesos_task_disk = 256;
  int decline_offer_duration = 5000;  // milliseconds
  int reconciliation_interval = 600;  // seconds
  int job_history_limit = 100;        // runs kept per job
  int min_revive_offers_interval = 5000;
  bool revive_offers_for_new_jobs = false;
  int leader_max_idle_time = 5000;
  int offer_lead = 2000;  // milliseconds; Plateau's
};

void registerFlags(flags::FlagSet& set, Flags& flags);
// Checks values that parse but make no sense (negative times, a bad --zk_hosts/--zk_path).
Status validateFlags(const Flags& flags);
// The ZooKeeper URL of --zk_hosts and --zk_path (zk://<hosts><path>; a --zk_hosts that is a
// zk:// URL is taken whole), nullopt without --zk_hosts.
Result<std::optional<zk::Url>> zooKeeperUrl(const Flags& flags);

}  // namespace plateau::jobs
