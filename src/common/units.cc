#include "common/units.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

namespace plateau {
namespace {

constexpr int64_t kNanosecond = 1;
constexpr int64_t kMicrosecond = 1000 * kNanosecond;
constexpr int64_t kMillisecond = 1000 * kMicrosecond;
constexpr int64_t kSecond = 1000 * kMillisecond;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;

struct DurationUnit {
  std::string_view name;
  int64_t nanos;
};

constexpr std::array<DurationUnit, 11> kDurationUnits = {{
    {"ns", kNanosecond},
    {"us", kMicrosecond},
    {"ms", kMillisecond},
    {"secs", kSecond},
    {"mins", kMinute},
    {"hrs", kHour},
    {"days", kDay},
    {"weeks", kWeek},
    {"s", kSecond},
    {"m", kMinute},
    {"h", kHour},
}};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// stout prints the quotient with the stream's precision set to digits10 (15), i.e. "%.15g".
std::string formatQuotient(int64_t nanos, int64_t unit, std::string_view suffix) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.15g",
                static_cast<double>(nanos) / static_cast<double>(unit));
  return fmt::format("{}{}", buffer, suffix);
}

}  // namespace

Result<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && (isDigit(text[end]) || text[end] == '.')) {
    ++end;
  }
  std::string_view number = text.substr(0, end);
  std::string_view unit_name = text.substr(end);

  size_t dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  if (whole.empty() && fraction.empty()) {
    return invalidArgument(fmt::format("Invalid duration '{}': expected a number", text));
  }
  if (fraction.find('.') != std::string_view::npos) {
    return invalidArgument(fmt::format("Invalid duration '{}': malformed number", text));
  }
  if (unit_name.empty()) {
    return invalidArgument(fmt::format("Invalid duration '{}': missing unit", text));
  }

  int64_t unit = 0;
  for (const auto& candidate : kDurationUnits) {
    if (candidate.name == unit_name) {
      unit = candidate.nanos;
      break;
    }
  }
  if (unit == 0) {
    return invalidArgument(fmt::format(
        "Unknown duration unit '{}'; supported units are 'ns', 'us', 'ms', 'secs', 'mins', "
        "'hrs', 'days' and 'weeks'",
        unit_name));
  }

  // Exact decimal arithmetic: "0.3secs" is 300000000ns, where double math would give 299999999.
  constexpr auto kMax = static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max());
  unsigned __int128 whole_value = 0;
  for (char c : whole) {
    whole_value = whole_value * 10 + static_cast<unsigned>(c - '0');
    if (whole_value > kMax) {
      return invalidArgument(fmt::format("Duration '{}' is out of range", text));
    }
  }
  unsigned __int128 total = whole_value * static_cast<unsigned __int128>(unit);
  // 18 digits of fraction are far below a nanosecond for every unit; later digits only truncate.
  unsigned __int128 fraction_value = 0;
  unsigned __int128 scale = 1;
  for (size_t i = 0; i < fraction.size() && i < 18; ++i) {
    fraction_value = fraction_value * 10 + static_cast<unsigned>(fraction[i] - '0');
    scale *= 10;
  }
  total += fraction_value * static_cast<unsigned __int128>(unit) / scale;
  if (total > kMax) {
    return invalidArgument(fmt::format("Duration '{}' is out of range", text));
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

std::string formatDuration(std::chrono::nanoseconds duration) {
  int64_t nanos = duration.count();
  std::string sign;
  if (nanos < 0) {
    sign = "-";
    // As in stout, the most negative value prints as the most positive one.
    nanos =
        nanos == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -nanos;
  }

  // Pick the unit whose bucket holds the duration, but step one unit down when that one gives
  // a whole number and the bucket's own unit does not (1.5mins reads better as 90secs).
  struct Step {
    int64_t unit;
    std::string_view suffix;
  };
  constexpr std::array<Step, 8> kSteps = {{
      {kNanosecond, "ns"},
      {kMicrosecond, "us"},
      {kMillisecond, "ms"},
      {kSecond, "secs"},
      {kMinute, "mins"},
      {kHour, "hrs"},
      {kDay, "days"},
      {kWeek, "weeks"},
  }};
  size_t bucket = 0;
  while (bucket + 1 < kSteps.size() && nanos >= kSteps[bucket + 1].unit) {
    ++bucket;
  }
  Step chosen = kSteps[bucket];
  if (bucket == 1) {
    // Below a millisecond stout falls back to nanoseconds for any non-whole microsecond count.
    if (nanos % kMicrosecond != 0) {
      chosen = kSteps[0];
    }
  } else if (bucket > 1) {
    const Step& smaller = kSteps[bucket - 1];
    if (nanos % chosen.unit != 0 && nanos % smaller.unit == 0) {
      chosen = smaller;
    }
  }
  return sign + formatQuotient(nanos, chosen.unit, chosen.suffix);
}

Result<uint64_t> parseBytes(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && isDigit(text[end])) {
    ++end;
  }
  if (end < text.size() && text[end] == '.') {
    return invalidArgument(fmt::format("Fractional bytes '{}'", text));
  }
  std::string_view number = text.substr(0, end);
  std::string unit_name(text.substr(end));
  for (char& c : unit_name) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (number.empty() || unit_name.empty()) {
    return invalidArgument(fmt::format("Invalid bytes '{}'", text));
  }

  uint64_t unit = 0;
  if (unit_name == "B") {
    unit = 1;
  } else if (unit_name == "KB") {
    unit = uint64_t{1} << 10;
  } else if (unit_name == "MB") {
    unit = uint64_t{1} << 20;
  } else if (unit_name == "GB") {
    unit = uint64_t{1} << 30;
  } else if (unit_name == "TB") {
    unit = uint64_t{1} << 40;
  } else {
    return invalidArgument(fmt::format("Unknown bytes unit '{}'", text.substr(end)));
  }

  uint64_t value = 0;
  for (char c : number) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return invalidArgument(fmt::format("Bytes '{}' is out of range", text));
    }
    value = value * 10 + digit;
  }
  if (value > std::numeric_limits<uint64_t>::max() / unit) {
    return invalidArgument(fmt::format("Bytes '{}' is out of range", text));
  }
  return value * unit;
}

std::string formatBytes(uint64_t bytes) {
  constexpr std::array<std::string_view, 5> kSuffixes = {"B", "KB", "MB", "GB", "TB"};
  size_t index = 0;
  uint64_t value = bytes;
  while (value != 0 && value % 1024 == 0 && index + 1 < kSuffixes.size()) {
    value /= 1024;
    ++index;
  }
  return fmt::format("{}{}", value, kSuffixes[index]);
}

}  // namespace plateau
