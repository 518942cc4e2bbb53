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
  // Marathon's / Chronos's: the credential the framework subscribes with (docs/security.md).
  std::string mesos_authentication_principal;
  std::string mesos_authentication_secret_file;
  std::string mesos_user;
  std::string work_dir;
  std::string webui_url;
  double failover_timeout = 604800;      // seconds
  int task_launch_timeout = 300000;      // milliseconds
  int reconciliation_interval = 600000;  // milliseconds
  std::string logging_level = "info";
  std::string log_dir;
};

void registerFlags(flags::FlagSet& set, Flags& flags);
// Checks values that parse but make no sense (negative intervals, a bad --zk).
Status validateFlags(const Flags& flags);

}  // namespace plateau::apps
