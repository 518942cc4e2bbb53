#pragma once

// plateau-master's flags: one struct, defaults as in Mesos.

#include <chrono>
#include <string>

#include "common/flags.h"

namespace plateau::master {

using namespace std::chrono_literals;

struct Flags {
  std::string ip = "127.0.0.1";
  uint16_t port = 5050;
  std::string hostname;
  std::string work_dir = "/tmp/plateau/master";
  std::string cluster;
  std::chrono::nanoseconds allocation_interval = 1s;
  std::chrono::nanoseconds agent_ping_timeout = 15s;
  int max_agent_ping_timeouts = 5;
  std::chrono::nanoseconds offer_timeout = 0s;  // 0: offers are never rescinded for age
  std::chrono::nanoseconds framework_heartbeat = 15s;
  int max_completed_frameworks = 50;
  int max_completed_tasks_per_framework = 1000;
  std::string logging_level = "info";
  std::string log_dir;  // empty: no log file
  bool quiet = false;   // no log lines on stderr
  std::string registry = "local";
  std::chrono::nanoseconds agent_reregister_timeout = 10min;
  std::string zk;
  std::chrono::nanoseconds zk_session_timeout = 10s;
  std::string quorum;
  // Bounds on each regex in a framework's offer constraints (Mesos's defaults).
  std::string offer_constraints_re2_max_mem = "4KB";
  int offer_constraints_re2_max_program_size = 100;
  // The web UI's files; "" finds the source tree's webui/ or the installed one.
  std::string webui_dir;
};

// Registers every flag of `flags` with `set`.
void registerFlags(flags::FlagSet& set, Flags& flags);
// Checks values that parse but make no sense (a zero interval, ...).
Status validateFlags(const Flags& flags);

}  // namespace plateau::master
