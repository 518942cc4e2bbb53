// A real master and agent started with every flag of mesos-master and mesos-agent at once (the
// flags docs/conformance.md lists with a Mesos status), each with a valid value: Mesos's example
// or the daemon's own default as /flags reports it. Both start, the agent registers and runs a
// task, and the log holds exactly one `flag_without_effect` line for each flag the table says has
// no effect. Flags that exclude each other are given one at a time (the others named below with
// the reason), so a flag added to the table without a value here fails the test.

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

// Flag name -> its status column ("implemented", "accepted, no effect"), Mesos's flags only.
std::map<std::string, std::string> mesosFlags(const std::string& daemon) {
  std::ifstream file(std::string(PLATEAU_SOURCE_DIR) + "/docs/conformance.md");
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  size_t begin = doc.find(fmt::format("<!-- BEGIN {} flags", daemon));
  size_t end = doc.find(fmt::format("<!-- END {} flags", daemon));
  std::map<std::string, std::string> out;
  if (begin == std::string::npos || end == std::string::npos) {
    return out;
  }
  std::istringstream lines(doc.substr(begin, end - begin));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("| `--")) {
      continue;
    }
    std::vector<std::string> cells;
    std::istringstream in(line.substr(1));
    std::string cell;
    while (std::getline(in, cell, '|')) {
      std::erase(cell, '`');
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      cells.push_back(cell);
    }
    if (cells.size() >= 3 && cells[2] != "Plateau only") {
      out[cells[0].substr(2)] = cells[2];
    }
  }
  return out;
}

std::map<std::string, std::string> flagsOf(const http::Endpoint& daemon, const std::string& path) {
  std::map<std::string, std::string> out;
  auto r = http::fetchSync(daemon, {.method = "GET", .path = path}, 10s);
  if (!r || r->status != 200) {
    return out;
  }
  auto doc = json::parse(r->body);
  if (!doc) {
    return out;
  }
  for (const auto& [name, value] : (*doc)["flags"].asObject()) {
    out[name] = value.asString();
  }
  return out;
}

std::string writeFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
  return path;
}

std::string makeDir(const std::string& path) {
  fs::create_directories(path);
  return path;
}

// The command line: every Mesos flag of the table with a value from `values` or, failing that,
// its default from `defaults`; flags in `skipped` (with why) and those the harness sets are left
// out. Fails the test for a flag with neither.
std::vector<std::string> commandLine(const std::map<std::string, std::string>& table,
                                     const std::map<std::string, std::string>& values,
                                     const std::map<std::string, std::string>& defaults,
                                     const std::map<std::string, std::string>& skipped) {
  std::vector<std::string> args;
  for (const auto& [name, status] : table) {
    if (skipped.contains(name)) {
      continue;
    }
    auto value = values.find(name);
    if (value != values.end()) {
      args.push_back(fmt::format("--{}={}", name, value->second));
      continue;
    }
    auto fallback = defaults.find(name);
    if (fallback == defaults.end() || fallback->second.empty()) {
      ADD_FAILURE() << "no value for --" << name << " (" << status
                    << "): give one in this test, or say why it is left out";
      continue;
    }
    args.push_back(fmt::format("--{}={}", name, fallback->second));
  }
  return args;
}

// One `flag_without_effect name=<flag>` line per given flag without effect, none for the others.
void expectWarnings(const std::string& log, const std::map<std::string, std::string>& table,
                    const std::vector<std::string>& given, const char* daemon) {
  for (const auto& arg : given) {
    std::string name = arg.substr(2, arg.find('=') - 2);
    std::string needle = fmt::format("flag_without_effect name={} ", name);
    size_t first = log.find(needle);
    if (table.at(name) == "accepted, no effect") {
      EXPECT_NE(first, std::string::npos) << daemon << " --" << name << " logged no warning";
      if (first != std::string::npos) {
        EXPECT_EQ(log.find(needle, first + 1), std::string::npos)
            << daemon << " --" << name << " warned twice";
      }
    } else {
      EXPECT_EQ(first, std::string::npos) << daemon << " --" << name << " is implemented";
    }
  }
}

