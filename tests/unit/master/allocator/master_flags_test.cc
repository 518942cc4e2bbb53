// Master flags the allocator carries out: --whitelist (only listed hostnames are offered) and
// --fair_sharing_excluded_resource_names (names that count in no dominant share).

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "master/allocator/allocator.h"
#include "unit/master/allocator/allocator_test_util.h"

namespace plateau::master::allocator {
namespace {

using testing::res;

const TimePoint kNow = TimePoint{} + std::chrono::hours(1);

std::set<std::string> offeredAgents(const std::vector<Offer>& offers) {
  std::set<std::string> agents;
  for (const Offer& offer : offers) {
    agents.insert(offer.agent_id);
  }
  return agents;
}

TEST(AllocatorWhitelist, OnlyWhitelistedHostnamesAreOffered) {
  Allocator allocator;
  allocator.updateWhitelist(std::set<std::string>{"host1"});
  PLATEAU_ASSERT_OK(allocator.addFramework("fw", {.roles = {"*"}}));
  PLATEAU_ASSERT_OK(allocator.addAgent("a1", res("cpus:1;mem:128"), {}, {.hostname = "host1"}));
  PLATEAU_ASSERT_OK(allocator.addAgent("a2", res("cpus:1;mem:128"), {}, {.hostname = "host2"}));
  EXPECT_EQ(offeredAgents(allocator.allocate(kNow)), std::set<std::string>{"a1"});
  EXPECT_TRUE(allocator.allocate(kNow).empty());

  // Listed later: offered at the next round. No whitelist any more: every agent.
  allocator.updateWhitelist(std::set<std::string>{"host1", "host2"});
  EXPECT_EQ(offeredAgents(allocator.allocate(kNow)), std::set<std::string>{"a2"});
  PLATEAU_ASSERT_OK(allocator.addAgent("a3", res("cpus:1;mem:128"), {}, {.hostname = "host3"}));
  EXPECT_TRUE(allocator.allocate(kNow).empty());
  allocator.updateWhitelist(std::nullopt);
  EXPECT_EQ(offeredAgents(allocator.allocate(kNow)), std::set<std::string>{"a3"});
}

TEST(AllocatorWhitelist, AnEmptyWhitelistOffersNothingAndKeepsAllocations) {
  Allocator allocator;
  PLATEAU_ASSERT_OK(allocator.addFramework("fw", {.roles = {"*"}}));
  PLATEAU_ASSERT_OK(
      allocator.addAgent("a1", res("cpus:2;mem:256"),
                         {{.framework_id = "fw", .role = "*", .resources = res("cpus:1;mem:128")}},
                         {.hostname = "host1"}));
  allocator.updateWhitelist(std::set<std::string>{});
  EXPECT_TRUE(allocator.allocate(kNow).empty());
  EXPECT_EQ(*allocator.allocation("fw"), res("cpus:1;mem:128"));
}

// fw1 holds the cluster's only GPU and little else; fw2 a fifth of the CPUs. Which of them is
// offered the free agent depends on whether GPUs count in their shares.
std::string firstOffered(const std::vector<std::string>& excluded) {
  Allocator allocator({.fair_sharing_excluded = excluded});
  EXPECT_TRUE(allocator.addFramework("fw1", {.roles = {"*"}, .gpu_capable = true}).isOk());
  EXPECT_TRUE(allocator.addFramework("fw2", {.roles = {"*"}}).isOk());
  EXPECT_TRUE(
      allocator
          .addAgent(
              "gpu", res("cpus:0.1;mem:10;gpus:1"),
              {{.framework_id = "fw1", .role = "*", .resources = res("cpus:0.1;mem:10;gpus:1")}})
          .isOk());
  EXPECT_TRUE(
      allocator
          .addAgent("busy", res("cpus:2;mem:100"),
                    {{.framework_id = "fw2", .role = "*", .resources = res("cpus:2;mem:100")}})
          .isOk());
  EXPECT_TRUE(allocator.addAgent("free", res("cpus:8;mem:890"), {}).isOk());
  auto offers = allocator.allocate(kNow);
  return offers.size() == 1 ? offers[0].framework_id : "";
}

TEST(AllocatorFairSharing, ExcludedResourceNamesCountInNoShare) {
  EXPECT_EQ(firstOffered({}), "fw2");  // fw1's dominant share is its GPU: 100%
  EXPECT_EQ(firstOffered({"gpus"}), "fw1");
  EXPECT_EQ(firstOffered({"ports", "gpus"}), "fw1");
}

}  // namespace
}  // namespace plateau::master::allocator
