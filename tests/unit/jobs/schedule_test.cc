#include "jobs/schedule.h"

#include <gtest/gtest.h>

namespace plateau::jobs {
namespace {

constexpr double kJan1 = 1767225600.0;  // 2026-01-01T00:00:00Z

TEST(ScheduleTest, ParsesRepeatingIntervalsWithCountStartAndPeriod) {
  auto s = parseSchedule("R5/2026-01-01T02:00:00Z/PT5S", 0);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->repeats, 5);
  EXPECT_DOUBLE_EQ(s->start, kJan1 + 7200);
  EXPECT_DOUBLE_EQ(s->period.seconds, 5);
  auto forever = parseSchedule("R/2026-01-01T02:00:00.500+01:00/P1D", 0);
  ASSERT_TRUE(forever.has_value());
  EXPECT_FALSE(forever->repeats.has_value());
  EXPECT_DOUBLE_EQ(forever->start, kJan1 + 3600.5);
  EXPECT_EQ(forever->period.days, 1);
}

TEST(ScheduleTest, EmptyStartMeansNow) {
  auto s = parseSchedule("R//PT1M", kJan1 + 42);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->start, kJan1 + 42);
}

// Found by fuzz_chronos_job: a 73-digit year count was cast to int64 (undefined behaviour).
TEST(ScheduleTest, RefusesAmountsTooLargeToHoldInsteadOfOverflowing) {
  auto huge =
      parsePeriod("P0555555555555555555555555555555555555555555555555555555555555555555555Y");
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().message().find("too large"), std::string::npos) << huge.error().message();
  auto summed = parsePeriod("P900000000D900000000D");
  ASSERT_FALSE(summed.has_value());
  EXPECT_NE(summed.error().message().find("too long"), std::string::npos);
  auto fine = parsePeriod("P1000Y");
  ASSERT_TRUE(fine.has_value()) << fine.error().message();
  EXPECT_EQ(fine->years, 1000);
}

TEST(ScheduleTest, RefusesWhatDoesNotParse) {
  for (const char* bad :
       {"", "R", "R/2026-01-01T00:00:00Z", "X/2026-01-01T00:00:00Z/PT1S",
        "R/2026-13-01T00:00:00Z/PT1S", "R/2026-02-30T00:00:00Z/PT1S", "R/yesterday/PT1S",
        "R/2026-01-01T00:00:00Z/P", "R/2026-01-01T00:00:00Z/PT0S", "R/2026-01-01T00:00:00Z/1H",
        "Rx/2026-01-01T00:00:00Z/PT1S", "R/2026-01-01T00:00:00Z/PT1S/extra"}) {
    EXPECT_FALSE(parseSchedule(bad, kJan1).has_value()) << bad;
  }
}

TEST(ScheduleTest, DurationsHaveCalendarAndClockParts) {
  auto p = parsePeriod("P1Y2M3DT4H5M6.5S");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->years, 1);
  EXPECT_EQ(p->months, 2);
  EXPECT_EQ(p->days, 3);
  EXPECT_DOUBLE_EQ(p->seconds, 4 * 3600 + 5 * 60 + 6.5);
  EXPECT_DOUBLE_EQ(parsePeriod("PT10M")->seconds, 600);
  EXPECT_EQ(parsePeriod("P10M")->months, 10);
  EXPECT_EQ(parsePeriod("P2W")->days, 14);
  EXPECT_FALSE(parsePeriod("PT1.5H").has_value());
  EXPECT_FALSE(parsePeriod("P1H").has_value());
}

