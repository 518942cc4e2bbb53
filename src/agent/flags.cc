#include "agent/flags.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "agent/containerizer/linux_containerizer.h"
#include "agent/oversubscription.h"
#include "agent/qos_controller.h"
#include "common/fault_domain.h"
#include "common/json.h"
#include "common/roles.h"
#include "common/units.h"
#include "http/client_refusal.h"

namespace plateau::agent {
namespace {

using Kind = flags::FlagSet::Kind;
using flags::FileValue;

// Why a mesos-agent flag has no effect here; the conformance table (docs/conformance.md) lists
// them, and the agent warns at startup about each one given.
constexpr const char* kAuth =
    "Plateau has one authorizer: the local one, configured by --acls (docs/security.md)";
constexpr const char* kNoV0 =
    "there is no v0 (libprocess) protocol: the agent authenticates over HTTP (see --credential)";
constexpr const char* kModules = "Plateau loads no modules";
constexpr const char* kAppc =
    "appc images are not supported: only Docker images (--image_providers=docker, docs/images.md)";
constexpr const char* kDocker = "Plateau has no Docker containerizer";
constexpr const char* kNetwork = "Plateau has no CNI or port-mapping network isolator";
constexpr const char* kNotYet = "not implemented yet";

// The nested containers' flag (agent/nested_containers.h).
void registerNestedFlags(flags::FlagSet& set, Flags& f) {
  set.addDuration("http_heartbeat_interval", &f.http_heartbeat_interval,
                  "Interval of the HEARTBEAT records on nested container output streams "
                  "(LAUNCH_NESTED_CONTAINER_SESSION, ATTACH_CONTAINER_OUTPUT)");
  set.add("client_request_qps", &f.client_request_qps,
          "Requests a second one client (its principal, else its address) may make to the "
          "operator API and the state endpoints after its burst; beyond, 429 (0: no limit; "
          "executors' calls are never limited)");
  set.add("client_request_capacity", &f.client_request_capacity,
          "Burst of --client_request_qps: requests one client may make at once");
}

// The cgroups and namespaces flags beyond --isolation's basics (agent/containerizer).
void registerIsolationFlags(flags::FlagSet& set, Flags& f) {
  set.add("agent_subsystems", &f.agent_subsystems,
          "Comma-separated cgroup subsystems (e.g. memory,cpuacct) the agent process itself runs "
          "in, in the cgroup 'slave' under --cgroups_root: for monitoring, no limit is set",
          {.aliases = {"slave_subsystems"}});
  set.add("cgroups_limit_swap", &f.cgroups_limit_swap,
          "Limit memory and swap together (cgroups/mem): memory.memsw.limit_in_bytes (v1), "
          "memory.swap.max=0 (v2); the agent does not start without swap accounting");
  set.add("cgroups_cpu_enable_pids_and_tids_count", &f.cgroups_cpu_enable_pids_and_tids_count,
          "Report the processes and threads of each container's cgroup (cgroups/cpu)");
  set.addDuration("cgroups_destroy_timeout", &f.cgroups_destroy_timeout,
                  "Time a destroyed container's cgroups get to empty and be removed before the "
                  "destruction counts as failed");
  set.add("disallow_sharing_agent_pid_namespace", &f.disallow_sharing_agent_pid_namespace,
          "Refuse top-level containers whose ContainerInfo.linux_info asks to share the agent's "
          "pid namespace (namespaces/pid)");
}

// A mesos-agent flag accepted without effect: registered by registerInertFlags.
struct InertFlag {
  const char* name;
  Kind kind;
  const char* default_value;
  const char* help;
  const char* reason;  // why it has no effect here
  FileValue file = FileValue::kNone;
  const char* alias = nullptr;  // its deprecated name
  const char* env = nullptr;    // a further environment variable
};

constexpr InertFlag kInertFlags[] = {
    {"agent_features", Kind::kString, "", "Agent capabilities to advertise (JSON)",
     "the agent always advertises the capabilities it has", FileValue::kUrlOrPath},
    {"effective_capabilities", Kind::kString, "", "Linux capabilities granted to tasks (JSON)",
     "no linux/capabilities isolator", FileValue::kUrlOrPath},
    {"bounding_capabilities", Kind::kString, "", "Most Linux capabilities a task may get (JSON)",
     "no linux/capabilities isolator", FileValue::kUrlOrPath},
    {"appc_simple_discovery_uri_prefix", Kind::kString, "http://",
     "URI prefix for appc image discovery", kAppc},
    {"appc_store_dir", Kind::kString, "/tmp/mesos/store/appc", "Where appc images are stored",
     kAppc},
    {"authenticatee", Kind::kString, "crammd5", "Authenticatee implementation", kNoV0},
    {"authentication_backoff_factor", Kind::kDuration, "1secs",
     "Backoff factor of authentication retries", kNoV0},
    {"authentication_timeout_min", Kind::kDuration, "5secs",
     "Shortest wait before retrying authentication", kNoV0},
    {"authentication_timeout_max", Kind::kDuration, "1mins",
     "Longest wait before retrying authentication", kNoV0},
    {"authorizer", Kind::kString, "local", "Authorizer implementation", kAuth},
    {"cgroups_net_cls_primary_handle", Kind::kString, "", "Primary handle of the net_cls cgroup",
     kNetwork},
    {"cgroups_net_cls_secondary_handles", Kind::kString, "",
     "Secondary handles of the net_cls cgroup", kNetwork},
    {"allowed_devices", Kind::kString, "", "Devices to allow (cgroups/devices, JSON)",
     "no cgroups/devices isolator", FileValue::kUrlOrPath},
    {"check_agent_port_range_only", Kind::kBool, "false",
     "network/ports: only ports in the agent's range are checked", kNetwork},
    {"container_logger", Kind::kString, "", "Container logger module", kModules},
    {"container_ports_isolated_range", Kind::kString, "", "network/ports: ports to isolate",
     kNetwork},
    {"container_ports_watch_interval", Kind::kDuration, "30secs",
     "network/ports: time between checks", kNetwork},
    {"containerizers", Kind::kString, "mesos", "Containerizers to use",
     "Plateau has one containerizer, Mesos's kind"},
    {"default_container_dns", Kind::kString, "", "DNS of CNI/CNM networks (JSON)", kNetwork,
     FileValue::kUrlOrPath},
    {"default_container_shm_size", Kind::kBytes, "",
     "Size of /dev/shm of containers with their own", "no namespaces/ipc isolator"},
    {"disallow_sharing_agent_ipc_namespace", Kind::kBool, "false",
     "Refuse containers sharing the agent's IPC namespace", "no namespaces/ipc isolator"},
    {"disk_profile_adaptor", Kind::kString, "", "Disk profile adaptor module", kModules},
    {"docker", Kind::kString, "docker", "Path of the docker program", kDocker},
    {"docker_kill_orphans", Kind::kBool, "true", "Kill orphaned Docker containers", kDocker},
    {"docker_mesos_image", Kind::kString, "", "Docker image the agent runs in", kDocker},
    {"docker_remove_delay", Kind::kDuration, "6hrs",
     "Time before terminated Docker containers are removed", kDocker},
    {"docker_socket", Kind::kString, "/var/run/docker.sock", "Docker daemon's socket", kDocker},
    {"docker_stop_timeout", Kind::kDuration, "0ns", "Time Docker waits after stopping a container",
     kDocker},
    {"docker_volume_checkpoint_dir", Kind::kString, "/var/run/mesos/isolators/docker/volume",
     "Checkpoints of Docker volumes", kDocker},
    {"docker_volume_chown", Kind::kBool, "false",
     "Chown Docker volume mount points to the container user", kDocker},
    {"domain_socket_location", Kind::kString, "", "Domain socket for executors",
     "executors connect over TCP"},
    {"enforce_container_ports", Kind::kBool, "false", "network/ports: enforce port resources",
     kNetwork},
    {"executor_reregistration_retry_interval", Kind::kDuration, "",
     "Retry interval of reconnect messages to PID-based executors",
     "there are no PID-based (v0) executors"},
    {"hadoop_home", Kind::kString, "", "Where Hadoop is installed (HDFS fetches)",
     "the fetcher does not fetch from HDFS"},
    {"http_command_executor", Kind::kBool, "false", "Command executor uses the HTTP API",
     "Plateau's command executor always uses the HTTP API"},
    {"http_executor_domain_sockets", Kind::kBool, "false", "Executors connect over a domain socket",
     "executors connect over TCP"},
    {"ip6", Kind::kString, "", "IPv6 address advertised for containers", "IPv6 is not supported"},
    {"ip6_discovery_command", Kind::kString, "", "Program that prints the IPv6 address",
     "IPv6 is not supported"},
    {"master_detector", Kind::kString, "", "Module symbol of the master detector", kModules},
    {"network_cni_plugins_dir", Kind::kString, "", "CNI plugins", kNetwork},
    {"network_cni_config_dir", Kind::kString, "", "CNI network configurations", kNetwork},
    {"network_cni_root_dir_persist", Kind::kBool, "false",
     "CNI root directory persists across reboots", kNetwork},
    {"network_cni_metrics", Kind::kBool, "true", "Expose CNI network metrics", kNetwork},
    {"perf_duration", Kind::kDuration, "10secs", "Duration of a perf sample",
     "no perf_event isolator"},
    {"perf_events", Kind::kString, "", "Perf events to sample", "no perf_event isolator"},
    {"perf_interval", Kind::kDuration, "60secs", "Time between perf samples",
     "no perf_event isolator"},
    {"runtime_dir", Kind::kString, "", "Runtime directory (cleared on reboot)",
     "runtime state lives in --work_dir"},
    {"secret_resolver", Kind::kString, "", "Secret resolver module", kModules},
    {"systemd_enable_support", Kind::kBool, "true", "Systemd support",
     "executors are never moved out of the agent's systemd unit"},
    {"systemd_runtime_directory", Kind::kString, "/run/systemd/system",
     "Systemd's runtime directory", "executors are never moved out of the agent's systemd unit"},
    {"ephemeral_ports_per_container", Kind::kInt, "1024",
     "network/port_mapping: ephemeral ports per container", kNetwork},
    {"eth0_name", Kind::kString, "", "network/port_mapping: public interface", kNetwork},
    {"lo_name", Kind::kString, "", "network/port_mapping: loopback interface", kNetwork},
    {"egress_rate_limit_per_container", Kind::kBytes, "",
     "network/port_mapping: egress limit per container", kNetwork},
    {"egress_unique_flow_per_container", Kind::kBool, "false",
     "network/port_mapping: a flow per container", kNetwork},
    {"egress_flow_classifier_parent", Kind::kString, "",
     "network/port_mapping: where the flow classifier goes", kNetwork},
    {"network_enable_socket_statistics_summary", Kind::kBool, "false",
     "network/port_mapping: socket statistics summary", kNetwork},
    {"network_enable_socket_statistics_details", Kind::kBool, "false",
     "network/port_mapping: socket statistics details", kNetwork},
    {"network_enable_snmp_statistics", Kind::kBool, "false",
     "network/port_mapping: SNMP statistics", kNetwork},
    {"seccomp_config_dir", Kind::kString, "", "Seccomp profiles", "no linux/seccomp isolator"},
    {"seccomp_profile_name", Kind::kString, "", "Default seccomp profile",
     "no linux/seccomp isolator"},
    {"xfs_project_range", Kind::kString, "[5000-10000]", "XFS project ids for disk quotas",
     "no disk/xfs isolator"},
    // The flags mesos-master and mesos-agent share.
    {"hooks", Kind::kString, "", "Hook modules to install", kModules},
    {"hostname_lookup", Kind::kBool, "true", "Look the hostname up when --hostname is not set",
     "Plateau never looks the hostname up: without --hostname it reports the IP"},
    {"modules_dir", Kind::kString, "", "Directory of module manifests", kModules},
    {"logbufsecs", Kind::kInt, "0", "Seconds logs may be buffered",
     "Plateau flushes every log line"},
    {"initialize_driver_logging", Kind::kBool, "true",
     "Initialize logging of scheduler and executor drivers",
     "there are no drivers inside the agent"},
};

void registerInertFlags(flags::FlagSet& set) {
  for (const InertFlag& flag : kInertFlags) {
    flags::FlagOptions options{.file = flag.file};
    if (flag.alias != nullptr) {
      options.aliases.push_back(flag.alias);
    }
    if (flag.env != nullptr) {
      options.env.push_back(flag.env);
    }
    set.addInert(flag.name, flag.kind, flag.default_value, flag.help, flag.reason,
                 std::move(options));
  }
}

// Oversubscription (agent/oversubscription.h; docs/compatibility.md, "Oversubscription").
void registerOversubscriptionFlags(flags::FlagSet& set, Flags& f) {
  set.addDuration("oversubscribed_resources_interval", &f.oversubscribed_resources_interval,
                  "Time between two resource estimates; the master hears of the revocable "
                  "resources only when they changed (and after each registration)");
  set.add("resource_estimator", &f.resource_estimator,
          "Resource estimator: empty (none: nothing is oversubscribed) or "
          "org_apache_mesos_FixedResourceEstimator, whose 'resources' parameter comes from "
          "--modules");
  set.add("modules", &f.modules,
          "Mesos's modules JSON (or a file holding it). No library is loaded: only the "
          "parameters of the modules --resource_estimator and --qos_controller name are read",
          {.file = FileValue::kUrlOrPath});
  set.add("qos_controller", &f.qos_controller,
          "QoS controller: empty (none: revocable tasks are never killed for interference) or "
          "org_apache_mesos_LoadQoSController, whose 'load_threshold_5min' and/or "
          "'load_threshold_15min' parameters come from --modules: above either load average, "
          "executors with revocable resources are killed");
  set.addDuration("qos_correction_interval_min", &f.qos_correction_interval_min,
                  "Time between two QoS corrections (Plateau waits at least 1secs)");
  set.add("load_average_file", &f.load_average_file,
          "File read for the load averages the QoS controller compares, in /proc/loadavg's "
          "format (Plateau only: for tests)");
  set.add("revocable_cpu_low_priority", &f.revocable_cpu_low_priority,
          "Containers with revocable cpus get a low CPU priority (cgroups/cpu: cpu.shares of 10 "
          "per cpu instead of 1024)");
}

// How the agent is reached (--advertise_ip, --firewall_rules, ...) and the log it shows.
void registerReachFlags(flags::FlagSet& set, Flags& f) {
  set.add("external_log_file", &f.external_log_file,
          "Log file written by something else (syslog, journald): served as /slave/log in "
          "/files instead of --log_dir's file");
  f.address.registerWith(set, "agent");
  set.add("resource_provider_config_dir", &f.resource_provider_config_dir,
          "Directory of local resource provider configs. No storage resource provider exists "
          "here (no CSI), so none is ever loaded; the flag decides the config calls' answers as "
          "in Mesos: without it ADD/UPDATE/REMOVE_RESOURCE_PROVIDER_CONFIG answer 500, with it "
          "REMOVE answers 200 and ADD/UPDATE of a valid storage config 400");
}

}  // namespace

void registerGcFlags(flags::FlagSet& set, Flags& f) {
  set.addDuration("gc_delay", &f.gc_delay,
                  "Longest time the sandbox of an executor that ended is kept; shortened as the "
                  "disk fills (see --gc_disk_headroom)");
  set.addDuration("disk_watch_interval", &f.disk_watch_interval,
                  "Time between two disk usage checks of --work_dir's file system that shorten "
                  "the sandbox garbage collection delay");
  set.add("gc_disk_headroom", &f.gc_disk_headroom,
          "Share of the disk kept free: sandboxes older than gc_delay * max(0, 1 - headroom - "
          "disk usage) are removed at each disk check (0 to 1)");
  set.add("gc_non_executor_container_sandboxes", &f.gc_non_executor_container_sandboxes,
          "Also garbage collect the sandboxes of standalone containers that ended (and of "
          "those nested in them)");
  set.add("default_role", &f.default_role,
          "Role of the resources --resources gives without one and of those detected "
          "(deprecated in Mesos: give roles in --resources instead)");
  set.add("max_completed_executors_per_framework", &f.max_completed_executors_per_framework,
          "Completed executors each framework keeps in /state and GET_STATE, oldest dropped");
  set.add("strict", &f.strict,
          "Recovery errors (an unreadable checkpoint) stop the agent; with --no-strict they are "
          "logged and what can be read is recovered");
  set.add("reconfiguration_policy", &f.reconfiguration_policy,
          "What a restarted agent may change and still recover as the same agent: 'equal' "
          "(nothing) or 'additive' (resources and attributes added, none removed or changed; "
          "the master takes the added ones, its reservations and volumes kept)");
  set.add("domain", &f.domain,
          "Fault domain of this agent (JSON or file path): {\"fault_domain\": {\"region\": "
          "{\"name\": ...}, \"zone\": {\"name\": ...}}}; reported to the master and in offers",
          {.file = FileValue::kUrlOrPath});
}

Status validateGcFlags(const Flags& f) {
  if (f.gc_delay < std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--gc_delay' must not be negative"};
  }
  if (f.disk_watch_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--disk_watch_interval' must be positive"};
  }
  if (!(f.gc_disk_headroom >= 0.0 && f.gc_disk_headroom <= 1.0)) {
    return {StatusCode::kInvalidArgument, "Flag '--gc_disk_headroom' must be between 0.0 and 1.0"};
  }
  if (f.max_completed_executors_per_framework < 0) {
    return {StatusCode::kInvalidArgument,
            "Flag '--max_completed_executors_per_framework' must not be negative"};
  }
  if (f.reconfiguration_policy != "equal" && f.reconfiguration_policy != "additive") {
    return {StatusCode::kInvalidArgument,
            "Flag '--reconfiguration_policy' must be 'equal' or 'additive'"};
  }
  if (Status s = roles::validate(f.default_role); !s.isOk()) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid value for flag '--default_role': {}", s.message())};
  }
  if (auto domain = parseDomainFlag(f.domain); !domain) {
    return domain.error();
  }
  return {};
}

