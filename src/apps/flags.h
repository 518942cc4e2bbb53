#pragma once

// plateau-apps' flags, in Marathon's spelling where Marathon has one.

#include <string>

#include "common/flags.h"
#include "common/status.h"

namespace plateau::apps {

struct Flags {
  std::string master = "127.0.0.1:5050";
  std::string zk;
  int zk_session_timeout = 10000;  // milliseconds
  std::string http_address = "0.0.0.0";
  uint16_t http_port = 8080;
  std::string hostname;
  std::string framework_name = "plateau-apps";
  std::string mesos_role;
  std::string mesos_user;
  std::string work_dir;
  std::string webui_url;
  double failover_timeout = 604800;      // seconds
  int task_launch_timeout = 300000;      // milliseconds
  int reconciliation_interval = 600000;  // milliseconds
  std::string logging_level = "info";
  std::string log_dir;
  // Origins whose browsers may call the API (comma-separated, or "*"); none when empty.
  std::string access_control_allow_origin;
};

void registerFlags(flags::FlagSet& set, Flags& flags);
// Checks values that parse but make no sense (negative intervals, a bad --zk).
Status validateFlags(const Flags& flags);

}  // namespace plateau::apps