// Mutually exclusive flags (one of each pair is given), and what only a special machine has.
const std::map<std::string, std::string> kMasterSkipped = {
    {"help", "prints the help and exits"},
    {"zk", "excludes --master_contender and --master_detector (ZooKeeper tests give it)"},
    {"modules_dir", "excludes --modules"},
    {"ip_discovery_command", "excludes --ip, which the harness gives"},
    {"ip", "given by the harness"},
    {"port", "given by the harness"},
    {"work_dir", "given by the harness"},
    {"allocation_interval", "given by the harness"}};

const std::map<std::string, std::string> kAgentSkipped = {
    {"help", "prints the help and exits"},
    {"master_detector", "excludes --master, which the harness gives"},
    {"modules_dir", "excludes --modules"},
    {"ip_discovery_command", "excludes --ip, which the harness gives"},
    {"ip6_discovery_command", "excludes --ip6"},
    {"ip", "given by the harness"},
    {"port", "given by the harness"},
    {"master", "given by the harness"},
    {"work_dir", "given by the harness"},
    {"resources", "given by the harness"},
    {"switch_user", "given by the harness"},
    {"executor_shutdown_grace_period", "given by the harness"}};

const char* kDomain = R"({"fault_domain":{"region":{"name":"r1"},"zone":{"name":"z1"}}})";
const char* kFirewall = R"({"disabled_endpoints":{"paths":["/files/browse.json"]}})";

std::map<std::string, std::string> masterValues(const std::string& dir) {
  return {{"acls", R"({"permissive":true})"},
          {"advertise_ip", "127.0.0.1"},
          {"advertise_port", "5050"},
          {"agent_removal_rate_limit", "100/1secs"},
          {"cluster", "every-flag"},
          {"credentials", writeFile(dir + "/credentials.json",
                                    R"({"credentials":[{"principal":"p","secret":"s"}]})")},
          {"domain", kDomain},
          {"external_log_file", dir + "/master-external.log"},
          {"fair_sharing_excluded_resource_names", "gpus"},
          {"firewall_rules", kFirewall},
          {"hooks", "org_example_Hook"},
          {"hostname", "localhost"},
          {"http_framework_authenticators", "basic"},
          {"log_dir", makeDir(dir + "/master-logs")},
          {"master_contender", "org_example_Contender"},
          {"master_detector", "org_example_Detector"},
          {"max_executors_per_agent", "16"},
          {"modules", R"({"libraries":[]})"},
          {"quorum", "1"},
          {"rate_limits", R"({"limits":[{"principal":"p","qps":100}]})"},
          {"roles", "eng,ops"},
          {"webui_dir", makeDir(dir + "/webui")},
          {"weights", "eng=3,ops=1"},
          {"whitelist", writeFile(dir + "/whitelist", "localhost\n127.0.0.1\n")}};
}

