#include "common/host_stats.h"

#include <gtest/gtest.h>

namespace plateau {
namespace {

TEST(HostStatsTest, ParsesTheLoadAverage) {
  auto load = parseLoadAverage("0.52 1.25 2.00 3/467 12345\n");
  ASSERT_TRUE(load.has_value());
  EXPECT_DOUBLE_EQ(load->one, 0.52);
  EXPECT_DOUBLE_EQ(load->five, 1.25);
  EXPECT_DOUBLE_EQ(load->fifteen, 2.0);
  for (const char* bad : {"", "0.5 0.4", "0.5 x 0.3", "0.5 0.4 inf", "0.5,0.4,0.3"}) {
    auto refused = parseLoadAverage(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(HostStatsTest, ParsesMemTotalAndMemFreeNotMemAvailable) {
  auto memory = parseMemoryInfo(
      "MemTotal:       16318684 kB\n"
      "MemFree:         1203400 kB\n"
      "MemAvailable:    9876543 kB\n");
  ASSERT_TRUE(memory.has_value());
  EXPECT_EQ(memory->total_bytes, 16318684.0 * 1024);
  EXPECT_EQ(memory->free_bytes, 1203400.0 * 1024);
  // Lines in any order; a figure without a unit is bytes.
  auto bare = parseMemoryInfo("Buffers: 1 kB\nMemFree: 5\nMemTotal: 100\n");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->total_bytes, 100);
  EXPECT_EQ(bare->free_bytes, 5);
  for (const char* bad : {"", "MemTotal: 100 kB\n", "MemTotalX: 100 kB\nMemFree: 5 kB\n",
                          "MemTotal: lots\nMemFree: 5 kB\n"}) {
    EXPECT_FALSE(parseMemoryInfo(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace plateau