namespace {

// How long the agent waits for the master, its executors and itself (after a restart).
void registerTimingFlags(flags::FlagSet& set, Flags& f) {
  set.addDuration("executor_shutdown_grace_period", &f.executor_shutdown_grace_period,
                  "Time an executor gets to exit after SHUTDOWN before it is killed");
  set.addDuration("registration_backoff_factor", &f.registration_backoff_factor,
                  "Longest wait between attempts to reach the master");
  set.addDuration("status_update_retry_interval", &f.status_update_retry_interval,
                  "Time before an unacknowledged status update is sent again");
  set.addDuration("executor_registration_timeout", &f.executor_registration_timeout,
                  "Time an executor gets to subscribe before it is killed");
  set.addDuration("zk_session_timeout", &f.zk_session_timeout,
                  "ZooKeeper session timeout of the leader detection (--master=zk://...)");
  set.add("recover", &f.recover,
          "On restart: 'reconnect' to the executors of checkpointing frameworks, or "
          "'cleanup' (kill them and start afresh)");
  set.addDuration("recovery_timeout", &f.recovery_timeout,
                  "Time executors of checkpointing frameworks wait for a restarted agent");
  set.addDuration("executor_reregistration_timeout", &f.executor_reregistration_timeout,
                  "Time a recovered executor gets to subscribe again before it is killed");
}

// The names --isolation accepts, from the containerizer's own list so that --help keeps up.
std::string isolatorList() {
  std::string list;
  for (const auto& name : knownIsolators()) {
    list += (list.empty() ? "" : ", ") + name;
  }
  return list;
}

}  // namespace

