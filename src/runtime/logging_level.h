#pragma once

// Mesos's SET_LOGGING_LEVEL / GET_LOGGING_LEVEL for a daemon's logger: a verbosity above 0
// turns debug lines on for a while, after which the configured level (--logging_level) comes
// back by itself. Owns the logger's level while it lives; single-threaded (the loop thread).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include <spdlog/logger.h>

#include "runtime/timers.h"

namespace plateau {

class LoggingLevel {
 public:
  LoggingLevel(Timers& timers, std::shared_ptr<spdlog::logger> log);
  ~LoggingLevel();
  LoggingLevel(const LoggingLevel&) = delete;
  LoggingLevel& operator=(const LoggingLevel&) = delete;

  // Sets the verbosity for `duration`; 0 restores the configured level at once.
  void set(uint32_t level, std::chrono::nanoseconds duration);
  // The verbosity now (0 once a temporary one has expired).
  uint32_t level() const { return level_; }

 private:
  Timers& timers_;
  std::shared_ptr<spdlog::logger> log_;
  uint32_t level_ = 0;
  Timers::TimerId timer_ = 0;
  std::optional<spdlog::level::level_enum> configured_;
};

}  // namespace plateau
