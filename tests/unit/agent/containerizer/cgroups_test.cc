// The pure parts of the cgroups support (paths, values, parsing) and the v2 code paths run
// against a fake unified hierarchy in a temporary directory (this host may have v1 only).

#include "agent/containerizer/cgroups.h"

#include <sched.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/containerizer/isolators.h"

namespace plateau::agent {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void put(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(CgroupsValuesTest, CpuSharesFollowMesos) {
  EXPECT_EQ(cgroups::cpuShares(1), 1024u);
  EXPECT_EQ(cgroups::cpuShares(0.5), 512u);
  EXPECT_EQ(cgroups::cpuShares(2.25), 2304u);
  EXPECT_EQ(cgroups::cpuShares(0.001), 2u);  // floor of 2 shares
  EXPECT_EQ(cgroups::cpuShares(0), 2u);
}

TEST(CgroupsValuesTest, RevocableCpusGetMesosLowPriorityShares) {
  EXPECT_EQ(cgroups::cpuShares(1, true), 10u);
  EXPECT_EQ(cgroups::cpuShares(4, true), 40u);
  EXPECT_EQ(cgroups::cpuShares(0.1, true), 2u);  // floor of 2 shares
  EXPECT_EQ(cgroups::cpuShares(4, false), 4096u);
}

TEST(CgroupsValuesTest, CfsQuotaIsCpusTimesPeriod) {
  EXPECT_EQ(cgroups::cfsQuotaUs(1), 100000u);
  EXPECT_EQ(cgroups::cfsQuotaUs(0.3), 30000u);
  EXPECT_EQ(cgroups::cfsQuotaUs(4), 400000u);
  EXPECT_EQ(cgroups::cfsQuotaUs(0.001), 1000u);  // floor of 1 ms
  EXPECT_EQ(cgroups::cfsQuotaUs(0.5, 50000), 25000u);
}

TEST(CgroupsValuesTest, SharesTranslateToV2Weight) {
  EXPECT_EQ(cgroups::sharesToWeight(2), 1u);
  EXPECT_EQ(cgroups::sharesToWeight(262144), 10000u);
  EXPECT_EQ(cgroups::sharesToWeight(1024), 39u);  // 1 + 1022*9999/262142
  EXPECT_EQ(cgroups::sharesToWeight(1), 1u);      // clamped
  EXPECT_EQ(cgroups::sharesToWeight(1u << 30), 10000u);
}

TEST(CgroupsValuesTest, CpuMaxAndMemoryLimit) {
  EXPECT_EQ(cgroups::cpuMax(30000), "30000 100000");
  EXPECT_EQ(cgroups::cpuMax(std::nullopt), "max 100000");
  EXPECT_EQ(cgroups::memoryLimitBytes(64), 64ull << 20);
  EXPECT_EQ(cgroups::memoryLimitBytes(1), 32ull << 20);  // floor of 32 MB
  EXPECT_EQ(cgroups::memoryLimitBytes(1024.5), (1024ull << 20) + (512ull << 10));
}

TEST(CgroupsParseTest, V1MountsByController) {
  const char* mounts =
      "sysfs /sys sysfs rw,nosuid 0 0\n"
      "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0\n"
      "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
      "cgroup /sys/fs/cgroup/systemd cgroup rw,xattr,name=systemd 0 0\n"
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
  auto m = cgroups::parseV1Mounts(mounts);
  EXPECT_EQ(m["cpu"], "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m["cpuacct"], "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m["memory"], "/sys/fs/cgroup/memory");
  EXPECT_FALSE(m.contains("name=systemd"));
  EXPECT_FALSE(m.contains("relatime"));
  EXPECT_EQ(m.size(), 3u);
}

TEST(CgroupsParseTest, ContainerPathsV1AndV2) {
  cgroups::Layout v1;
  v1.mounts = {{"cpu", "/sys/fs/cgroup/cpu,cpuacct"}, {"memory", "/sys/fs/cgroup/memory"}};
  EXPECT_EQ(cgroups::containerPath(v1, "cpu", "plateau", "c1"),
            "/sys/fs/cgroup/cpu,cpuacct/plateau/c1");
  EXPECT_EQ(cgroups::containerPath(v1, "memory", "plateau", "c1"),
            "/sys/fs/cgroup/memory/plateau/c1");
  EXPECT_EQ(cgroups::containerPath(v1, "pids", "plateau", "c1"), "");  // not mounted
  cgroups::Layout v2;
  v2.version = cgroups::Version::kV2;
  v2.unified = "/sys/fs/cgroup";
  EXPECT_EQ(cgroups::containerPath(v2, "memory", "a/b", "c1"), "/sys/fs/cgroup/a/b/c1");
  EXPECT_EQ(cgroups::rootPath(v2, "cpu", "plateau"), "/sys/fs/cgroup/plateau");
}

TEST(CgroupsParseTest, CountersAndPids) {
  auto kv = cgroups::parseKeyValues("nr_periods 12\nnr_throttled 3\nthrottled_time 4500\nbad\n");
  EXPECT_EQ(kv["nr_periods"], 12u);
  EXPECT_EQ(kv["nr_throttled"], 3u);
  EXPECT_EQ(kv["throttled_time"], 4500u);
  EXPECT_FALSE(kv.contains("bad"));
  EXPECT_EQ(cgroups::oomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2u);
  EXPECT_EQ(cgroups::oomKills("low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n"), 1u);
  EXPECT_EQ(cgroups::oomKills("oom_kill_disable 0\nunder_oom 0\n"), 0u);
  EXPECT_EQ(cgroups::parsePids("12\n345\n\n"), (std::vector<pid_t>{12, 345}));
}

// A fake cgroup v2 tree: the files the kernel would create are made by the test.
class CgroupsV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-cgroups-v2.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    put(fs::path(dir_) / "cgroup.controllers", "cpuset cpu io memory pids\n");
    put(fs::path(dir_) / "cgroup.subtree_control", "");
    put(fs::path(dir_) / "plateau" / "cgroup.subtree_control", "");
    for (const char* f : {"cpu.weight", "cpu.max", "memory.max", "cgroup.procs"}) {
      put(fs::path(dir_) / "plateau" / "c1" / f, "");
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(CgroupsV2Test, DetectsUnifiedHierarchy) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value()) << layout.error().message();
  EXPECT_EQ(layout->version, cgroups::Version::kV2);
  EXPECT_EQ(layout->unified, dir_);
  EXPECT_EQ(layout->v2_controllers,
            (std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"}));
}

TEST_F(CgroupsV2Test, CpuAndMemoryLimitsAndOom) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  CgroupsConfig config{*layout, "plateau", true};
  auto cpu = makeCgroupsCpuIsolator(config);
  auto mem = makeCgroupsMemIsolator(config);
  ContainerConfig c;
  c.container_id = "c1";
  c.cpus = 0.3;
  c.mem_mb = 64;
  ASSERT_TRUE(cpu->prepare(c).isOk());
  ASSERT_TRUE(mem->prepare(c).isOk());
  fs::path cg = fs::path(dir_) / "plateau" / "c1";
  EXPECT_EQ(slurp(cg / "cpu.weight"), std::to_string(cgroups::sharesToWeight(307)));
  EXPECT_EQ(slurp(cg / "cpu.max"), "30000 100000");
  EXPECT_EQ(slurp(cg / "memory.max"), std::to_string(64ull << 20));
  // Controllers are delegated from the top down to the containers' parent.
  EXPECT_EQ(slurp(fs::path(dir_) / "cgroup.subtree_control"), "+memory");
  EXPECT_EQ(slurp(fs::path(dir_) / "plateau" / "cgroup.subtree_control"), "+memory");
  // Both isolators share one v2 cgroup.
  EXPECT_EQ(cpu->procsFiles("c1"), mem->procsFiles("c1"));
  EXPECT_EQ(cpu->procsFiles("c1"), (std::vector<std::string>{(cg / "cgroup.procs").string()}));

  put(cg / "cpu.stat",
      "usage_usec 500000\nuser_usec 300000\nsystem_usec 200000\nnr_periods 40\n"
      "nr_throttled 7\nthrottled_usec 250000\n");
  put(cg / "memory.current", "1048576\n");
  put(cg / "memory.stat", "anon 524288\nfile 4096\n");
  json::Value stats = json::Object{};
  cpu->usage(c, &stats);
  mem->usage(c, &stats);
  EXPECT_DOUBLE_EQ(stats["cpus_user_time_secs"].asDouble(), 0.3);
  EXPECT_DOUBLE_EQ(stats["cpus_system_time_secs"].asDouble(), 0.2);
  EXPECT_EQ(stats["cpus_nr_throttled"].toUint64(), 7u);
  EXPECT_DOUBLE_EQ(stats["cpus_throttled_time_secs"].asDouble(), 0.25);
  EXPECT_EQ(stats["mem_total_bytes"].toUint64(), 1048576u);
  EXPECT_EQ(stats["mem_rss_bytes"].toUint64(), 524288u);

  put(cg / "memory.events", "low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n");
  EXPECT_FALSE(mem->check(c).has_value());
  put(cg / "memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
  auto limitation = mem->check(c);
  ASSERT_TRUE(limitation.has_value());
  EXPECT_EQ(limitation->kind, Limitation::Kind::kMemory);
  EXPECT_NE(limitation->message.find("64MB"), std::string::npos) << limitation->message;
}

TEST_F(CgroupsV2Test, NoQuotaWithoutCfs) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  auto cpu = makeCgroupsCpuIsolator(CgroupsConfig{*layout, "plateau", false});
  ContainerConfig c;
  c.container_id = "c1";
  c.cpus = 2;
  ASSERT_TRUE(cpu->prepare(c).isOk());
  EXPECT_EQ(slurp(fs::path(dir_) / "plateau" / "c1" / "cpu.max"), "max 100000");
  EXPECT_EQ(slurp(fs::path(dir_) / "plateau" / "c1" / "cpu.weight"), "79");
}

TEST_F(CgroupsV2Test, RecoverRemovesOnlyOrphans) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  auto pids = makeCgroupsPidsIsolator(
      CgroupsConfig{.layout = *layout, .root = "plateau", .destroy_wait = std::chrono::seconds(0)});
  fs::create_directories(fs::path(dir_) / "plateau" / "orphan");
  fs::create_directories(fs::path(dir_) / "plateau" / "alive");
  fs::create_directories(fs::path(dir_) / "plateau" / "slave");  // the agent's own
  // The fixture's c1 is not empty (it stands for a cgroup still holding processes): handed back.
  EXPECT_EQ(pids->recover({"alive"}),
            (std::vector<std::string>{(fs::path(dir_) / "plateau" / "c1").string()}));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "plateau" / "orphan"));
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "plateau" / "alive"));
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "plateau" / "slave"));
}

