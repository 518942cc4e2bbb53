#pragma once

// plateau-apps' flags, in Marathon's spelling where Marathon has one.

#include <string>

#include "common/flags.h"
#include "common/status.h"
#include "service/service_flags.h"

namespace plateau::apps {

// master, http_address, http_port, hostname, webui_url, failover_timeout, work_dir,
// logging_level and log_dir come from ServiceFlags.
struct Flags : service::ServiceFlags {
  std::string zk;
  int zk_session_timeout = 10000;  // milliseconds
  std::string framework_name = "plateau-apps";
  std::string mesos_role;
  std::string mesos_user;
  int task_launch_timeout = 300000;      // milliseconds
  int reconciliation_interval = 600000;  // milliseconds
  // Origins whose browsers may call the API (comma-separated, or "*"); none when empty.
  std::string access_control_allow_origin;
};

void registerFlags(flags::FlagSet& set, Flags& flags);
// Checks values that parse but make no sense (negative intervals, a bad --zk).
Status validateFlags(const Flags& flags);

}  // namespace plateau::apps
