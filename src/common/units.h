#pragma once

// Mesos's flag value syntax for durations and byte sizes (stout's Duration and Bytes), so that
// Mesos configurations such as `--offer_timeout=15secs` or `--max_completed_tasks_per_framework`
// carry over unchanged.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace plateau {

// Parses "<number><unit>" with a non-negative decimal number (e.g. "0.5secs") and one of
// Mesos's units ns, us, ms, secs, mins, hrs, days, weeks, or the aliases s, m, h. Fractions
// below a nanosecond are truncated. InvalidArgument for a missing number or unit, an unknown
// unit, or a value beyond the range of std::chrono::nanoseconds.
Result<std::chrono::nanoseconds> parseDuration(std::string_view text);

// Formats like stout's Duration: the largest unit that still reads well, falling back one unit
// when that gives a whole number ("15secs", "90secs", "1.5ms" -> "1500us", "1hrs", "10days").
// Up to 15 significant digits; negative durations get a leading '-'.
std::string formatDuration(std::chrono::nanoseconds duration);

// Parses "<integer><unit>" with unit B, KB, MB, GB or TB (powers of 1024, case-insensitive),
// as stout's Bytes does. InvalidArgument for fractions, a missing number or unit, an unknown
// unit, or a value beyond 64 bits.
Result<uint64_t> parseBytes(std::string_view text);

// Formats like stout's Bytes: the largest unit that loses nothing ("1536B", "3KB", "2GB").
std::string formatBytes(uint64_t bytes);

}  // namespace plateau