TEST(CgroupsValuesTest, MemoryAndSwapLimitOrder) {
  using cgroups::Version;
  using W = cgroups::Write;
  const uint64_t mb64 = 64ull << 20;
  EXPECT_EQ(cgroups::memoryLimitWrites(Version::kV1, UINT64_MAX, mb64, false),
            (std::vector<W>{{"memory.limit_in_bytes", "67108864"}}));
  // First set (from unlimited) and lowered: memory first, so it never exceeds memory+swap.
  EXPECT_EQ(cgroups::memoryLimitWrites(Version::kV1, 9223372036854771712ull, mb64, true),
            (std::vector<W>{{"memory.limit_in_bytes", "67108864"},
                            {"memory.memsw.limit_in_bytes", "67108864"}}));
  // Raised: memory+swap first.
  EXPECT_EQ(cgroups::memoryLimitWrites(Version::kV1, 32ull << 20, mb64, true),
            (std::vector<W>{{"memory.memsw.limit_in_bytes", "67108864"},
                            {"memory.limit_in_bytes", "67108864"}}));
  EXPECT_EQ(cgroups::memoryLimitWrites(Version::kV1, mb64, mb64, true).front().file,
            "memory.limit_in_bytes");
  // v2 counts swap apart: memory+swap = memory is no swap at all.
  EXPECT_EQ(cgroups::memoryLimitWrites(Version::kV2, 0, mb64, true),
            (std::vector<W>{{"memory.max", "67108864"}, {"memory.swap.max", "0"}}));
  EXPECT_EQ(cgroups::memoryLimitWrites(Version::kV2, 0, mb64, false),
            (std::vector<W>{{"memory.max", "67108864"}}));
}

