#include "common/host_stats.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace plateau {

namespace {

// The next blank-separated word of `text`, taken off its front.
std::string_view nextWord(std::string_view& text) {
  size_t start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  size_t end = text.find_first_of(" \t\n", start);
  std::string_view word = text.substr(start, end == std::string_view::npos ? end : end - start);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end);
  return word;
}

// A whole word as a finite number (Mesos's numify<double>, without hex or infinities).
std::optional<double> parseNumber(std::string_view word) {
  double value = 0;
  const char* end = word.data() + word.size();
  auto [ptr, ec] = std::from_chars(word.data(), end, value);
  if (word.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// The value of a "Name:   123 kB" line of /proc/meminfo, in bytes; nothing for another line.
std::optional<double> meminfoBytes(std::string_view line, std::string_view name) {
  if (!line.starts_with(name) || line.substr(name.size(), 1) != ":") {
    return std::nullopt;
  }
  std::string_view rest = line.substr(name.size() + 1);
  std::optional<double> value = parseNumber(nextWord(rest));
  if (!value) {
    return std::nullopt;
  }
  return nextWord(rest) == "kB" ? *value * 1024 : *value;
}

}  // namespace

Result<LoadAverage> parseLoadAverage(std::string_view text) {
  LoadAverage load;
  std::string_view rest = text;
  for (double* field : {&load.one, &load.five, &load.fifteen}) {
    std::optional<double> value = parseNumber(nextWord(rest));
    if (!value) {
      return invalidArgument(fmt::format("expected three load averages, got '{}'", text));
    }
    *field = *value;
  }
  return load;
}

Result<MemoryInfo> parseMemoryInfo(std::string_view text) {
  std::optional<double> total, free;
  while (!text.empty() && !(total && free)) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    total = total ? total : meminfoBytes(line, "MemTotal");
    free = free ? free : meminfoBytes(line, "MemFree");
  }
  if (!total || !free) {
    return invalidArgument("expected MemTotal and MemFree in /proc/meminfo");
  }
  return MemoryInfo{.total_bytes = *total, .free_bytes = *free};
}

}  // namespace plateau
