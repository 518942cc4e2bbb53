#include "agent/flags.h"

#include <filesystem>

#include <fmt/format.h>

#include "agent/containerizer/linux_containerizer.h"
#include "common/units.h"

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
  set.add("launcher_dir", &f.launcher_dir,
          "Directory holding plateau-executor and plateau-fetcher (default: "
          "<prefix>/libexec/plateau when installed, else the agent's own folder)");
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
  set.add("isolation", &f.isolation,
          "Comma-separated isolators: posix/cpu, posix/mem, cgroups/cpu, cgroups/mem, "
          "cgroups/pids, disk/du, namespaces/pid, filesystem/posix, filesystem/linux, "
          "docker/runtime");
  set.add("launcher", &f.launcher,
          "'posix' (own session) or 'linux' (namespaces as --isolation asks); default linux "
          "when running as root");
  set.add("cgroups_hierarchy", &f.cgroups_hierarchy, "Where the cgroup hierarchies are mounted");
  set.add("cgroups_root", &f.cgroups_root, "Cgroup under which containers' cgroups are made");
  set.add("cgroups_enable_cfs", &f.cgroups_enable_cfs,
          "Hard CPU limits with the CFS bandwidth controller (cgroups/cpu)");
  set.add("enforce_container_disk_quota", &f.enforce_container_disk_quota,
          "Kill containers whose sandbox outgrows their disk resource (disk/du)");
  set.addDuration("container_disk_watch_interval", &f.container_disk_watch_interval,
                  "Time between two sandbox disk usage measurements (disk/du)");
  set.add("switch_user", &f.switch_user,
          "Run tasks as their user (CommandInfo.user or FrameworkInfo.user)");
  set.add("frameworks_home", &f.frameworks_home,
          "Directory prepended to relative executor and URI paths");
  set.add("fetcher_cache_dir", &f.fetcher_cache_dir,
          "Directory of the fetcher cache (CommandInfo.URI.cache); emptied when the agent starts");
  set.add("fetcher_cache_size", &f.fetcher_cache_size,
          "Size of the fetcher cache; least recently used entries go first (e.g. 2GB)");
  set.addDuration("fetcher_stall_timeout", &f.fetcher_stall_timeout,
                  "Time a download may receive nothing before the fetch fails");
  set.add("nvidia_gpu_devices", &f.nvidia_gpu_devices,
          "Comma-separated GPU indices to offer, e.g. '0,1'; needs --resources with as many gpus");
  set.add("gpu_device_source", &f.gpu_device_source,
          "Program run instead of nvidia-smi to list GPUs (for tests)");
  registerImageFlags(set, f);
}

ContainerizerOptions containerizerOptions(const Flags& f) {
  ContainerizerOptions o;
  o.isolation = f.isolation;
  o.launcher = f.launcher;
  o.cgroups_hierarchy = f.cgroups_hierarchy;
  o.cgroups_root = f.cgroups_root;
  o.cgroups_enable_cfs = f.cgroups_enable_cfs;
  o.enforce_container_disk_quota = f.enforce_container_disk_quota;
  o.container_disk_watch_interval = f.container_disk_watch_interval;
  o.switch_user = f.switch_user;
  return o;
}

Status validateFlags(Flags& f) {
  // Sandboxes are the executors' working directories: a relative --work_dir would be resolved
  // again from inside them.
  if (!f.work_dir.empty()) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(f.work_dir, ec);
    if (ec) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Invalid value for flag '--work_dir': {}", ec.message())};
    }
    f.work_dir = absolute.lexically_normal().string();
  }
  auto cache_size = parseBytes(f.fetcher_cache_size);
  if (!cache_size) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid value for flag '--fetcher_cache_size': {}",
                        cache_size.error().message())};
  }
  f.fetcher_cache_bytes = *cache_size;
  if (f.fetcher_stall_timeout <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--fetcher_stall_timeout' must be positive"};
  }
  if (f.master.empty()) {
    return {StatusCode::kInvalidArgument, "Flag '--master' is required (e.g. 127.0.0.1:5050)"};
  }
  if (f.status_update_retry_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--status_update_retry_interval' must be positive"};
  }
  if (f.recover != "reconnect" && f.recover != "cleanup") {
    return {StatusCode::kInvalidArgument, "Flag '--recover' must be 'reconnect' or 'cleanup'"};
  }
  if (Status s = validateContainerizerOptions(containerizerOptions(f)); !s.isOk()) {
    return s;
  }
  if (Status s = validateImageFlags(f); !s.isOk()) {
    return s;
  }
  return {};
}

}  // namespace plateau::agent
