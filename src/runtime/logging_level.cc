#include "runtime/logging_level.h"

#include <utility>

namespace plateau {

LoggingLevel::LoggingLevel(Timers& timers, std::shared_ptr<spdlog::logger> log)
    : timers_(timers), log_(std::move(log)) {}

LoggingLevel::~LoggingLevel() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

void LoggingLevel::set(uint32_t level, std::chrono::nanoseconds duration) {
  if (!configured_) {
    configured_ = log_->level();
  }
  const auto configured = *configured_;
  level_ = level;
  log_->set_level(level > 0 ? spdlog::level::debug : configured);
  if (timer_ != 0) {
    timers_.cancel(timer_);
    timer_ = 0;
  }
  if (level > 0) {
    timer_ = timers_.after(duration, [this, configured] {
      timer_ = 0;
      level_ = 0;
      log_->set_level(configured);
    });
  }
  log_->info("logging_level_set level={} duration_secs={}", level,
             std::chrono::duration<double>(duration).count());
}

}  // namespace plateau
