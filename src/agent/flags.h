#pragma once

// plateau-agent's flags: one struct, defaults as in Mesos.

#include <chrono>
#include <string>

#include "common/flags.h"

namespace plateau::agent {

using namespace std::chrono_literals;

struct Flags {
  std::string master;
  std::string ip = "127.0.0.1";
  uint16_t port = 5051;
  std::string hostname;
  std::string work_dir = "/tmp/plateau/agent";
  std::string resources;
  std::string attributes;
  std::string launcher_dir;  // where plateau-executor lives; defaults to this binary's folder
  std::chrono::nanoseconds executor_shutdown_grace_period = 5s;
  std::chrono::nanoseconds registration_backoff_factor = 1s;
  std::chrono::nanoseconds status_update_retry_interval = 10s;
  std::chrono::nanoseconds executor_registration_timeout = 1min;
  std::string recover = "reconnect";  // reconnect | cleanup
  std::chrono::nanoseconds recovery_timeout = 15min;
  std::chrono::nanoseconds executor_reregistration_timeout = 2s;
  std::string logging_level = "info";
  std::string log_dir;  // empty: no log file
  bool quiet = false;   // no log lines on stderr
};

void registerFlags(flags::FlagSet& set, Flags& flags);
Status validateFlags(const Flags& flags);

}  // namespace plateau::agent
