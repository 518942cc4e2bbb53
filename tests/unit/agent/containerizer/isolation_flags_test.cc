// --isolation and the other containerizer flags: parsing and validation.

#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "agent/containerizer/linux_containerizer.h"
#include "agent/flags.h"

namespace plateau::agent {
namespace {

Status parseAgentFlags(std::vector<std::string> args) {
  Flags f;
  flags::FlagSet set("plateau-agent", "test");
  registerFlags(set, f);
  std::vector<const char*> argv = {"plateau-agent", "--master=127.0.0.1:5050"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  if (Status s = set.parse(static_cast<int>(argv.size()), argv.data()); !s.isOk()) {
    return s;
  }
  return validateFlags(f);
}

TEST(IsolationFlagsTest, ParsesMesosNames) {
  auto names = parseIsolation("cgroups/cpu, cgroups/mem,disk/du,,cgroups/cpu");
  ASSERT_TRUE(names.has_value()) << names.error().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"cgroups/cpu", "cgroups/mem", "disk/du"}));
  auto all = parseIsolation(
      "posix/cpu,posix/mem,cgroups/cpu,cgroups/mem,cgroups/pids,disk/du,namespaces/pid,"
      "filesystem/posix");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 8u);
}

// --help names every isolator --isolation accepts (volume/host_path and gpu/nvidia included), and
// --isolation accepts every name --help gives, all at once.
TEST(IsolationFlagsTest, HelpNamesEveryAcceptedIsolator) {
  Flags f;
  flags::FlagSet set("plateau-agent", "test");
  registerFlags(set, f);
  std::string help;
  for (const auto& info : set.describe()) {
    if (info.name == "isolation") {
      help = info.help;
    }
  }
  const std::string prefix = "Comma-separated isolators: ";
  ASSERT_EQ(help.rfind(prefix, 0), 0u) << help;
  std::string listed = help.substr(prefix.size());
  std::erase(listed, ' ');
  auto names = parseIsolation(listed);
  ASSERT_TRUE(names.has_value()) << names.error().message();
  EXPECT_EQ(*names, knownIsolators());
  for (const char* name : {"volume/host_path", "gpu/nvidia", "filesystem/linux", "docker/runtime",
                           "cgroups/pids", "namespaces/pid"}) {
    EXPECT_NE(std::find(names->begin(), names->end(), name), names->end()) << name;
  }
  // All at once (volume/host_path needs filesystem/linux beside it, and root).
  Status all = parseAgentFlags({"--isolation=" + listed, "--launcher=linux"});
  if (::geteuid() == 0) {
    EXPECT_TRUE(all.isOk()) << all.message();
  } else {
    EXPECT_NE(all.message().find("root"), std::string::npos) << all.message();
  }
}

TEST(IsolationFlagsTest, UnknownIsolatorNamesTheFlag) {
  auto names = parseIsolation("cgroups/cpu,network/cni");
  ASSERT_FALSE(names.has_value());
  EXPECT_NE(names.error().message().find("--isolation"), std::string::npos);
  EXPECT_NE(names.error().message().find("network/cni"), std::string::npos);
  Status s = parseAgentFlags({"--isolation=posix/cpu,bogus/thing"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("--isolation"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bogus/thing"), std::string::npos) << s.message();
}

TEST(IsolationFlagsTest, DefaultsAndOtherFlags) {
  Flags f;
  EXPECT_EQ(f.isolation, "posix/cpu,posix/mem");
  EXPECT_EQ(f.cgroups_root, "plateau");
  EXPECT_EQ(f.cgroups_hierarchy, "/sys/fs/cgroup");
  EXPECT_TRUE(f.switch_user);
  EXPECT_FALSE(f.cgroups_enable_cfs);
  EXPECT_FALSE(f.enforce_container_disk_quota);
  EXPECT_EQ(f.container_disk_watch_interval, std::chrono::seconds(15));
  EXPECT_TRUE(parseAgentFlags({"--isolation=cgroups/cpu,cgroups/mem", "--cgroups_enable_cfs",
                               "--switch_user=false", "--container_disk_watch_interval=1secs",
                               "--enforce_container_disk_quota", "--launcher=posix"})
                  .isOk());
  Status launcher = parseAgentFlags({"--launcher=docker"});
  ASSERT_FALSE(launcher.isOk());
  EXPECT_NE(launcher.message().find("--launcher"), std::string::npos);
  Status pid_ns = parseAgentFlags({"--isolation=namespaces/pid", "--launcher=posix"});
  ASSERT_FALSE(pid_ns.isOk());
  EXPECT_NE(pid_ns.message().find("--isolation"), std::string::npos);
  EXPECT_NE(pid_ns.message().find("linux"), std::string::npos);
  Status root = parseAgentFlags({"--cgroups_root=../escape"});
  ASSERT_FALSE(root.isOk());
  EXPECT_NE(root.message().find("--cgroups_root"), std::string::npos);
}

TEST(IsolationFlagsTest, CgroupsAndPidNamespaceFlags) {
  Flags f;
  EXPECT_FALSE(f.cgroups_limit_swap);
  EXPECT_FALSE(f.cgroups_cpu_enable_pids_and_tids_count);
  EXPECT_EQ(f.cgroups_destroy_timeout, std::chrono::minutes(1));
  EXPECT_TRUE(f.agent_subsystems.empty());
  EXPECT_FALSE(f.disallow_sharing_agent_pid_namespace);

  flags::FlagSet set("plateau-agent", "test");
  registerFlags(set, f);
  std::vector<const char*> argv = {"plateau-agent",
                                   "--master=127.0.0.1:5050",
                                   "--cgroups_limit_swap",
                                   "--cgroups_cpu_enable_pids_and_tids_count",
                                   "--cgroups_destroy_timeout=90secs",
                                   "--slave_subsystems=memory,cpuacct",
                                   "--disallow_sharing_agent_pid_namespace"};
  ASSERT_TRUE(set.parse(static_cast<int>(argv.size()), argv.data()).isOk());
  ASSERT_TRUE(validateFlags(f).isOk());
  EXPECT_TRUE(f.cgroups_limit_swap);
  EXPECT_EQ(f.agent_subsystems, "memory,cpuacct");  // the deprecated name sets it too
  ContainerizerOptions o = containerizerOptions(f);
  EXPECT_TRUE(o.cgroups_limit_swap);
  EXPECT_TRUE(o.cgroups_cpu_enable_pids_and_tids_count);
  EXPECT_EQ(o.cgroups_destroy_timeout, std::chrono::seconds(90));
  EXPECT_TRUE(o.disallow_sharing_agent_pid_namespace);
}

TEST(IsolationFlagsTest, BadDestroyTimeoutNamesTheFlag) {
  for (const char* bad : {"--cgroups_destroy_timeout=abc", "--cgroups_destroy_timeout=-5secs"}) {
    Status s = parseAgentFlags({bad});
    ASSERT_FALSE(s.isOk()) << bad;
    EXPECT_NE(s.message().find("--cgroups_destroy_timeout"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(parseAgentFlags({"--cgroups_destroy_timeout=0secs"}).isOk());
  Status swap = parseAgentFlags({"--cgroups_limit_swap=maybe"});
  ASSERT_FALSE(swap.isOk());
  EXPECT_NE(swap.message().find("cgroups_limit_swap"), std::string::npos) << swap.message();
}

}  // namespace
}  // namespace plateau::agent
