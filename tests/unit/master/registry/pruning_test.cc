// Registry GC: which unreachable and gone agents --registry_max_agent_age and
// --registry_max_agent_count drop.

#include "master/registry/pruning.h"

#include <gtest/gtest.h>

namespace plateau::master::registry {
namespace {

std::vector<std::string> ids(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) {
    EXPECT_TRUE(change.remove);
    out.push_back(change.id);
  }
  return out;
}

State sample() {
  State state;
  state.agents["admitted"] = {};
  state.unreachable = {{"u-old", 100}, {"u-new", 900}};
  state.gone = {{"g-old", 200}, {"g-new", 950}};
  return state;
}

TEST(RegistryPruningTest, DropsAgentsOlderThanTheMaximumAge) {
  auto changes = pruneAgents(sample(), 1000, 500, 100);
  EXPECT_EQ(ids(changes), (std::vector<std::string>{"u-old", "g-old"}));
  EXPECT_EQ(changes[0].kind, Change::Kind::kUnreachable);
  EXPECT_EQ(changes[1].kind, Change::Kind::kGone);
}

TEST(RegistryPruningTest, DropsTheOldestBeyondTheMaximumCount) {
  EXPECT_EQ(ids(pruneAgents(sample(), 1000, 1e9, 1)),
            (std::vector<std::string>{"u-old", "g-old", "u-new"}));
  EXPECT_TRUE(pruneAgents(sample(), 1000, 1e9, 4).empty());
  EXPECT_EQ(ids(pruneAgents(sample(), 1000, 1e9, 0)).size(), 4u);
}

TEST(RegistryPruningTest, NeverTouchesAdmittedAgents) {
  State state;
  state.agents["a"] = {};
  EXPECT_TRUE(pruneAgents(state, 1e12, 0, 0).empty());
}

}  // namespace
}  // namespace plateau::master::registry
