// The Linux containerizer's seams: usage is stamped with the agent's clock (virtual here), and
// recovered containers are known, measured and destroyed without launching anything.

#include "agent/containerizer/linux_containerizer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "fakes/virtual_time.h"
#include "runtime/event_loop.h"

namespace plateau::agent {
namespace {

using namespace std::chrono_literals;

TEST(LinuxContainerizerTest, UsageIsStampedWithTheAgentsClock) {
  EventLoop loop;  // never run: the periodic check does not fire
  testing::VirtualTime time;
  time.advance(90s);
  auto containerizer = LinuxContainerizer::create(loop, time, {.isolation = "posix/cpu,posix/mem"},
                                                  std::make_shared<spdlog::logger>("test"));
  ASSERT_TRUE(containerizer) << containerizer.error().message();
  ContainerConfig config{.container_id = "c1",
                         .directory = "/",
                         .cpus = 1.5,
                         .mem_mb = 64,
                         .disk_mb = 0,
                         .pid = ::getpid()};
  (*containerizer)->recover({config});
  ASSERT_TRUE((*containerizer)->contains("c1"));

  json::Value first = (*containerizer)->usage("c1");
  EXPECT_DOUBLE_EQ(first["timestamp"].asDouble(), time.wallSeconds());
  EXPECT_DOUBLE_EQ(first["cpus_limit"].asDouble(), 1.5);
  time.advance(5s);
  json::Value second = (*containerizer)->usage("c1");
  EXPECT_DOUBLE_EQ(second["timestamp"].asDouble() - first["timestamp"].asDouble(), 5.0);

  EXPECT_TRUE((*containerizer)->usage("unknown").isNull());
  (*containerizer)->destroy("c1");
  EXPECT_FALSE((*containerizer)->contains("c1"));
  EXPECT_TRUE((*containerizer)->usage("c1").isNull());
}

// --cgroups_limit_swap on a kernel without swap accounting stops the agent, as in Mesos: here a
// fake v2 hierarchy whose cgroups have no memory.swap.max.
TEST(LinuxContainerizerTest, SwapLimitWithoutSwapAccountingFailsNamingTheFlag) {
  char tmpl[] = "/tmp/plateau-containerizer.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  for (const char* file :
       {"cgroup.controllers", "cgroup.subtree_control", "plateau/cgroup.subtree_control"}) {
    std::filesystem::create_directories(std::filesystem::path(dir + "/" + file).parent_path());
    std::ofstream(dir + "/" + file)
        << (std::string(file) == "cgroup.controllers" ? "memory\n" : "");
  }
  EventLoop loop;
  testing::VirtualTime time;
  auto log = std::make_shared<spdlog::logger>("test");
  ContainerizerOptions options{
      .isolation = "cgroups/mem", .cgroups_hierarchy = dir, .cgroups_limit_swap = true};
  auto refused = LinuxContainerizer::create(loop, time, options, log);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("--cgroups_limit_swap"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("memory.swap.max"), std::string::npos);
  std::ofstream(dir + "/plateau/memory.swap.max") << "max\n";
  EXPECT_TRUE(LinuxContainerizer::create(loop, time, options, log).has_value());
  options.cgroups_limit_swap = false;
  std::filesystem::remove(dir + "/plateau/memory.swap.max");
  EXPECT_TRUE(LinuxContainerizer::create(loop, time, options, log).has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace plateau::agent