TEST(CgroupsParseTest, SubsystemList) {
  EXPECT_EQ(cgroups::parseSubsystems("memory,cpuacct"),
            (std::vector<std::string>{"memory", "cpuacct"}));
  EXPECT_EQ(cgroups::parseSubsystems(" memory ,,cpu,memory,"),
            (std::vector<std::string>{"memory", "cpu"}));
  EXPECT_TRUE(cgroups::parseSubsystems("").empty());
  EXPECT_TRUE(cgroups::parseSubsystems(",,").empty());
}

TEST(CgroupsDestroyTest, GoneIsDoneAndAStuckCgroupIsNamed) {
  char tmpl[] = "/tmp/plateau-cgroups-destroy.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  EXPECT_TRUE(cgroups::destroy(dir + "/missing", std::chrono::seconds(0)).isOk());
  // Not empty: stands for a cgroup that still holds processes (rmdir refused).
  put(fs::path(dir) / "stuck" / "cgroup.procs", "");
  auto started = std::chrono::steady_clock::now();
  Status s = cgroups::destroy(dir + "/stuck", std::chrono::milliseconds(50));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(50));
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find(dir + "/stuck"), std::string::npos) << s.message();
  fs::create_directories(fs::path(dir) / "empty");
  EXPECT_TRUE(cgroups::destroy(dir + "/empty", std::chrono::seconds(0)).isOk());
  EXPECT_FALSE(fs::exists(fs::path(dir) / "empty"));
  fs::remove_all(dir);
}

