#include "master/flags.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "common/units.h"
#include "zookeeper/url.h"

namespace plateau::master {

void registerFlags(flags::FlagSet& set, Flags& f) {
  set.add("ip", &f.ip, "IP address to listen on");
  set.add("port", &f.port, "Port to listen on");
  set.add("hostname", &f.hostname, "Hostname to advertise (defaults to the IP)");
  set.add("work_dir", &f.work_dir, "Directory for the master's state");
  set.add("cluster", &f.cluster, "Human-readable name of the cluster");
  set.addDuration("allocation_interval", &f.allocation_interval,
                  "Time between batched allocation rounds");
  set.addDuration("agent_ping_timeout", &f.agent_ping_timeout,
                  "How long an agent may stay silent before a ping counts as missed");
  set.add("max_agent_ping_timeouts", &f.max_agent_ping_timeouts,
          "Missed pings after which an agent is removed");
  set.addDuration("offer_timeout", &f.offer_timeout,
                  "Age after which an outstanding offer is rescinded (0: never)");
  set.addDuration("framework_heartbeat_interval", &f.framework_heartbeat,
                  "Interval of HEARTBEAT events to schedulers");
  set.add("max_completed_frameworks", &f.max_completed_frameworks,
          "Completed frameworks kept for /master/state");
  set.add("max_completed_tasks_per_framework", &f.max_completed_tasks_per_framework,
          "Completed tasks kept per framework for /master/state");
  set.add("logging_level", &f.logging_level,
          "Log lines at or above this level: trace, debug, info, warning or error (any case)");
  set.add("log_dir", &f.log_dir,
          "Directory for the log file plateau-master.log (default: none); stderr still logs");
  set.add("quiet", &f.quiet, "Log nothing to stderr");
  set.add("registry", &f.registry,
          "Where the registry lives: 'local' (SQLite in --work_dir) or 'in_memory'");
  set.addDuration("agent_reregister_timeout", &f.agent_reregister_timeout,
                  "Time agents get to re-register after a master failover before they are "
                  "marked unreachable");
  set.add("zk", &f.zk,
          "ZooKeeper URL for leader election and the registry: "
          "zk://[user:pass@]host:port[,host:port]/path");
  set.addDuration("zk_session_timeout", &f.zk_session_timeout, "ZooKeeper session timeout");
  set.add("quorum", &f.quorum, "Accepted for Mesos compatibility; unused");
  set.add("offer_constraints_re2_max_mem", &f.offer_constraints_re2_max_mem,
          "Memory each RE2 regex of a framework's offer constraints may use (e.g. 4KB); "
          "SUBSCRIBE / UPDATE_FRAMEWORK with a larger one fail");
  set.add("offer_constraints_re2_max_program_size", &f.offer_constraints_re2_max_program_size,
          "Largest RE2 program size of a regex in a framework's offer constraints");
  set.add("webui_dir", &f.webui_dir,
          "Directory of the web UI's files (default: the source tree's webui/, else "
          "<prefix>/share/plateau/webui)");
}

Status validateFlags(const Flags& f) {
  if (f.allocation_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--allocation_interval' must be positive"};
  }
  if (f.agent_ping_timeout <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--agent_ping_timeout' must be positive"};
  }
  if (auto bytes = parseBytes(f.offer_constraints_re2_max_mem); !bytes || *bytes == 0) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--offer_constraints_re2_max_mem' needs a size such as 4KB, got '{}'",
                        f.offer_constraints_re2_max_mem)};
  }
  if (f.offer_constraints_re2_max_program_size < 1) {
    return {StatusCode::kInvalidArgument,
            "Flag '--offer_constraints_re2_max_program_size' must be at least 1"};
  }
  if (f.max_agent_ping_timeouts < 1) {
    return {StatusCode::kInvalidArgument, "Flag '--max_agent_ping_timeouts' must be at least 1"};
  }
  if (f.offer_timeout < std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--offer_timeout' must not be negative"};
  }
  if (f.framework_heartbeat <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--framework_heartbeat_interval' must be positive"};
  }
  if (f.registry != "local" && f.registry != "in_memory") {
    return {StatusCode::kInvalidArgument, fmt::format("Invalid value '{}' for flag '--registry': "
                                                      "expected 'local' or 'in_memory'",
                                                      f.registry)};
  }
  if (!f.webui_dir.empty()) {
    struct stat st {};
    if (::stat(f.webui_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Flag '--webui_dir': '{}' is not a directory", f.webui_dir)};
    }
  }
  if (!f.zk.empty()) {
    if (auto url = zk::Url::parse(f.zk); !url) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Invalid value for flag '--zk': {}", url.error().message())};
    }
  }
  return {};
}

}  // namespace plateau::master
