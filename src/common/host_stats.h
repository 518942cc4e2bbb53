#pragma once

// The host's figures in the text of /proc: the load averages (/proc/loadavg) and the memory
// (/proc/meminfo). Pure parsers, so that their callers (the QoS controller, the system/*
// metrics) read the files where they choose and tests feed fixed text.

#include <string_view>

#include "common/status.h"

namespace plateau {

// The machine's load averages (/proc/loadavg's first three fields).
struct LoadAverage {
  double one = 0;
  double five = 0;
  double fifteen = 0;
};

// /proc/loadavg's text ("0.52 0.58 0.59 1/467 12345") as LoadAverage; InvalidArgument when its
// first three fields are not finite numbers.
Result<LoadAverage> parseLoadAverage(std::string_view text);

// /proc/meminfo's MemTotal and MemFree, in bytes.
struct MemoryInfo {
  double total_bytes = 0;
  double free_bytes = 0;
};

// /proc/meminfo's text ("MemTotal:  16318684 kB" lines) as MemoryInfo; InvalidArgument without
// both MemTotal and MemFree as numbers.
Result<MemoryInfo> parseMemoryInfo(std::string_view text);

}  // namespace plateau