TEST(ScheduleTest, CalendarStepsKeepTheTimeOfDayAndClampTheDay) {
  double jan31 = *parseTimestamp("2026-01-31T10:00:00Z");
  EXPECT_EQ(formatTimestamp(addPeriod(jan31, *parsePeriod("P1M"))), "2026-02-28T10:00:00.000Z");
  EXPECT_EQ(formatTimestamp(addPeriod(jan31, *parsePeriod("P1Y1D"))), "2027-02-01T10:00:00.000Z");
  // Days are stepped in the schedule's zone: 23:30 at +02:00 stays 23:30 there.
  double local = *parseTimestamp("2026-03-31T23:30:00+02:00");
  EXPECT_EQ(formatTimestamp(addPeriod(local, *parsePeriod("P1M"), TimeZone::fixed(7200))),
            "2026-04-30T21:30:00.000Z");
  EXPECT_EQ(formatTimestamp(addPeriod(kJan1, *parsePeriod("PT90M"))), "2026-01-01T01:30:00.000Z");
}

TEST(ScheduleTest, ZonesOverrideTheStartsDesignator) {
  auto s = parseSchedule("R/2026-01-01T02:00:00Z/PT1H", 0, "+01:00");
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->start, kJan1 + 3600);
  EXPECT_TRUE(parseSchedule("R/2026-01-01T02:00:00Z/PT1H", 0, "UTC").has_value());
  auto unknown = parseSchedule("R/2026-01-01T02:00:00Z/PT1H", 0, "Mars/Olympus_Mons");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("is not a time zone"), std::string::npos);
  for (const char* escape : {"../../etc/passwd", "/etc/localtime", "Europe/../Europe/Berlin"}) {
    EXPECT_FALSE(parseSchedule("R//PT1H", 0, escape).has_value()) << escape;
  }
}

// These read the system's tz database (Debian's tzdata).
TEST(ScheduleTest, NamedZonesKeepTheLocalTimeAcrossDaylightSavingChanges) {
  // Daily at 02:00 in Berlin: 01:00Z in winter, 00:00Z in summer (CEST from 2026-03-29).
  auto s = parseSchedule("R/2026-03-27T02:00:00Z/P1D", 0, "Europe/Berlin");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(formatTimestamp(s->start), "2026-03-27T01:00:00.000Z") << "fields read in Berlin";
  double t = s->start;
  std::vector<std::string> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(formatTimestamp(t));
    t = nextAfter(*s, t);
  }
  // 02:00 does not exist on the 29th: the run is at 03:00 CEST, then 02:00 CEST again.
  EXPECT_EQ(runs,
            (std::vector<std::string>{"2026-03-27T01:00:00.000Z", "2026-03-28T01:00:00.000Z",
                                      "2026-03-29T01:00:00.000Z", "2026-03-30T00:00:00.000Z"}));
  // Written back in Berlin's local time, so that it reads back the same.
  EXPECT_EQ(formatSchedule(*s, *parseTimestamp("2026-03-30T00:00:00Z"), std::nullopt),
            "R/2026-03-30T02:00:00.000+02:00/P1D");
  // Hours are exact: PT1H across the autumn change repeats 02:00 local once in each offset.
  auto hourly = parseSchedule("R/2026-10-25T01:00:00Z/PT1H", 0, "Europe/Berlin");
  ASSERT_TRUE(hourly.has_value());
  EXPECT_EQ(formatTimestamp(hourly->start), "2026-10-24T23:00:00.000Z");
  EXPECT_DOUBLE_EQ(nextAfter(*hourly, hourly->start) - hourly->start, 3600);
  // Cron fields are read in the zone, in summer and in winter.
  auto nine =
      parseSchedule("cron:0 9 * * *", *parseTimestamp("2026-07-01T00:00:00Z"), "America/New_York");
  ASSERT_TRUE(nine.has_value());
  EXPECT_EQ(formatTimestamp(nine->start), "2026-07-01T13:00:00.000Z");
  auto winter =
      parseSchedule("cron:0 9 * * *", *parseTimestamp("2026-12-01T00:00:00Z"), "America/New_York");
  EXPECT_EQ(formatTimestamp(winter->start), "2026-12-01T14:00:00.000Z");
}

