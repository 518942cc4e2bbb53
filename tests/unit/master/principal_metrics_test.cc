#include "master/principal_metrics.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace plateau::master {
namespace {

// Whether the snapshot has `key`.
bool inSnapshot(const metrics::Registry& registry, const std::string& key) {
  for (const auto& [name, value] : registry.snapshot()) {
    if (name == key) {
      return true;
    }
  }
  return false;
}

// Which of `names` have a pair now.
std::set<std::string> counted(PrincipalMetrics& principals, const std::set<std::string>& names) {
  std::set<std::string> out;
  for (const auto& name : names) {
    if (principals.counters(name, false) != nullptr) {
      out.insert(name);
    }
  }
  return out;
}

using Names = std::set<std::string>;

TEST(PrincipalMetricsTest, CountsAPrincipalFromItsFirstCallAndNeverTheEmptyOne) {
  metrics::Registry registry;
  PrincipalMetrics principals(registry);
  EXPECT_EQ(principals.counters("", true), nullptr);
  EXPECT_EQ(principals.counters("web", false), nullptr);
  auto* web = principals.counters("web", true);
  ASSERT_NE(web, nullptr);
  web->received->inc(3);
  EXPECT_EQ(principals.counters("web", false), web);
  EXPECT_TRUE(inSnapshot(registry, "frameworks/web/messages_received"));
  EXPECT_TRUE(inSnapshot(registry, "frameworks/web/messages_processed"));
  EXPECT_NE(registry.prometheus().find("plateau_master_framework_principal_776562_messages_"
                                       "received_total 3"),
            std::string::npos);
}

// The bound: past it, the principal idle the longest makes room; live ones are never dropped.
TEST(PrincipalMetricsTest, KeepsAtMostTheBoundDroppingTheOldestIdleFirst) {
  metrics::Registry registry;
  PrincipalMetrics principals(registry, 3);
  principals.frameworkAdded("f1", "a");
  principals.frameworkAdded("f2", "b");
  principals.frameworkAdded("f3", "c");
  EXPECT_EQ(principals.size(), 3u);
  EXPECT_EQ(principals.idleCount(), 0u);
  // Every counted principal is live: a fourth is not counted.
  EXPECT_EQ(principals.counters("d", true), nullptr);
  EXPECT_FALSE(inSnapshot(registry, "frameworks/d/messages_received"));

  principals.frameworkRemoved("f2");  // b idle first
  principals.frameworkRemoved("f1");  // then a
  EXPECT_EQ(principals.idleCount(), 2u);
  EXPECT_NE(principals.counters("b", false), nullptr);  // kept while there is no need for room
  ASSERT_NE(principals.counters("d", true), nullptr);
  EXPECT_EQ(principals.size(), 3u);
  EXPECT_EQ(counted(principals, {"a", "b", "c", "d"}), (Names{"a", "c", "d"}));  // b went
  EXPECT_FALSE(inSnapshot(registry, "frameworks/b/messages_received"));
  // b's series may be made again later, as a new pair: a, idle the longest now, goes.
  ASSERT_NE(principals.counters("b", true), nullptr);
  EXPECT_EQ(counted(principals, {"a", "b", "c", "d"}), (Names{"b", "c", "d"}));
}

TEST(PrincipalMetricsTest, APrincipalStaysLiveUntilItsLastFrameworkIsRemoved) {
  metrics::Registry registry;
  PrincipalMetrics principals(registry, 1);
  principals.frameworkAdded("f1", "a");
  principals.frameworkAdded("f2", "a");
  principals.frameworkAdded("f2", "a");  // a re-subscription counts once
  principals.frameworkRemoved("f1");
  EXPECT_EQ(principals.idleCount(), 0u);
  EXPECT_EQ(principals.counters("b", true), nullptr);
  principals.frameworkRemoved("f2");
  principals.frameworkRemoved("f2");  // removing twice changes nothing
  EXPECT_EQ(principals.idleCount(), 1u);
  EXPECT_NE(principals.counters("b", true), nullptr);
  EXPECT_EQ(principals.counters("a", false), nullptr);
}

// A SUBSCRIBE's call makes its pair before the framework exists: if the subscription fails the
// pair is idle, so failed subscriptions with ever new principals cannot fill the bound.
TEST(PrincipalMetricsTest, PairsOfSubscriptionsThatNeverBecameFrameworksAreIdle) {
  metrics::Registry registry;
  PrincipalMetrics principals(registry, 2);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_NE(principals.counters("p" + std::to_string(i), true), nullptr) << i;
  }
  EXPECT_EQ(principals.size(), 2u);
  EXPECT_EQ(registry.snapshot().size(), 4u);  // two pairs: nothing else accumulated
  EXPECT_EQ(counted(principals, {"p0", "p998", "p999"}), (Names{"p998", "p999"}));
  // A framework added with a counted principal makes it live.
  principals.frameworkAdded("f", "p998");
  ASSERT_NE(principals.counters("q", true), nullptr);
  EXPECT_EQ(counted(principals, {"p998", "p999", "q"}), (Names{"p998", "q"}));
}

TEST(PrincipalMetricsTest, AFrameworkThatChangesPrincipalMovesToTheNewOne) {
  metrics::Registry registry;
  PrincipalMetrics principals(registry, 2);
  principals.frameworkAdded("f", "old");
  principals.frameworkAdded("f", "new");
  EXPECT_EQ(principals.idleCount(), 1u);  // old has no framework left
  ASSERT_NE(principals.counters("third", true), nullptr);
  EXPECT_EQ(counted(principals, {"old", "new", "third"}), (Names{"new", "third"}));
}

TEST(PrincipalMetricsTest, TheDefaultBoundIs1024) {
  metrics::Registry registry;
  PrincipalMetrics principals(registry);
  for (int i = 0; i < 1100; ++i) {
    principals.frameworkAdded("f" + std::to_string(i), "p" + std::to_string(i));
  }
  EXPECT_EQ(principals.size(), PrincipalMetrics::kMaxPrincipals);
  EXPECT_EQ(PrincipalMetrics::kMaxPrincipals, 1024u);
  for (int i = 0; i < 1100; ++i) {
    principals.frameworkRemoved("f" + std::to_string(i));
  }
  EXPECT_EQ(principals.idleCount(), 1024u);
  EXPECT_NE(principals.counters("late", true), nullptr);
  EXPECT_EQ(principals.size(), 1024u);
}

}  // namespace
}  // namespace plateau::master
