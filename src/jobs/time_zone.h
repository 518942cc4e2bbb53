#pragma once

// Time zones for Chronos's `scheduleTimeZone` and a schedule's own offset: a fixed offset
// ("+02:00", UTC), or a named zone of the tz database read from the system's TZif files
// (RFC 8536; /usr/share/zoneinfo), since GCC 12's library has no std::chrono::tzdb. A TZif
// file gives the zone's transitions; times past its last transition follow the POSIX TZ rule
// in its footer ("CET-1CEST,M3.5.0,M10.5.0/3"). Values are immutable and cheap to copy.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::jobs {

// A POSIX TZ rule's daylight-saving part: from `start` to `end` each year (local dates and
// times of day), `dst_offset` applies instead of `std_offset` (both seconds east of UTC).
struct PosixRule {
  struct When {
    enum class Kind { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } kind = Kind::kMonthWeekDay;
    int day = 0;      // Jn: 1..365; n: 0..365; Mm.w.d: d (0 = Sunday)
    int month = 0;    // Mm.w.d: m
    int week = 0;     // Mm.w.d: w (5 = the last)
    int time = 7200;  // seconds after local midnight (may be negative or past 24 h)
  };
  int std_offset = 0;
  bool has_dst = false;
  int dst_offset = 0;
  When start;
  When end;

  // The offset in effect at `utc`.
  int offsetAt(int64_t utc) const;
};

// Parses a TZ string such as "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30" or "UTC0".
Result<PosixRule> parsePosixRule(std::string_view text);

class TimeZone {
 public:
  // UTC.
  TimeZone();
  // A fixed offset in seconds east of UTC, named "+hh:mm".
  static TimeZone fixed(int offset_seconds);
  // The zone in a TZif file's bytes (versions 1 to 4). InvalidArgument when malformed.
  static Result<TimeZone> fromTzif(std::string name, std::string_view bytes);
  // The named zone from `<dir>/<name>`, cached per process. InvalidArgument for a name that is
  // not a zone there (or tries to leave `dir`).
  static Result<TimeZone> load(std::string_view name,
                               const std::string& dir = "/usr/share/zoneinfo");

  // Seconds east of UTC in effect at `utc` (seconds since the epoch).
  int offsetAt(double utc) const;
  // The instant at which clocks in this zone show `local` (seconds since the epoch, as if
  // local time were UTC). A time shown twice (clocks set back) is its first instant; a time
  // never shown (clocks set forward) is taken as that long after the change, so 02:30 on a
  // spring-forward night at 02:00 becomes 03:30.
  double toUtc(double local) const;
  const std::string& name() const;
  bool isFixed() const;

 private:
  struct Data;
  explicit TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

}  // namespace plateau::jobs