void registerFlags(flags::FlagSet& set, Flags& f) {
  set.add("version", &f.version, "Show the version and exit");
  set.add("master", &f.master,
          "Master address: host:port, http://host:port, zk://host:port/path, or file:///path "
          "holding one (required)",
          {.file = FileValue::kUrl});
  set.add("ip", &f.ip, "IP address to listen on", {.env = {"LIBPROCESS_IP"}});
  set.add("port", &f.port, "Port to listen on", {.env = {"LIBPROCESS_PORT"}});
  set.add("hostname", &f.hostname, "Hostname to advertise (defaults to the IP)");
  set.add("work_dir", &f.work_dir, "Directory for sandboxes and agent state");
  set.add("resources", &f.resources,
          "Resources to offer, e.g. 'cpus:4;mem:8192;ports:[31000-32000]', JSON, or "
          "file:///path holding JSON; anything not given is detected",
          {.file = FileValue::kUrl});
  set.add("attributes", &f.attributes, "Attributes, e.g. 'rack:r1;zone:a'");
  set.add("launcher_dir", &f.launcher_dir,
          "Directory holding plateau-executor and plateau-fetcher (default: "
          "<prefix>/libexec/plateau when installed, else the agent's own folder)");
  registerTimingFlags(set, f);
  set.add("logging_level", &f.logging_level,
          "Log lines at or above this level: trace, debug, info, warning or error (any case)");
  set.add("log_dir", &f.log_dir,
          "Directory for the log file plateau-agent.log (default: none); stderr still logs");
  set.add("quiet", &f.quiet, "Log nothing to stderr");
  set.add("isolation", &f.isolation, "Comma-separated isolators: " + isolatorList());
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
  set.add("executor_zygote", &f.executor_zygote,
          "Start the built-in executors by cloning a pre-started plateau-executor instead of "
          "executing it anew for each (Plateau only; --no-executor_zygote to turn off)");
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
  set.add("executor_environment_variables", &f.executor_environment_variables,
          "JSON object of the environment executors (and their tasks) get instead of the "
          "agent's, e.g. {\"PATH\": \"/bin:/usr/bin\"}; also file:///path",
          {.file = FileValue::kUrlOrPath});
  registerImageFlags(set, f);
  registerReachFlags(set, f);
  f.tls.registerWith(set);
  registerInertFlags(set);
  registerOversubscriptionFlags(set, f);
  registerIsolationFlags(set, f);
  registerNestedFlags(set, f);
  registerSecurityFlags(set, f);
  registerGcFlags(set, f);
  registerVolumeFlags(set, f);
}

