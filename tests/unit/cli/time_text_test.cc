#include "cli/time_text.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace plateau::cli {
namespace {

// Sets TZ for one test and puts the previous value back.
class ZoneGuard {
 public:
  explicit ZoneGuard(const char* zone) {
    if (const char* old = std::getenv("TZ")) {
      old_ = old;
    }
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ZoneGuard() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

TEST(TimeText, DurationsShowTheTwoLargestUnits) {
  EXPECT_EQ(humanDuration(0), "0s");
  EXPECT_EQ(humanDuration(42.9), "42s");
  EXPECT_EQ(humanDuration(180), "3m");
  EXPECT_EQ(humanDuration(185), "3m5s");
  EXPECT_EQ(humanDuration(3600), "1h");
  EXPECT_EQ(humanDuration(2 * 3600 + 5 * 60 + 7), "2h5m");
  EXPECT_EQ(humanDuration(3 * 86400 + 4 * 3600 + 59), "3d4h");
  EXPECT_EQ(humanDuration(-5), "0s");
}

TEST(TimeText, AgesArePastFutureOrNow) {
  EXPECT_EQ(age(1000, 1180), "3m ago");
  EXPECT_EQ(age(1000, 1000.4), "now");
  EXPECT_EQ(age(8200, 1000), "in 2h");
}

TEST(TimeText, LocalTimeCarriesTheZone) {
  {
    ZoneGuard utc("UTC0");
    EXPECT_EQ(localTime(0), "1970-01-01 00:00:00 UTC");
    EXPECT_EQ(localTime(1796412859.978, true), "2026-12-04 19:34:19.978 UTC");
  }
  {
    ZoneGuard east("XYZ-2");  // a POSIX zone two hours east of UTC, no tzdata needed
    EXPECT_EQ(localTime(0), "1970-01-01 02:00:00 XYZ");
    EXPECT_EQ(whenText(0, 125), "1970-01-01 02:00:00 XYZ (2m5s ago)");
  }
}

TEST(TimeText, MillisecondsNeverRoundIntoTheNextSecond) {
  ZoneGuard utc("UTC0");
  EXPECT_EQ(localTime(59.9996, true), "1970-01-01 00:00:59.999 UTC");
}

TEST(TimeText, ReadsMarathonTimestamps) {
  EXPECT_EQ(isoSeconds("1970-01-01T00:00:00Z"), 0.0);
  auto t = isoSeconds("2026-12-04T19:34:19.978Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(*t, 1796412859.978, 1e-6);
  EXPECT_EQ(isoSeconds("2026-12-04 19:34:19"), std::nullopt);
  EXPECT_EQ(isoSeconds("2026-12-04T19:34:19+01:00"), std::nullopt);
  EXPECT_EQ(isoSeconds(""), std::nullopt);
}

}  // namespace
}  // namespace plateau::cli
