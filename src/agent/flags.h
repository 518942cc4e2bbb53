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
  // Containerizer (src/agent/containerizer): Mesos's names and defaults, cgroups_root aside.
  std::string isolation = "posix/cpu,posix/mem";
  std::string launcher;  // posix | linux; empty: linux when running as root
  std::string cgroups_hierarchy = "/sys/fs/cgroup";
  std::string cgroups_root = "plateau";
  bool cgroups_enable_cfs = false;
  bool enforce_container_disk_quota = false;
  std::chrono::nanoseconds container_disk_watch_interval = 15s;
  bool switch_user = true;
};

struct ContainerizerOptions;

void registerFlags(flags::FlagSet& set, Flags& flags);
// The containerizer's share of the flags.
ContainerizerOptions containerizerOptions(const Flags& flags);
Status validateFlags(const Flags& flags);

}  // namespace plateau::agent