ContainerizerOptions containerizerOptions(const Flags& f) {
  ContainerizerOptions o;
  o.isolation = f.isolation;
  o.launcher = f.launcher;
  o.cgroups_hierarchy = f.cgroups_hierarchy;
  o.cgroups_root = f.cgroups_root;
  o.cgroups_enable_cfs = f.cgroups_enable_cfs;
  o.cgroups_limit_swap = f.cgroups_limit_swap;
  o.cgroups_cpu_enable_pids_and_tids_count = f.cgroups_cpu_enable_pids_and_tids_count;
  o.revocable_cpu_low_priority = f.revocable_cpu_low_priority;
  o.cgroups_destroy_timeout = f.cgroups_destroy_timeout;
  o.disallow_sharing_agent_pid_namespace = f.disallow_sharing_agent_pid_namespace;
  o.enforce_container_disk_quota = f.enforce_container_disk_quota;
  o.container_disk_watch_interval = f.container_disk_watch_interval;
  o.switch_user = f.switch_user;
  return o;
}

namespace {

// --executor_environment_variables into executor_env (NAME=VALUE).
Status parseExecutorEnvironment(Flags& f) {
  f.executor_env.reset();
  if (!f.executor_environment_variables.empty()) {
    auto doc = json::parse(f.executor_environment_variables);
    if (!doc || !doc->isObject()) {
      return {StatusCode::kInvalidArgument,
              "Flag '--executor_environment_variables' needs a JSON object of strings, e.g. "
              "{\"PATH\": \"/bin:/usr/bin\"}"};
    }
    std::vector<std::string> env;
    for (const auto& member : doc->asObject()) {
      const std::string& name = member.key;
      const json::Value& value = member.value;
      if (!value.isString()) {
        return {StatusCode::kInvalidArgument,
                fmt::format("Flag '--executor_environment_variables': the value of '{}' must be "
                            "a string",
                            name)};
      }
      env.push_back(name + "=" + value.asString());
    }
    f.executor_env = std::move(env);
  }
  return {};
}

Status validateOversubscriptionFlags(const Flags& f) {
  if (f.oversubscribed_resources_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument,
            "Flag '--oversubscribed_resources_interval' must be positive"};
  }
  if (auto estimator = makeResourceEstimator(f.resource_estimator, f.modules); !estimator) {
    return estimator.error();
  }
  FileLoadSource load(f.load_average_file);
  auto quiet =
      std::make_shared<spdlog::logger>("qos", std::make_shared<spdlog::sinks::null_sink_mt>());
  if (auto controller = makeQosController(f.qos_controller, f.modules, load, quiet); !controller) {
    return controller.error();
  }
  return {};
}

}  // namespace

Status validateFlags(Flags& f) {
  if (Status s = validateSecurityFlags(f); !s.isOk()) {
    return s;
  }
  if (f.zk_session_timeout < std::chrono::milliseconds(1)) {
    return {StatusCode::kInvalidArgument, "Flag '--zk_session_timeout' must be at least 1ms"};
  }
  if (Status s = parseExecutorEnvironment(f); !s.isOk()) {
    return s;
  }
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
  if (f.http_heartbeat_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--http_heartbeat_interval' must be positive"};
  }
  if (Status s = http::checkClientLimitFlags("client_request", f.client_request_qps,
                                             f.client_request_capacity);
      !s.isOk()) {
    return s;
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
  if (Status s = validateGcFlags(f); !s.isOk()) {
    return s;
  }
  if (Status s = validateOversubscriptionFlags(f); !s.isOk()) {
    return s;
  }
  return validateVolumeFlags(f);
}

}  // namespace plateau::agent
