#pragma once

// Times as a person reads them. The master reports seconds (or nanoseconds) since the epoch;
// the CLI shows them in local time with the zone, plus an age relative to now. `--json` output
// keeps Mesos's numbers untouched: only these human renderings change.

#include <optional>
#include <string>
#include <string_view>

namespace plateau::cli {

// "42s", "3m", "2h5m", "3d4h": the largest two units of a non-negative duration in seconds.
std::string humanDuration(double seconds);

// "3m ago" for a time in the past, "in 2h" for one in the future, "now" within a second.
std::string age(double epoch_seconds, double now_seconds);

// "2026-12-04 21:10:03 UTC" in the process's time zone (TZ, else /etc/localtime), with
// milliseconds when `millis` is set ("21:10:03.978").
std::string localTime(double epoch_seconds, bool millis = false);

// localTime plus age: "2026-12-04 21:10:03 UTC (3m ago)".
std::string whenText(double epoch_seconds, double now_seconds, bool millis = false);

// Seconds since the epoch of an ISO 8601 UTC time as Marathon writes it
// ("2026-12-05T02:33:42.123Z", fraction optional); nullopt when it is not one.
std::optional<double> isoSeconds(std::string_view text);

// Seconds since the epoch now (wall clock).
double nowSeconds();

}  // namespace plateau::cli
