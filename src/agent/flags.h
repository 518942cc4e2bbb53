#pragma once

// plateau-agent's flags: one struct, defaults as in Mesos.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/acls.h"
#include "auth/credentials.h"
#include "common/flags.h"
#include "common/resources.h"
#include "http/address_flags.h"
#include "http/tls_flags.h"

namespace mesos::v1 {
class ContainerInfo;
}  // namespace mesos::v1

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
  std::chrono::nanoseconds zk_session_timeout = std::chrono::seconds(10);  // --master=zk://
  std::string recover = "reconnect";                                       // reconnect | cleanup
  std::chrono::nanoseconds recovery_timeout = 15min;
  std::chrono::nanoseconds executor_reregistration_timeout = 2s;
  // The HEARTBEAT records of nested container output streams (agent/nested_containers.h).
  std::chrono::nanoseconds http_heartbeat_interval = 30s;
  // Plateau's per-client bound on the operator API and the state endpoints (docs/security.md).
  double client_request_qps = 100;
  int client_request_capacity = 1000;
  std::string logging_level = "info";
  // Containerizer (src/agent/containerizer): Mesos's names and defaults, cgroups_root aside.
  std::string isolation = "posix/cpu,posix/mem";
  std::string launcher;  // posix | linux; empty: linux when running as root
  std::string cgroups_hierarchy = "/sys/fs/cgroup";
  std::string cgroups_root = "plateau";
  bool cgroups_enable_cfs = false;
  bool cgroups_limit_swap = false;
  bool cgroups_cpu_enable_pids_and_tids_count = false;
  std::chrono::nanoseconds cgroups_destroy_timeout = 1min;
  std::string agent_subsystems;  // the agent's own cgroups (main.cc); empty: none
  bool disallow_sharing_agent_pid_namespace = false;
  bool enforce_container_disk_quota = false;
  std::chrono::nanoseconds container_disk_watch_interval = 15s;
  bool switch_user = true;
  bool executor_zygote = true;  // clone executors from a pre-started one (Plateau only)
  // Fetcher (src/agent/fetcher.h).
  std::string frameworks_home;  // prefix for relative URIs
  std::string fetcher_cache_dir = "/tmp/plateau/fetch";
  std::string fetcher_cache_size = "2GB";  // bytes, e.g. 512MB
  uint64_t fetcher_cache_bytes = 0;        // fetcher_cache_size parsed by validateFlags
  std::chrono::nanoseconds fetcher_stall_timeout = 1min;
  // GPUs (src/agent/gpu/gpu.h).
  std::string nvidia_gpu_devices;  // "0,1": the GPU indices to offer (with --resources=gpus:N)
  std::string gpu_device_source;   // hidden: a program that plays nvidia-smi (tests)
  std::string log_dir;             // empty: no log file
  bool quiet = false;              // no log lines on stderr
  bool version = false;
  // Mesos's JSON object of the executors' environment; given, it replaces the agent's own
  // environment in executors. executor_env is its NAME=VALUE form, filled by validateFlags().
  std::string executor_environment_variables;
  std::optional<std::vector<std::string>> executor_env;
  // Container images (src/agent/image_flags.cc, src/agent/images/): Mesos's names and defaults.
  std::string image_providers;                                   // "docker" or empty (no images)
  std::string docker_registry = "https://registry-1.docker.io";  // or a folder of tarballs
  std::string docker_store_dir = "/tmp/mesos/store/docker";
  std::string image_provisioner_backend;  // overlay | copy; empty: overlay when the kernel has it
  std::string sandbox_directory = "/mnt/mesos/sandbox";
  std::string docker_config;    // Docker's config.json text (the flag takes JSON or a file)
  std::string image_gc_config;  // Mesos's ImageGcConfig as JSON (image_gc.h); empty: no auto GC
  // Authentication (src/agent/security_flags.cc; docs/security.md): Mesos's names and defaults.
  std::string credential;        // the agent's credential for the master (--authenticate_agents)
  std::string http_credentials;  // Mesos's JSON credentials file of the agent's HTTP endpoints
  bool authenticate_http_readonly = false;
  bool authenticate_http_readwrite = false;
  bool authenticate_http_executors = false;
  std::string http_authenticators = "basic";
  std::string jwt_secret_key;  // file of the key executor tokens are signed with (HMAC-SHA256)
  std::string acls;            // Mesos's ACLs: inline JSON, file:///path or /path
  // Filled by validateFlags() from the files above.
  std::optional<auth::Credential> master_credential;
  std::vector<auth::Credential> http_credential_list;
  std::string executor_secret;                 // the key's bytes ("" when none)
  std::vector<std::string> security_warnings;  // credentials files others may read
  http::TlsFlags tls;  // --ssl_*: the TLS settings, over LIBPROCESS_SSL_* (docs/tls.md)
  std::shared_ptr<const auth::Authorizer> authorizer;  // null: no --acls, all allowed
  std::vector<std::string> acls_warnings;              // unknown keys of --acls
  std::string external_log_file;  // a log file kept by others, served as /slave/log
  // Where local resource provider configs would live: it decides the answers of the
  // *_RESOURCE_PROVIDER_CONFIG calls (agent/resource_providers.cc); empty: unset.
  std::string resource_provider_config_dir;
  // --advertise_ip/_port, --ip_discovery_command, --firewall_rules (resolved by main()).
  http::AddressFlags address;
  // Sandbox garbage collection (agent/sandbox_gc.h): Mesos's names and defaults.
  std::chrono::nanoseconds gc_delay = std::chrono::hours(24 * 7);
  std::chrono::nanoseconds disk_watch_interval = 1min;
  double gc_disk_headroom = 0.1;
  bool gc_non_executor_container_sandboxes = false;
  // Mesos's deprecated --default_role: the role of resources given without one, and detected.
  std::string default_role = "*";
  // Completed executors each framework keeps in /state and GET_STATE (ExecutorBook::Bounds).
  int max_completed_executors_per_framework = 150;
  // false: recovery errors (unreadable checkpoints) are logged and skipped instead of fatal.
  bool strict = true;
  // What a restarted agent may change and stay the same agent: equal | additive.
  std::string reconfiguration_policy = "equal";
  std::string domain;  // Mesos's fault domain JSON (common/fault_domain.h); empty: none
  // Oversubscription (agent/oversubscription.h): Mesos's names and defaults.
  std::chrono::nanoseconds oversubscribed_resources_interval = 15s;
  std::string resource_estimator;  // empty: none
  std::string modules;             // Mesos's modules JSON (its file already read)
  bool revocable_cpu_low_priority = true;
  // The QoS controller (agent/qos_controller.h): Mesos's names and defaults.
  std::string qos_controller;  // empty: none
  std::chrono::nanoseconds qos_correction_interval_min = 0s;
  std::string load_average_file = "/proc/loadavg";  // Plateau only: tests write their own
  // Container volumes (src/agent/volume_flags.cc): Mesos's names and defaults.
  std::string default_container_info;  // ContainerInfo JSON (or a file); empty: none
  bool docker_ignore_runtime = false;  // images' Entrypoint, Cmd, Env, WorkingDir, User unused
  std::string host_path_volume_force_creation;  // colon-separated host directories
  std::string volume_gid_range;                 // e.g. "[10000-20000]"; empty: no gid manager
  // CSI plugin configs (CSIPluginInfo as JSON, one a file): checked at start, never run.
  std::string csi_plugin_config_dir;
  // Filled by validateFlags() from the volume flags above.
  std::shared_ptr<const mesos::v1::ContainerInfo> default_container;  // null: none
  std::vector<std::string> force_creation_dirs;  // normalized, without a trailing '/'
  std::optional<Ranges> volume_gids;             // set with --volume_gid_range
};

struct ContainerizerOptions;

// Registers every flag of `flags` with `set`, and every other flag of mesos-agent (accepted,
// without effect, each with its reason).
void registerFlags(flags::FlagSet& set, Flags& flags);
// The containerizer's share of the flags.
ContainerizerOptions containerizerOptions(const Flags& flags);
Status validateFlags(Flags& flags);
// The authentication flags (security_flags.cc): registered, and their files loaded with the
// rules Mesos applies (no realm to protect with nothing to check against).
void registerSecurityFlags(flags::FlagSet& set, Flags& flags);
Status validateSecurityFlags(Flags& flags);
// The container image flags' share (image_flags.cc).
void registerImageFlags(flags::FlagSet& set, Flags& flags);
Status validateImageFlags(const Flags& flags);
// The sandbox garbage collection flags' share (--gc_delay and its kin).
void registerGcFlags(flags::FlagSet& set, Flags& flags);
Status validateGcFlags(const Flags& flags);
// The container volume flags' share (volume_flags.cc).
void registerVolumeFlags(flags::FlagSet& set, Flags& flags);
Status validateVolumeFlags(Flags& flags);

}  // namespace plateau::agent