TEST_F(CgroupsV2Test, SwapLimitNeedsSwapAccounting) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  Status missing = cgroups::checkSwapLimit(*layout, "plateau");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.message().find("memory.swap.max"), std::string::npos) << missing.message();
  EXPECT_EQ(slurp(fs::path(dir_) / "cgroup.subtree_control"), "+memory");
  put(fs::path(dir_) / "plateau" / "memory.swap.max", "max\n");
  EXPECT_TRUE(cgroups::checkSwapLimit(*layout, "plateau").isOk());
}

TEST_F(CgroupsV2Test, SwapLimitedMemoryAndItsUsage) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  fs::path cg = fs::path(dir_) / "plateau" / "c1";
  put(cg / "memory.swap.max", "");
  auto mem = makeCgroupsMemIsolator(
      CgroupsConfig{.layout = *layout, .root = "plateau", .limit_swap = true});
  ContainerConfig c{.container_id = "c1", .mem_mb = 64};
  ASSERT_TRUE(mem->prepare(c).isOk());
  EXPECT_EQ(slurp(cg / "memory.max"), std::to_string(64ull << 20));
  EXPECT_EQ(slurp(cg / "memory.swap.max"), "0");
  put(cg / "memory.current", "1000\n");
  put(cg / "memory.swap.current", "24\n");
  json::Value stats = json::Object{};
  mem->usage(c, &stats);
  EXPECT_EQ(stats["mem_total_memsw_bytes"].toUint64(), 1024u);
  EXPECT_EQ(stats["mem_swap_bytes"].toUint64(), 24u);
}

