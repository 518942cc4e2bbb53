#pragma once

// Chronos's schedules: ISO 8601 repeating intervals "R[n]/<start>/<period>" (an empty start
// means now), durations such as "PT15M" or "P1DT2H" (also for a job's epsilon), and the
// timestamps Chronos writes ("2026-01-01T02:00:00.000Z"). Times are wall-clock seconds since
// the Unix epoch. Time zones: 'Z' and fixed offsets (+hh:mm) in timestamps; for
// `scheduleTimeZone` also the tz database's names ("Europe/Berlin", time_zone.h), in which
// calendar steps (days, months, years) keep the local time of day across daylight-saving
// changes. Pure functions, apart from reading a named zone's file once.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "jobs/time_zone.h"

namespace plateau::jobs {

// An ISO 8601 duration: calendar parts (years, months, days) plus a fixed part in seconds.
struct Period {
  int64_t years = 0;
  int64_t months = 0;
  int64_t days = 0;
  double seconds = 0;

  bool isZero() const { return years == 0 && months == 0 && days == 0 && seconds <= 0; }
  // Its length when calendar parts are taken as 365, 30 and 1 days (for epsilons and bounds).
  double approxSeconds() const;
};

// A cron expression's five fields (minute hour day-of-month month day-of-week), as sets.
struct Cron {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<7> weekdays;  // 0 = Sunday
  bool any_day = true;      // day-of-month was '*'
  bool any_weekday = true;  // day-of-week was '*'
};

struct Schedule {
  std::optional<Cron> cron;        // set for "cron:<expression>" (Plateau's addition to Chronos)
  std::string text;                // as given
  std::optional<int64_t> repeats;  // nullopt: forever ("R"); otherwise runs left ("R5")
  double start = 0;                // wall seconds of the first run
  TimeZone zone;                   // the zone calendar steps and cron fields are taken in
  Period period;
  std::string period_text;  // as given, for writing the schedule back
};

// "P1Y2M3DT4H5M6.5S", "PT10M", "P2W". InvalidArgument with the reason otherwise.
Result<Period> parsePeriod(std::string_view text);
// "2026-01-01T02:00:00Z", with optional fractional seconds and 'Z' or +hh:mm/-hh:mm (none:
// UTC). `zone_override`, when set, replaces the designator: the date and time are read in that
// zone, as Chronos's scheduleTimeZone does. The zone used is returned through `zone_out`.
Result<double> parseTimestamp(std::string_view text, const TimeZone* zone_override = nullptr,
                              TimeZone* zone_out = nullptr);
// A `scheduleTimeZone` value: "" and UTC's names are UTC; "+02:00", "UTC+2" and the like fixed
// offsets; others are tz database names. InvalidArgument for a zone that does not exist.
Result<TimeZone> parseZone(std::string_view zone);
// "R[n]/<start>/<period>" with `now` (wall seconds) for an empty start, or "cron:m h dom mon
// dow" (numbers, '*', lists, ranges and steps; day-of-month and day-of-week both restricted
// match either, as cron does) starting at its first time after `now`; `zone` is the job's
// scheduleTimeZone, which cron fields are read in.
Result<Schedule> parseSchedule(std::string_view text, double now, std::string_view zone = "");
// `t` plus `p`, calendar parts stepped in `zone` (the clock parts are exact seconds).
double addPeriod(double t, const Period& p, const TimeZone& zone = TimeZone());
// The schedule's next time after `t`: `t` plus the period, or cron's next matching minute.
double nextAfter(const Schedule& s, double t);
// The five fields of a cron expression; InvalidArgument naming the field otherwise.
Result<Cron> parseCron(std::string_view text);
// "2026-01-01T02:00:00.000Z" (milliseconds, UTC); with a zone other than UTC, its local time
// and offset ("2026-07-01T04:00:00.000+02:00").
std::string formatTimestamp(double t, const TimeZone& zone = TimeZone());
// The schedule as Chronos writes it back: "R<left>/<next run>/<period>" ("R" when forever),
// the next run in the schedule's zone (so that it reads back the same with scheduleTimeZone);
// a cron schedule as given.
std::string formatSchedule(const Schedule& s, double next, std::optional<int64_t> left);

}  // namespace plateau::jobs