TEST(ScheduleTest, WritesTheScheduleBackFromItsProgress) {
  auto s = parseSchedule("R5/2026-01-01T00:00:00Z/PT5S", 0);
  EXPECT_EQ(formatSchedule(*s, kJan1 + 10, 3), "R3/2026-01-01T00:00:10.000Z/PT5S");
  auto f = parseSchedule("R/2026-01-01T00:00:00Z/P1D", 0);
  EXPECT_EQ(formatSchedule(*f, kJan1, std::nullopt), "R/2026-01-01T00:00:00.000Z/P1D");
}

TEST(ScheduleTest, CronSchedulesStepToTheirNextMatchingMinute) {
  auto at = [](const char* iso) { return *parseTimestamp(iso); };
  auto every5 = parseSchedule("cron:*/5 * * * *", at("2026-01-01T00:01:30Z"));
  ASSERT_TRUE(every5.has_value()) << every5.error().message();
  EXPECT_EQ(formatTimestamp(every5->start), "2026-01-01T00:05:00.000Z");
  EXPECT_EQ(formatTimestamp(nextAfter(*every5, every5->start)), "2026-01-01T00:10:00.000Z");
  EXPECT_EQ(formatSchedule(*every5, every5->start, std::nullopt), "cron:*/5 * * * *");
  // 2026-01-01 is a Thursday: the next Monday 02:30 is the 5th.
  auto monday = parseSchedule("cron:30 2 * * 1", kJan1);
  EXPECT_EQ(formatTimestamp(monday->start), "2026-01-05T02:30:00.000Z");
  auto monthly = parseSchedule("cron:0 0 1 * *", at("2026-01-15T00:00:00Z"));
  EXPECT_EQ(formatTimestamp(monthly->start), "2026-02-01T00:00:00.000Z");
  // Day-of-month and day-of-week both given: either matches (Friday the 2nd comes first).
  auto either = parseSchedule("cron:0 0 13 * 5", kJan1 + 1);
  EXPECT_EQ(formatTimestamp(either->start), "2026-01-02T00:00:00.000Z");
  // Fields are read in scheduleTimeZone.
  auto nine = parseSchedule("cron:0 9 * * *", kJan1, "+02:00");
  EXPECT_EQ(formatTimestamp(nine->start), "2026-01-01T07:00:00.000Z");
  auto on_time = parseSchedule("cron:0 0 * * *", kJan1);
  EXPECT_EQ(on_time->start, kJan1) << "a time that matches now is the first run";
  // Month and weekday names, and shorthands.
  auto weekdays = parseSchedule("cron:0 8 * jan-mar MON-FRI", kJan1);
  ASSERT_TRUE(weekdays.has_value()) << weekdays.error().message();
  EXPECT_EQ(formatTimestamp(weekdays->start), "2026-01-01T08:00:00.000Z") << "a Thursday";
  auto weekend = parseSchedule("cron:0 8 * * sat,Sun", kJan1);
  ASSERT_TRUE(weekend.has_value());
  EXPECT_EQ(formatTimestamp(weekend->start), "2026-01-03T08:00:00.000Z");
  EXPECT_EQ(formatTimestamp(parseSchedule("cron:@daily", kJan1 + 1)->start),
            "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(formatTimestamp(parseSchedule("cron:@weekly", kJan1 + 1)->start),
            "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(formatTimestamp(parseSchedule("cron:@hourly", kJan1 + 1)->start),
            "2026-01-01T01:00:00.000Z");
  for (const char* bad :
       {"cron:60 * * * *", "cron:* * *", "cron:*/0 * * * *", "cron:* * 0 * *", "cron:* * * 13 *",
        "cron:a * * * *", "cron:@sometimes", "cron:0 0 * FOO *", "cron:0 0 * * MOO"}) {
    EXPECT_FALSE(parseSchedule(bad, kJan1).has_value()) << bad;
  }
}

}  // namespace
}  // namespace plateau::jobs