TEST_F(CgroupsV2Test, CpuCountsProcessesAndThreadsWhenAsked) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  fs::path cg = fs::path(dir_) / "plateau" / "c1";
  put(cg / "cgroup.procs", "10\n11\n");
  put(cg / "cgroup.threads", "10\n11\n12\n13\n");
  ContainerConfig c{.container_id = "c1", .cpus = 1};
  json::Value off = json::Object{};
  makeCgroupsCpuIsolator(CgroupsConfig{.layout = *layout, .root = "plateau"})->usage(c, &off);
  EXPECT_EQ(off.find("processes"), nullptr);
  EXPECT_EQ(off.find("threads"), nullptr);
  json::Value on = json::Object{};
  makeCgroupsCpuIsolator(
      CgroupsConfig{.layout = *layout, .root = "plateau", .count_pids_and_tids = true})
      ->usage(c, &on);
  EXPECT_EQ(on["processes"].toUint64(), 2u);
  EXPECT_EQ(on["threads"].toUint64(), 4u);
}

TEST_F(CgroupsV2Test, AgentJoinsItsOwnCgroup) {
  auto layout = cgroups::detect(dir_);
  ASSERT_TRUE(layout.has_value());
  fs::path slave = fs::path(dir_) / "plateau" / "slave";
  put(slave / "cgroup.procs", "1\n");  // something an earlier agent left there
  auto others = cgroups::joinAgentCgroup(*layout, "plateau", {"memory", "cpu"}, 77);
  ASSERT_TRUE(others.has_value()) << others.error().message();
  EXPECT_EQ(*others, (std::vector<pid_t>{1}));
  EXPECT_EQ(slurp(slave / "cgroup.procs"), "77");
  EXPECT_EQ(slurp(fs::path(dir_) / "cgroup.subtree_control"), "+memory +cpu");
  auto unknown = cgroups::joinAgentCgroup(*layout, "plateau", {"memory", "net_cls"}, 77);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("--agent_subsystems"), std::string::npos);
  EXPECT_NE(unknown.error().message().find("net_cls"), std::string::npos);
}

TEST(CgroupsV1Test, AgentJoinsEachHierarchyOnce) {
  char tmpl[] = "/tmp/plateau-cgroups-v1.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  cgroups::Layout v1;
  v1.mounts = {{"cpu", dir + "/cpu,cpuacct"},
               {"cpuacct", dir + "/cpu,cpuacct"},
               {"memory", dir + "/memory"}};
  for (const char* m : {"cpu,cpuacct", "memory"}) {
    put(fs::path(dir) / m / "mesos" / "slave" / "cgroup.procs", "");
  }
  auto others = cgroups::joinAgentCgroup(v1, "mesos", {"cpu", "cpuacct", "memory"}, 99);
  ASSERT_TRUE(others.has_value()) << others.error().message();
  EXPECT_TRUE(others->empty());
  EXPECT_EQ(slurp(fs::path(dir) / "cpu,cpuacct/mesos/slave/cgroup.procs"), "99");
  EXPECT_EQ(slurp(fs::path(dir) / "memory/mesos/slave/cgroup.procs"), "99");
  auto missing = cgroups::joinAgentCgroup(v1, "mesos", {"pids"}, 99);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("'pids'"), std::string::npos);
  fs::remove_all(dir);
}

TEST(PidNamespaceIsolatorTest, SharingTheAgentsNamespace) {
  ContainerConfig own{.container_id = "c1"};
  ContainerConfig shared{.container_id = "c2", .share_pid_namespace = true};
  auto allowed = makePidNamespaceIsolator(/*disallow_sharing=*/false);
  EXPECT_EQ(allowed->cloneFlags(own), CLONE_NEWPID | CLONE_NEWNS);
  EXPECT_TRUE(allowed->prepare(shared).isOk());
  EXPECT_EQ(allowed->cloneFlags(shared), 0);
  auto refused = makePidNamespaceIsolator(/*disallow_sharing=*/true);
  EXPECT_TRUE(refused->prepare(own).isOk());
  Status s = refused->prepare(shared);
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("pid namespace"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--disallow_sharing_agent_pid_namespace"), std::string::npos);
}

}  // namespace
}  // namespace plateau::agent
