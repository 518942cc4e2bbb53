#include "jobs/time_zone.h"

#include <gtest/gtest.h>

#include "jobs/schedule.h"

namespace plateau::jobs {
namespace {

double at(const char* iso) { return *parseTimestamp(iso); }

// A TZif file (version 2) built by hand: +01:00 until 2026-03-29T01:00Z, then +02:00 until
// 2026-10-25T01:00Z, then the footer's rule.
std::string tzif(const std::string& footer) {
  auto be = [](std::string& out, int64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
      out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  };
  auto header = [&](std::string& out, int timecnt, int typecnt, int charcnt) {
    out += "TZif2";
    out.append(15, '\0');
    for (int n : {0, 0, 0, timecnt, typecnt, charcnt}) {
      be(out, n, 4);
    }
  };
  std::string out;
  header(out, 0, 1, 4);  // the version 1 block: one type, no transitions
  be(out, 3600, 4);
  out += std::string("\0\0", 2) + std::string("CET\0", 4);
  header(out, 2, 2, 9);
  be(out, static_cast<int64_t>(at("2026-03-29T01:00:00Z")), 8);
  be(out, static_cast<int64_t>(at("2026-10-25T01:00:00Z")), 8);
  out.push_back('\1');
  out.push_back('\0');
  be(out, 3600, 4);
  out += std::string("\0\0", 2);
  be(out, 7200, 4);
  out += std::string("\1\4", 2);
  out += std::string("CET\0CEST\0", 9);
  out += "\n" + footer + "\n";
  return out;
}

TEST(TimeZoneTest, TzifTransitionsAndTheFooterRuleGiveTheOffset) {
  auto zone = TimeZone::fromTzif("Test/Berlin", tzif("CET-1CEST,M3.5.0,M10.5.0/3"));
  ASSERT_TRUE(zone.has_value()) << zone.error().message();
  EXPECT_EQ(zone->name(), "Test/Berlin");
  EXPECT_EQ(zone->offsetAt(at("2026-01-15T12:00:00Z")), 3600);
  EXPECT_EQ(zone->offsetAt(at("2026-03-29T00:59:59Z")), 3600);
  EXPECT_EQ(zone->offsetAt(at("2026-03-29T01:00:00Z")), 7200);
  EXPECT_EQ(zone->offsetAt(at("2026-10-25T00:59:59Z")), 7200);
  EXPECT_EQ(zone->offsetAt(at("2026-10-25T01:00:00Z")), 3600);
  // Past the last transition, the footer: 2030's changes are on March 31 and October 27.
  EXPECT_EQ(zone->offsetAt(at("2030-03-31T00:59:59Z")), 3600);
  EXPECT_EQ(zone->offsetAt(at("2030-03-31T01:00:00Z")), 7200);
  EXPECT_EQ(zone->offsetAt(at("2030-10-27T00:59:59Z")), 7200);
  EXPECT_EQ(zone->offsetAt(at("2030-10-27T01:00:00Z")), 3600);
}

TEST(TimeZoneTest, LocalTimesInGapsAndOverlaps) {
  auto zone = *TimeZone::fromTzif("Test/Berlin", tzif("CET-1CEST,M3.5.0,M10.5.0/3"));
  // Local times are written as if they were UTC.
  EXPECT_EQ(zone.toUtc(at("2026-01-15T12:00:00Z")), at("2026-01-15T11:00:00Z"));
  EXPECT_EQ(zone.toUtc(at("2026-07-15T12:00:00Z")), at("2026-07-15T10:00:00Z"));
  // 02:30 on 2026-03-29 is never shown: taken as 03:30 CEST.
  EXPECT_EQ(zone.toUtc(at("2026-03-29T02:30:00Z")), at("2026-03-29T01:30:00Z"));
  // 02:30 on 2026-10-25 is shown twice: the first, in CEST.
  EXPECT_EQ(zone.toUtc(at("2026-10-25T02:30:00Z")), at("2026-10-25T00:30:00Z"));
}

TEST(TimeZoneTest, PosixRules) {
  auto us = parsePosixRule("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(us.has_value());
  EXPECT_EQ(us->std_offset, -5 * 3600);
  EXPECT_EQ(us->dst_offset, -4 * 3600);
  // 2027: second Sunday of March is the 14th, first Sunday of November the 7th (02:00 local).
  EXPECT_EQ(us->offsetAt(static_cast<int64_t>(at("2027-03-14T06:59:59Z"))), -5 * 3600);
  EXPECT_EQ(us->offsetAt(static_cast<int64_t>(at("2027-03-14T07:00:00Z"))), -4 * 3600);
  EXPECT_EQ(us->offsetAt(static_cast<int64_t>(at("2027-11-07T05:59:59Z"))), -4 * 3600);
  EXPECT_EQ(us->offsetAt(static_cast<int64_t>(at("2027-11-07T06:00:00Z"))), -5 * 3600);
  // The southern hemisphere: daylight time spans the new year.
  auto sydney = parsePosixRule("AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(sydney.has_value());
  EXPECT_EQ(sydney->offsetAt(static_cast<int64_t>(at("2027-01-15T00:00:00Z"))), 11 * 3600);
  EXPECT_EQ(sydney->offsetAt(static_cast<int64_t>(at("2027-06-15T00:00:00Z"))), 10 * 3600);
  auto tehran = parsePosixRule("<+0330>-3:30");
  ASSERT_TRUE(tehran.has_value());
  EXPECT_FALSE(tehran->has_dst);
  EXPECT_EQ(tehran->std_offset, 3 * 3600 + 1800);
  EXPECT_EQ(parsePosixRule("UTC0")->std_offset, 0);
  for (const char* bad : {"", "C1", "CET", "CET-1CEST,M3.5", "CET-1CEST,M13.5.0,M10.5.0",
                          "CET-1CEST,M3.5.0,M10.5.0/x", "<+03-3"}) {
    EXPECT_FALSE(parsePosixRule(bad).has_value()) << bad;
  }
}

TEST(TimeZoneTest, MalformedTzifIsRefused) {
  std::string good = tzif("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_FALSE(TimeZone::fromTzif("x", "").has_value());
  EXPECT_FALSE(TimeZone::fromTzif("x", "TZif2").has_value());
  EXPECT_FALSE(TimeZone::fromTzif("x", good.substr(0, good.size() - 40)).has_value());
  std::string bad_index = good;
  bad_index[bad_index.find(std::string("\1\0", 2), 44 + 4 + 2 + 4 + 44)] = '\7';
  EXPECT_FALSE(TimeZone::fromTzif("x", bad_index).has_value());
  EXPECT_FALSE(TimeZone::fromTzif("x", tzif("not a rule")).has_value());
}

TEST(TimeZoneTest, SystemZonesLoadByNameAndUnknownOnesAreRefused) {
  auto berlin = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(berlin.has_value()) << berlin.error().message();
  EXPECT_EQ(berlin->offsetAt(at("2026-07-01T00:00:00Z")), 7200);
  EXPECT_EQ(berlin->offsetAt(at("2026-12-01T00:00:00Z")), 3600);
  EXPECT_EQ(berlin->offsetAt(at("2045-07-01T00:00:00Z")), 7200);
  auto kolkata = TimeZone::load("Asia/Kolkata");
  ASSERT_TRUE(kolkata.has_value());
  EXPECT_EQ(kolkata->offsetAt(at("2026-07-01T00:00:00Z")), 5 * 3600 + 1800);
  for (const char* bad : {"Mars/Olympus_Mons", "", "../etc/passwd", "Europe", "/etc/localtime"}) {
    EXPECT_FALSE(TimeZone::load(bad).has_value()) << bad;
  }
  EXPECT_EQ(TimeZone::fixed(-9000).name(), "-02:30");
  EXPECT_EQ(TimeZone::fixed(-9000).toUtc(0), 9000);
}

}  // namespace
}  // namespace plateau::jobs
