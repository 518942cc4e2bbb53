#include "common/units.h"

#include <gtest/gtest.h>

#include <limits>

namespace plateau {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

nanoseconds duration(std::string_view text) {
  auto parsed = parseDuration(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(nanoseconds(-1));
}

TEST(UnitsTest, ParsesEveryMesosDurationUnit) {
  EXPECT_EQ(duration("10ns"), nanoseconds(10));
  EXPECT_EQ(duration("5us"), microseconds(5));
  EXPECT_EQ(duration("500ms"), milliseconds(500));
  EXPECT_EQ(duration("15secs"), seconds(15));
  EXPECT_EQ(duration("2mins"), minutes(2));
  EXPECT_EQ(duration("1hrs"), hours(1));
  EXPECT_EQ(duration("3days"), hours(72));
  EXPECT_EQ(duration("1weeks"), hours(168));
  EXPECT_EQ(duration("0secs"), nanoseconds(0));
}

TEST(UnitsTest, ParsesFriendlyAliases) {
  EXPECT_EQ(duration("30s"), seconds(30));
  EXPECT_EQ(duration("5m"), minutes(5));
  EXPECT_EQ(duration("2h"), hours(2));
}

TEST(UnitsTest, ParsesDecimalDurationsExactly) {
  EXPECT_EQ(duration("0.5secs"), milliseconds(500));
  EXPECT_EQ(duration("0.3secs"), milliseconds(300));
  EXPECT_EQ(duration("1.5mins"), seconds(90));
  EXPECT_EQ(duration(".25hrs"), minutes(15));
  EXPECT_EQ(duration("2.secs"), seconds(2));
  EXPECT_EQ(duration("1.0000000001secs"), nanoseconds(1000000000));
  EXPECT_EQ(duration("0.9999ns"), nanoseconds(0));
  EXPECT_EQ(duration("007ms"), milliseconds(7));
}

TEST(UnitsTest, RejectsMalformedDurations) {
  for (const char* bad : {"", "secs", "10", "10sec", "10 secs", "-5secs", "1.2.3secs", ".secs",
                          "10SECS", "5x", "1e3ms", "15secs ", " 15secs"}) {
    auto parsed = parseDuration(bad);
    EXPECT_FALSE(parsed.has_value()) << "'" << bad << "'";
    if (!parsed.has_value()) {
      EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(UnitsTest, UnknownUnitErrorListsSupportedUnits) {
  auto parsed = parseDuration("3fortnights");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message().find("'secs'"), std::string::npos);
}

TEST(UnitsTest, RejectsDurationsBeyondInt64Nanoseconds) {
  EXPECT_TRUE(parseDuration("9223372036854775807ns").has_value());
  EXPECT_FALSE(parseDuration("9223372036854775808ns").has_value());
  EXPECT_FALSE(parseDuration("15251weeks").has_value());
  EXPECT_FALSE(parseDuration("99999999999999999999999999secs").has_value());
}

TEST(UnitsTest, FormatsDurationsLikeStout) {
  EXPECT_EQ(formatDuration(nanoseconds(0)), "0ns");
  EXPECT_EQ(formatDuration(nanoseconds(999)), "999ns");
  EXPECT_EQ(formatDuration(nanoseconds(1500)), "1500ns");
  EXPECT_EQ(formatDuration(microseconds(5)), "5us");
  EXPECT_EQ(formatDuration(microseconds(1500)), "1500us");
  EXPECT_EQ(formatDuration(nanoseconds(1000001)), "1.000001ms");
  EXPECT_EQ(formatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(seconds(15)), "15secs");
  EXPECT_EQ(formatDuration(seconds(90)), "90secs");
  EXPECT_EQ(formatDuration(minutes(1)), "1mins");
  EXPECT_EQ(formatDuration(milliseconds(90500)), "1.50833333333333mins");
  EXPECT_EQ(formatDuration(hours(1)), "1hrs");
  EXPECT_EQ(formatDuration(minutes(90)), "90mins");
  EXPECT_EQ(formatDuration(hours(72)), "3days");
  EXPECT_EQ(formatDuration(hours(36)), "36hrs");
  EXPECT_EQ(formatDuration(hours(168)), "1weeks");
  EXPECT_EQ(formatDuration(hours(240)), "10days");
  EXPECT_EQ(formatDuration(seconds(-15)), "-15secs");
}

TEST(UnitsTest, FormattedDurationsParseBack) {
  for (nanoseconds d : {nanoseconds(7), nanoseconds(1500), nanoseconds(0), nanoseconds(seconds(15)),
                        nanoseconds(minutes(90)), nanoseconds(hours(240))}) {
    EXPECT_EQ(duration(formatDuration(d)), d) << formatDuration(d);
  }
}

uint64_t bytes(std::string_view text) {
  auto parsed = parseBytes(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(0);
}

TEST(UnitsTest, ParsesBytes) {
  EXPECT_EQ(bytes("0B"), 0u);
  EXPECT_EQ(bytes("512B"), 512u);
  EXPECT_EQ(bytes("1KB"), 1024u);
  EXPECT_EQ(bytes("64MB"), 64u << 20);
  EXPECT_EQ(bytes("2GB"), uint64_t{2} << 30);
  EXPECT_EQ(bytes("3TB"), uint64_t{3} << 40);
  EXPECT_EQ(bytes("10mb"), 10u << 20);
}

TEST(UnitsTest, RejectsMalformedBytes) {
  for (const char* bad :
       {"", "1024", "MB", "1.5GB", "1PB", "-1MB", "1 MB", "16777216TB", "18446744073709551616B"}) {
    auto parsed = parseBytes(bad);
    EXPECT_FALSE(parsed.has_value()) << "'" << bad << "'";
  }
  auto fractional = parseBytes("1.5GB");
  ASSERT_FALSE(fractional.has_value());
  EXPECT_NE(fractional.error().message().find("Fractional"), std::string::npos);
}

TEST(UnitsTest, FormatsBytesWithoutLosingInformation) {
  EXPECT_EQ(formatBytes(0), "0B");
  EXPECT_EQ(formatBytes(1536), "1536B");
  EXPECT_EQ(formatBytes(3072), "3KB");
  EXPECT_EQ(formatBytes(uint64_t{2} << 30), "2GB");
  EXPECT_EQ(formatBytes(uint64_t{5} << 40), "5TB");
  EXPECT_EQ(formatBytes(uint64_t{1} << 50), "1024TB");
  EXPECT_EQ(formatBytes(std::numeric_limits<uint64_t>::max()), "18446744073709551615B");
}

}  // namespace
}  // namespace plateau
