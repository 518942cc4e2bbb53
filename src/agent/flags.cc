#include "agent/flags.h"

namespace plateau::agent {

void registerFlags(flags::FlagSet& set, Flags& f) {
  set.add("master", &f.master, "Master address: host:port or http://host:port (required)");
  set.add("ip", &f.ip, "IP address to listen on");
  set.add("port", &f.port, "Port to listen on");
  set.add("hostname", &f.hostname, "Hostname to advertise (defaults to the IP)");
  set.add("work_dir", &f.work_dir, "Directory for sandboxes and agent state");
  set.add("resources", &f.resources,
          "Resources to offer, e.g. 'cpus:4;mem:8192;ports:[31000-32000]' or JSON; "
          "anything not given is detected");
  set.add("attributes", &f.attributes, "Attributes, e.g. 'rack:r1;zone:a'");
  set.add("launcher_dir", &f.launcher_dir, "Directory holding plateau-executor");
  set.addDuration("executor_shutdown_grace_period", &f.executor_shutdown_grace_period,
                  "Time an executor gets to exit after SHUTDOWN before it is killed");
  set.addDuration("registration_backoff_factor", &f.registration_backoff_factor,
                  "Longest wait between attempts to reach the master");
  set.addDuration("status_update_retry_interval", &f.status_update_retry_interval,
                  "Time before an unacknowledged status update is sent again");
  set.addDuration("executor_registration_timeout", &f.executor_registration_timeout,
                  "Time an executor gets to subscribe before it is killed");
  set.add("recover", &f.recover,
          "On restart: 'reconnect' to the executors of checkpointing frameworks, or "
          "'cleanup' (kill them and start afresh)");
  set.addDuration("recovery_timeout", &f.recovery_timeout,
                  "Time executors of checkpointing frameworks wait for a restarted agent");
  set.addDuration("executor_reregistration_timeout", &f.executor_reregistration_timeout,
                  "Time a recovered executor gets to subscribe again before it is killed");
  set.add("logging_level", &f.logging_level,
          "Log lines at or above this level: trace, debug, info, warning or error (any case)");
  set.add("log_dir", &f.log_dir,
          "Directory for the log file plateau-agent.log (default: none); stderr still logs");
  set.add("quiet", &f.quiet, "Log nothing to stderr");
}

Status validateFlags(const Flags& f) {
  if (f.master.empty()) {
    return {StatusCode::kInvalidArgument, "Flag '--master' is required (e.g. 127.0.0.1:5050)"};
  }
  if (f.status_update_retry_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument,
            "Flag '--status_update_retry_interval' must be positive"};
  }
  if (f.recover != "reconnect" && f.recover != "cleanup") {
    return {StatusCode::kInvalidArgument,
            "Flag '--recover' must be 'reconnect' or 'cleanup'"};
  }
  return {};
}

}  // namespace plateau::agent
