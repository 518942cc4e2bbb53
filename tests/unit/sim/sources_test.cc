#include "sim/sources.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace plateau::sim {
namespace {

TEST(SourceAddressesTest, AsManyAsThePortRangeRequires) {
  EXPECT_EQ(sourceAddressesNeeded(0, 25000), 1u);
  EXPECT_EQ(sourceAddressesNeeded(25000, 25000), 1u);
  EXPECT_EQ(sourceAddressesNeeded(25001, 25000), 2u);
  EXPECT_EQ(sourceAddressesNeeded(50100, 25000), 3u);
  EXPECT_EQ(sourceAddressesNeeded(10, 0), 10u);  // a nonsense capacity counts as 1
}

TEST(SourceAddressesTest, LoopbackAddressesOutside127_0_0AndNeverNetworkOrBroadcast) {
  EXPECT_EQ(sourceAddress(0), "127.0.1.1");
  EXPECT_EQ(sourceAddress(1), "127.0.1.2");
  EXPECT_EQ(sourceAddress(253), "127.0.1.254");
  EXPECT_EQ(sourceAddress(254), "127.0.2.1");
  EXPECT_EQ(sourceAddress(254 * 255), "127.1.0.1");
  std::set<std::string> seen;
  for (size_t i = 0; i < 70000; ++i) {
    const std::string address = sourceAddress(i);
    EXPECT_FALSE(address.starts_with("127.0.0.")) << address;
    EXPECT_FALSE(address.ends_with(".0") || address.ends_with(".255")) << address;
    EXPECT_TRUE(seen.insert(address).second) << address;
  }
}

}  // namespace
}  // namespace plateau::sim
