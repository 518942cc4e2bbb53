// docs/conformance.md's flag tables against the flags plateau-master and plateau-agent define
// and against mesos-master's and mesos-agent's flags (Mesos's docs/configuration/master.md,
// agent.md and master-and-agent.md): every Mesos flag and deprecated name must be accepted, and
// the table must list exactly what the FlagSets say. On a difference the test prints the
// table it expects; PLATEAU_UPDATE_CONFORMANCE=1 writes it into the document instead.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "agent/flags.h"
#include "master/flags.h"

namespace plateau {
namespace {

// Flags both daemons take (master-and-agent.md, with its logging options).
const std::vector<std::string> kMesosShared = {"advertise_ip",
                                               "advertise_port",
                                               "authenticate_http_readonly",
                                               "authenticate_http_readwrite",
                                               "firewall_rules",
                                               "domain",
                                               "help",
                                               "hooks",
                                               "hostname",
                                               "hostname_lookup",
                                               "http_authenticators",
                                               "ip",
                                               "ip_discovery_command",
                                               "modules",
                                               "modules_dir",
                                               "port",
                                               "version",
                                               "zk_session_timeout",
                                               "quiet",
                                               "log_dir",
                                               "logbufsecs",
                                               "logging_level",
                                               "initialize_driver_logging",
                                               "external_log_file"};

const std::vector<std::string> kMesosMaster = {"quorum",
                                               "work_dir",
                                               "zk",
                                               "acls",
                                               "agent_ping_timeout",
                                               "agent_removal_rate_limit",
                                               "agent_reregister_timeout",
                                               "allocation_interval",
                                               "allocator",
                                               "min_allocatable_resources",
                                               "authenticate_agents",
                                               "authenticate_frameworks",
                                               "authenticate_http_frameworks",
                                               "authenticators",
                                               "authentication_v0_timeout",
                                               "authorizers",
                                               "cluster",
                                               "credentials",
                                               "fair_sharing_excluded_resource_names",
                                               "filter_gpu_resources",
                                               "framework_sorter",
                                               "http_framework_authenticators",
                                               "log_auto_initialize",
                                               "master_contender",
                                               "master_detector",
                                               "max_agent_ping_timeouts",
                                               "max_completed_frameworks",
                                               "max_completed_tasks_per_framework",
                                               "max_operator_event_stream_subscribers",
                                               "max_unreachable_tasks_per_framework",
                                               "offer_timeout",
                                               "offer_constraints_re2_max_mem",
                                               "offer_constraints_re2_max_program_size",
                                               "publish_per_framework_metrics",
                                               "rate_limits",
                                               "recovery_agent_removal_limit",
                                               "registry",
                                               "registry_fetch_timeout",
                                               "registry_gc_interval",
                                               "registry_max_agent_age",
                                               "registry_max_agent_count",
                                               "registry_store_timeout",
                                               "require_agent_domain",
                                               "roles",
                                               "root_submissions",
                                               "role_sorter",
                                               "webui_dir",
                                               "weights",
                                               "whitelist",
                                               "max_executors_per_agent"};

const std::map<std::string, std::string> kMesosMasterAliases = {
    {"slave_ping_timeout", "agent_ping_timeout"},
    {"slave_removal_rate_limit", "agent_removal_rate_limit"},
    {"slave_reregister_timeout", "agent_reregister_timeout"},
    {"authenticate_slaves", "authenticate_agents"},
    {"authenticate", "authenticate_frameworks"},
    {"max_slave_ping_timeouts", "max_agent_ping_timeouts"},
    {"recovery_slave_removal_limit", "recovery_agent_removal_limit"},
    {"max_executors_per_slave", "max_executors_per_agent"}};

const std::vector<std::string> kMesosAgent = {"master",
                                              "work_dir",
                                              "acls",
                                              "agent_features",
                                              "agent_subsystems",
                                              "effective_capabilities",
                                              "bounding_capabilities",
                                              "appc_simple_discovery_uri_prefix",
                                              "appc_store_dir",
                                              "attributes",
                                              "authenticate_http_executors",
                                              "authenticatee",
                                              "authentication_backoff_factor",
                                              "authentication_timeout_min",
                                              "authentication_timeout_max",
                                              "authorizer",
                                              "cgroups_cpu_enable_pids_and_tids_count",
                                              "cgroups_destroy_timeout",
                                              "cgroups_enable_cfs",
                                              "cgroups_hierarchy",
                                              "cgroups_limit_swap",
                                              "cgroups_net_cls_primary_handle",
                                              "cgroups_net_cls_secondary_handles",
                                              "allowed_devices",
                                              "cgroups_root",
                                              "check_agent_port_range_only",
                                              "container_disk_watch_interval",
                                              "container_logger",
                                              "container_ports_isolated_range",
                                              "container_ports_watch_interval",
                                              "containerizers",
                                              "credential",
                                              "default_container_dns",
                                              "default_container_info",
                                              "default_role",
                                              "default_container_shm_size",
                                              "disallow_sharing_agent_ipc_namespace",
                                              "disallow_sharing_agent_pid_namespace",
                                              "disk_profile_adaptor",
                                              "disk_watch_interval",
                                              "docker",
                                              "docker_config",
                                              "docker_ignore_runtime",
                                              "docker_kill_orphans",
                                              "docker_mesos_image",
                                              "docker_registry",
                                              "docker_remove_delay",
                                              "docker_socket",
                                              "docker_stop_timeout",
                                              "docker_store_dir",
                                              "docker_volume_checkpoint_dir",
                                              "docker_volume_chown",
                                              "domain_socket_location",
                                              "enforce_container_disk_quota",
                                              "enforce_container_ports",
                                              "executor_environment_variables",
                                              "executor_registration_timeout",
                                              "executor_reregistration_timeout",
                                              "executor_reregistration_retry_interval",
                                              "max_completed_executors_per_framework",
                                              "jwt_secret_key",
                                              "executor_shutdown_grace_period",
                                              "fetcher_cache_dir",
                                              "fetcher_cache_size",
                                              "fetcher_stall_timeout",
                                              "frameworks_home",
                                              "gc_delay",
                                              "gc_disk_headroom",
                                              "gc_non_executor_container_sandboxes",
                                              "hadoop_home",
                                              "host_path_volume_force_creation",
                                              "http_credentials",
                                              "http_command_executor",
                                              "http_executor_domain_sockets",
                                              "http_heartbeat_interval",
                                              "image_providers",
                                              "image_provisioner_backend",
                                              "image_gc_config",
                                              "ip6",
                                              "ip6_discovery_command",
                                              "isolation",
                                              "launcher",
                                              "launcher_dir",
                                              "master_detector",
                                              "nvidia_gpu_devices",
                                              "network_cni_plugins_dir",
                                              "network_cni_config_dir",
                                              "network_cni_root_dir_persist",
                                              "network_cni_metrics",
                                              "oversubscribed_resources_interval",
                                              "perf_duration",
                                              "perf_events",
                                              "perf_interval",
                                              "qos_controller",
                                              "qos_correction_interval_min",
                                              "reconfiguration_policy",
                                              "recover",
                                              "recovery_timeout",
                                              "registration_backoff_factor",
                                              "resource_estimator",
                                              "resources",
                                              "resource_provider_config_dir",
                                              "csi_plugin_config_dir",
                                              "revocable_cpu_low_priority",
                                              "runtime_dir",
                                              "sandbox_directory",
                                              "strict",
                                              "secret_resolver",
                                              "switch_user",
                                              "systemd_enable_support",
                                              "systemd_runtime_directory",
                                              "volume_gid_range",
                                              "ephemeral_ports_per_container",
                                              "eth0_name",
                                              "lo_name",
                                              "egress_rate_limit_per_container",
                                              "egress_unique_flow_per_container",
                                              "egress_flow_classifier_parent",
                                              "network_enable_socket_statistics_summary",
                                              "network_enable_socket_statistics_details",
                                              "network_enable_snmp_statistics",
                                              "seccomp_config_dir",
                                              "seccomp_profile_name",
                                              "xfs_project_range"};

const std::map<std::string, std::string> kMesosAgentAliases = {
    {"slave_subsystems", "agent_subsystems"}};

std::string docPath() { return std::string(PLATEAU_SOURCE_DIR) + "/docs/conformance.md"; }

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

// The table docs/conformance.md must hold for one daemon.
std::string expectedTable(const std::vector<flags::FlagInfo>& infos,
                          const std::vector<std::string>& mesos) {
  std::set<std::string> mesos_names(mesos.begin(), mesos.end());
  std::map<std::string, std::string> rows;
  for (const auto& info : infos) {
    std::string aliases;
    for (const auto& alias : info.aliases) {
      aliases += (aliases.empty() ? "" : ", ") + ("`--" + alias + "`");
    }
    std::string status;
    std::string notes = info.help;
    if (!info.no_effect.empty()) {
      status = "accepted, no effect";
      notes = info.no_effect;
    } else if (mesos_names.contains(info.name)) {
      status = "implemented";
    } else {
      status = "Plateau only";
    }
    rows[info.name] =
        fmt::format("| `--{}` | {} | {} | {} |", info.name, aliases, status, escape(notes));
  }
  rows["help"] = "| `--help` |  | implemented | Prints the flags and exits |";
  std::string out = "| Flag | Deprecated names | Status | Notes |\n|---|---|---|---|\n";
  for (const auto& [name, row] : rows) {
    out += row + "\n";
  }
  return out;
}

std::string readDoc() {
  std::ifstream in(docPath());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string beginMarker(const std::string& daemon) {
  return "<!-- BEGIN " + daemon +
         " flags: generated, checked by tests/unit/flags_conformance_test.cc -->\n";
}
std::string endMarker(const std::string& daemon) { return "<!-- END " + daemon + " flags -->"; }

void checkTable(const std::string& daemon, const std::string& expected) {
  std::string doc = readDoc();
  ASSERT_FALSE(doc.empty()) << "cannot read " << docPath();
  size_t begin = doc.find(beginMarker(daemon));
  size_t end = doc.find(endMarker(daemon));
  ASSERT_NE(begin, std::string::npos) << "no '" << beginMarker(daemon) << "' in " << docPath();
  ASSERT_NE(end, std::string::npos) << "no '" << endMarker(daemon) << "' in " << docPath();
  begin += beginMarker(daemon).size();
  std::string actual = doc.substr(begin, end - begin);
  if (actual != expected && std::getenv("PLATEAU_UPDATE_CONFORMANCE") != nullptr) {
    doc.replace(begin, end - begin, expected);
    std::ofstream(docPath()) << doc;
    return;
  }
  EXPECT_EQ(actual, expected) << "docs/conformance.md's " << daemon << " table differs; expected:\n"
                              << expected;
}

void checkAccepted(const std::vector<flags::FlagInfo>& infos, const std::vector<std::string>& mesos,
                   const std::map<std::string, std::string>& aliases) {
  std::map<std::string, const flags::FlagInfo*> by_name;
  for (const auto& info : infos) {
    by_name[info.name] = &info;
  }
  for (const auto& name : mesos) {
    if (name != "help") {
      EXPECT_TRUE(by_name.contains(name)) << "Mesos flag --" << name << " is not accepted";
    }
  }
  for (const auto& [alias, name] : aliases) {
    auto it = by_name.find(name);
    ASSERT_NE(it, by_name.end()) << name;
    const auto& known = it->second->aliases;
    EXPECT_NE(std::find(known.begin(), known.end(), alias), known.end())
        << "Mesos's deprecated --" << alias << " is not accepted for --" << name;
  }
}

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(FlagsConformanceTest, MasterAcceptsEveryMesosMasterFlagAndTheTableSaysHow) {
  master::Flags f;
  flags::FlagSet set("plateau-master", "test");
  master::registerFlags(set, f);
  auto mesos = plus(kMesosMaster, kMesosShared);
  checkAccepted(set.describe(), mesos, kMesosMasterAliases);
  checkTable("master", expectedTable(set.describe(), mesos));
}

TEST(FlagsConformanceTest, AgentAcceptsEveryMesosAgentFlagAndTheTableSaysHow) {
  agent::Flags f;
  flags::FlagSet set("plateau-agent", "test");
  agent::registerFlags(set, f);
  auto mesos = plus(kMesosAgent, kMesosShared);
  checkAccepted(set.describe(), mesos, kMesosAgentAliases);
  checkTable("agent", expectedTable(set.describe(), mesos));
}

TEST(FlagsConformanceTest, MasterStartsWithEveryMesosMasterFlagGiven) {
  // One value of the right type for each flag Mesos documents: all parse, and those without
  // effect are exactly the ones reported.
  master::Flags f;
  flags::FlagSet set("plateau-master", "test");
  master::registerFlags(set, f);
  std::vector<std::string> args = {"plateau-master",
                                   "--weights=eng=3,ops=1",
                                   "--roles=eng,ops",
                                   "--min_allocatable_resources=cpus:1;mem:32|disk:1",
                                   "--slave_ping_timeout=20secs",
                                   "--no-authenticate",
                                   "--no-authenticate_slaves",
                                   "--registry_max_agent_age=2weeks",
                                   "--registry_max_agent_count=100",
                                   "--recovery_slave_removal_limit=50%",
                                   "--registry=replicated_log",
                                   "--quorum=1",
                                   "--logbufsecs=0",
                                   "--no-hostname_lookup"};
  std::vector<const char*> argv;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  ASSERT_TRUE(set.parse(static_cast<int>(argv.size()), argv.data()).isOk());
  ASSERT_TRUE(master::validateFlags(f).isOk());
  EXPECT_EQ(f.weight_map, (std::map<std::string, double>{{"eng", 3}, {"ops", 1}}));
  EXPECT_EQ(f.role_whitelist, (std::set<std::string>{"*", "eng", "ops"}));
  EXPECT_EQ(f.min_allocatable.size(), 2u);
  EXPECT_EQ(f.agent_ping_timeout, std::chrono::seconds(20));
  EXPECT_EQ(f.registry, "local");
  std::set<std::string> ignored;
  for (const auto& [name, reason] : set.ignoredGiven()) {
    ignored.insert(name);
  }
  EXPECT_EQ(ignored, (std::set<std::string>{"quorum", "logbufsecs", "hostname_lookup"}));
  EXPECT_EQ(f.recovery_agent_removal_limit, "50%");  // through its deprecated name
  EXPECT_EQ(f.registry_max_agent_age, std::chrono::hours(24 * 14));
  EXPECT_EQ(f.registry_max_agent_count, 100);
}

TEST(FlagsConformanceTest, MasterRefusesMalformedDeprecatedFlags) {
  for (const auto& [arg, needle] : std::vector<std::pair<std::string, std::string>>{
           {"--weights=eng", "'--weights'"},
           {"--weights=eng=-1", "'--weights'"},
           {"--weights=*=2", "'--weights'"},
           {"--roles=eng,,ops", "'--roles'"},
           {"--min_allocatable_resources=cpus", "'--min_allocatable_resources'"}}) {
    master::Flags f;
    flags::FlagSet set("plateau-master", "test");
    master::registerFlags(set, f);
    const char* argv[] = {"plateau-master", arg.c_str()};
    ASSERT_TRUE(set.parse(2, argv).isOk()) << arg;
    Status status = master::validateFlags(f);
    ASSERT_FALSE(status.isOk()) << arg;
    EXPECT_NE(status.message().find(needle), std::string::npos) << status.message();
  }
  master::Flags f;
  flags::FlagSet set("plateau-master", "test");
  master::registerFlags(set, f);
  const char* argv[] = {"plateau-master", "--weights=dev=2", "--roles=eng"};
  ASSERT_TRUE(set.parse(3, argv).isOk());
  Status status = master::validateFlags(f);
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("'dev'"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace plateau
