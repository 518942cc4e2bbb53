#pragma once

// plateau-jobs' flags, in Chronos's spelling (its docs/docs/configuration.md) where Chronos
// has one, plus Plateau's --work_dir, --logging_level and --log_dir.

#include <string>

#include "common/flags.h"
#include "common/status.h"

namespace plateau::jobs {

struct Flags {
  std::string master = "127.0.0.1:5050";
  std::string zk_hosts;
  std::string zk_path;
  int zk_timeout = 10000;  // milliseconds
  std::string http_address = "0.0.0.0";
  uint16_t http_port = 8080;
  std::string hostname;
  std::string webui_url;
  std::string cluster_name;
  std::string mesos_role;
  // Marathon's / Chronos's: the credential the framework subscribes with (docs/security.md).
  std::string mesos_authentication_principal;
  std::string mesos_authentication_secret_file;
  std::string mesos_framework_name = "plateau-jobs";
  bool mesos_checkpoint = true;
  std::string user;
  double task_epsilon = 60;          // seconds
  int failure_retry = 60000;         // milliseconds
  double failover_timeout = 604800;  // seconds
  int schedule_horizon = 60;         // seconds
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
  std::string work_dir;
  std::string logging_level = "info";
  std::string log_dir;
};

void registerFlags(flags::FlagSet& set, Flags& flags);
// Checks values that parse but make no sense; Unimplemented for --zk_hosts/--zk_path until
// leader election is wired.
Status validateFlags(const Flags& flags);

}  // namespace plateau::jobs