// --agent_subsystems moves the agent into <cgroups_root>/slave: "cpu" where this host lets the
// test make a cgroup for it (root, a writable cpu hierarchy), else none (the agent would not
// start, as Mesos's would not).
std::string agentSubsystems() {
  bool v2 = fs::exists("/sys/fs/cgroup/cgroup.controllers");
  std::ifstream controllers("/sys/fs/cgroup/cgroup.controllers");
  std::string word;
  bool cpu = !v2;
  while (v2 && controllers >> word) {
    cpu = cpu || word == "cpu";
  }
  std::string probe = fmt::format("{}/plateau-every-flag-probe-{}",
                                  v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu", ::getpid());
  if (!cpu || ::geteuid() != 0 || ::mkdir(probe.c_str(), 0755) != 0) {
    return "";
  }
  ::rmdir(probe.c_str());
  return "cpu";
}

// The agent's cgroups (--agent_subsystems), once it has exited.
void removeAgentCgroups(const std::string& root) {
  bool v2 = fs::exists("/sys/fs/cgroup/cgroup.controllers");
  std::string base = (v2 ? "/sys/fs/cgroup/" : "/sys/fs/cgroup/cpu/") + root;
  ::rmdir((base + "/slave").c_str());
  ::rmdir(base.c_str());
}

std::map<std::string, std::string> agentValues(const std::string& dir, const std::string& gpus) {
  const std::string capabilities = R"({"capabilities":["NET_BIND_SERVICE"]})";
  return {
      {"acls", R"({"permissive":true})"},
      {"advertise_ip", "127.0.0.1"},
      {"advertise_port", "5051"},
      {"agent_features", R"({"capabilities":[{"type":"MULTI_ROLE"},{"type":"HIERARCHICAL_ROLE"},)"
                         R"({"type":"RESERVATION_REFINEMENT"}]})"},
      {"agent_subsystems", agentSubsystems()},
      {"allowed_devices", R"({"allowed_devices":[{"device":{"path":"/dev/null"},)"
                          R"("access":{"read":true,"write":true,"mknod":false}}]})"},
      {"attributes", "rack:r1;level:3;slots:[1-10]"},
      {"bounding_capabilities", capabilities},
      {"cgroups_root", fmt::format("plateau-every-flag-{}", ::getpid())},
      {"cgroups_net_cls_primary_handle", "0x0012"},
      {"cgroups_net_cls_secondary_handles", "0x0001,0xffff"},
      {"container_logger", "org_example_Logger"},
      {"container_ports_isolated_range", "[30000-40000]"},
      {"credential", writeFile(dir + "/credential.json", R"({"principal":"p","secret":"s"})")},
      {"csi_plugin_config_dir", makeDir(dir + "/csi")},
      {"default_container_dns", R"({"mesos":[],"docker":[]})"},
      {"default_container_info", R"({"type":"MESOS"})"},
      {"default_container_shm_size", "64MB"},
      {"disk_profile_adaptor", "org_example_Adaptor"},
      {"docker_config", R"({"auths":{}})"},
      {"docker_mesos_image", "example/agent:1"},
      {"domain", kDomain},
      {"domain_socket_location", dir + "/executor.sock"},
      {"effective_capabilities", capabilities},
      {"egress_flow_classifier_parent", "ffff"},
      {"egress_rate_limit_per_container", "10MB"},
      {"eth0_name", "eth0"},
      {"executor_environment_variables", R"({"PATH":"/usr/bin:/bin"})"},
      {"executor_reregistration_retry_interval", "2secs"},
      {"external_log_file", dir + "/agent-external.log"},
      {"firewall_rules", kFirewall},
      {"frameworks_home", makeDir(dir + "/frameworks")},
      {"gpu_device_source", gpus},
      {"hadoop_home", makeDir(dir + "/hadoop")},
      {"hooks", "org_example_Hook"},
      {"host_path_volume_force_creation", dir + "/host-volumes"},
      {"hostname", "localhost"},
      {"http_credentials",
       writeFile(dir + "/http.json", R"({"credentials":[{"principal":"p","secret":"s"}]})")},
      {"image_gc_config", R"({"image_disk_headroom":0.1})"},
      {"image_providers", "docker"},
      {"image_provisioner_backend", "copy"},
      {"ip6", "::1"},
      {"isolation", "filesystem/linux,docker/runtime,posix/cpu,posix/mem,gpu/nvidia"},
      {"jwt_secret_key", writeFile(dir + "/jwt.key", "a-secret-of-the-test")},
      {"launcher", "linux"},
      {"launcher_dir", PLATEAU_BIN_DIR},
      {"lo_name", "lo"},
      {"log_dir", makeDir(dir + "/agent-logs")},
      {"modules", R"({"libraries":[{"file":"libfixed_resource_estimator.so","modules":[{"name":)"
                  R"("org_apache_mesos_FixedResourceEstimator","parameters":[{"key":"resources",)"
                  R"("value":"cpus:1"}]}]},{"file":"libload_qos_controller.so","modules":[)"
                  R"({"name":"org_apache_mesos_LoadQoSController","parameters":[{"key":)"
                  R"("load_threshold_15min","value":"100000"}]}]}]})"},
      {"network_cni_config_dir", makeDir(dir + "/cni-config")},
      {"network_cni_plugins_dir", makeDir(dir + "/cni-plugins")},
      {"nvidia_gpu_devices", "0"},
      {"perf_events", "cycles"},
      {"qos_controller", "org_apache_mesos_LoadQoSController"},
      {"resource_estimator", "org_apache_mesos_FixedResourceEstimator"},
      {"resource_provider_config_dir", makeDir(dir + "/providers")},
      {"runtime_dir", makeDir(dir + "/runtime")},
      {"seccomp_config_dir", makeDir(dir + "/seccomp")},
      {"seccomp_profile_name", "default.json"},
      {"secret_resolver", "org_example_Resolver"},
      {"volume_gid_range", "[10000-20000]"}};
}

TEST(EveryMesosFlag, MasterAndAgentStartWithAllOfThemAndWarnForEachWithoutEffect) {
  auto master_table = mesosFlags("master");
  auto agent_table = mesosFlags("agent");
  ASSERT_GT(master_table.size(), 60u);
  ASSERT_GT(agent_table.size(), 140u);

  // The defaults, as the daemons report them.
  std::map<std::string, std::string> master_defaults;
  std::map<std::string, std::string> agent_defaults;
  {
    Cluster plain;
    plain.addAgent("cpus:1;mem:256");
    master_defaults = flagsOf(plain.master(), "/master/flags");
    agent_defaults = flagsOf(plain.agentEndpoint(0), "/flags");
  }
  ASSERT_FALSE(master_defaults.empty());
  ASSERT_FALSE(agent_defaults.empty());

  std::string dir = makeDir(fmt::format("/tmp/plateau-every-flag.{}", ::getpid()));
  std::string gpus =
      writeFile(dir + "/fake-nvidia-smi", "#!/bin/sh\necho '0, Fake GPU, 00000000:01:00.0'\n");
  fs::permissions(gpus, fs::perms::owner_all);
  auto master_args = commandLine(master_table, masterValues(dir), master_defaults, kMasterSkipped);
  auto agent_args = commandLine(agent_table, agentValues(dir, gpus), agent_defaults, kAgentSkipped);
  ASSERT_FALSE(::testing::Test::HasFailure());

  Cluster cluster(master_args);
  cluster.addAgent("cpus:2;mem:512;gpus:1", agent_args);
  ASSERT_EQ(cluster.registeredAgents(), 1u) << cluster.agent(0).log();
  expectWarnings(cluster.masterProcess().log(), master_table, master_args, "master");
  expectWarnings(cluster.agent(0).log(), agent_table, agent_args, "agent");

  // The agent's attributes, ranges included, read the same on the agent and the master.
  auto agent_state =
      http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 10s);
  ASSERT_TRUE(agent_state.has_value());
  auto agent_doc = json::parse(agent_state->body);
  auto master_doc = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(agent_doc.has_value() && master_doc.has_value());
  EXPECT_EQ((*agent_doc)["attributes"]["slots"].asString(), "[1-10]");
  EXPECT_EQ((*master_doc)["slaves"][0]["attributes"]["slots"].asString(), "[1-10]");
  EXPECT_EQ((*agent_doc)["attributes"]["level"].asDouble(), 3);

  // What was given is what /master/flags reports.
  auto effective = flagsOf(cluster.master(), "/master/flags");
  EXPECT_EQ(effective["weights"], "eng=3,ops=1");
  EXPECT_EQ(effective["cluster"], "every-flag");

  // The cluster works with all of them: a framework of a listed role runs a task.
  Scheduler s(cluster.master(), http::ContentType::kJson);
  // GPU_RESOURCES: with --filter_gpu_resources (Mesos's default) only such frameworks get offers
  // from an agent with GPUs.
  auto info = frameworkInfo("every-flag", {"eng"});
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::GPU_RESOURCES);
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers.has_value());
  s.launch(offers->offers().offers(0), "t", "true", "cpus:0.1;mem:32");
  std::optional<v1::TaskStatus> end;
  ASSERT_TRUE(eventually([&] {
    auto update = s.nextUpdate(1s);
    if (update && (update->state() == v1::TASK_FINISHED || update->state() == v1::TASK_FAILED ||
                   update->state() == v1::TASK_ERROR || update->state() == v1::TASK_LOST)) {
      end = update;
    }
    return end.has_value();
  }));
  EXPECT_EQ(end->state(), v1::TASK_FINISHED) << end->DebugString();
  cluster.agent(0).kill(SIGTERM);
  cluster.agent(0).wait();
  removeAgentCgroups(fmt::format("plateau-every-flag-{}", ::getpid()));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace plateau::testing
