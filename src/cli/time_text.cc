#include "cli/time_text.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

#include <fmt/format.h>

namespace plateau::cli {

std::string humanDuration(double seconds) {
  auto total = static_cast<long long>(std::floor(std::max(0.0, seconds)));
  struct Unit {
    long long size;
    const char* name;
  };
  constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    if (total < kUnits[i].size && i + 1 < std::size(kUnits)) {
      continue;
    }
    long long major = total / kUnits[i].size;
    std::string out = fmt::format("{}{}", major, kUnits[i].name);
    if (i + 1 < std::size(kUnits)) {
      long long minor = (total % kUnits[i].size) / kUnits[i + 1].size;
      if (minor > 0) {
        out += fmt::format("{}{}", minor, kUnits[i + 1].name);
      }
    }
    return out;
  }
  return "0s";
}

std::string age(double epoch_seconds, double now_seconds) {
  double delta = now_seconds - epoch_seconds;
  if (std::fabs(delta) < 1.0) {
    return "now";
  }
  return delta > 0 ? humanDuration(delta) + " ago" : "in " + humanDuration(-delta);
}

std::string localTime(double epoch_seconds, bool millis) {
  double whole = std::floor(epoch_seconds);
  auto t = static_cast<std::time_t>(whole);
  std::tm tm{};
  char date[32] = {};
  char zone[16] = {};
  if (::localtime_r(&t, &tm) == nullptr ||
      std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    return fmt::format("{:.3f}", epoch_seconds);  // out of the calendar's range: the number
  }
  std::strftime(zone, sizeof(zone), "%Z", &tm);
  if (millis) {
    int ms = std::min(999, static_cast<int>(std::lround((epoch_seconds - whole) * 1000)));
    return fmt::format("{}.{:03d} {}", date, ms, zone);
  }
  return fmt::format("{} {}", date, zone);
}

std::string whenText(double epoch_seconds, double now_seconds, bool millis) {
  return fmt::format("{} ({})", localTime(epoch_seconds, millis), age(epoch_seconds, now_seconds));
}

std::optional<double> isoSeconds(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  double fraction = 0;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    double scale = 0.1;
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      fraction += (rest.front() - '0') * scale;
      scale /= 10;
      rest.remove_prefix(1);
    }
  }
  if (rest != "Z") {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) + fraction;
}

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace plateau::cli
