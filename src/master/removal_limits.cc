#include "master/removal_limits.h"

#include <charconv>

#include <fmt/format.h>

#include "common/units.h"

namespace plateau::master {

Result<std::optional<RemovalRate>> parseRemovalRate(const std::string& text) {
  if (text.empty()) {
    return std::optional<RemovalRate>();
  }
  auto bad = [&] {
    return invalidArgument(
        fmt::format("Invalid value '{}' for flag '--agent_removal_rate_limit': expected "
                    "<number of agents>/<duration>, e.g. 1/20mins",
                    text));
  };
  size_t slash = text.find('/');
  if (slash == std::string::npos) {
    return bad();
  }
  RemovalRate rate;
  auto [end, ec] = std::from_chars(text.data(), text.data() + slash, rate.permits);
  auto duration = parseDuration(std::string_view(text).substr(slash + 1));
  if (ec != std::errc() || end != text.data() + slash || rate.permits <= 0 || !duration ||
      *duration <= std::chrono::nanoseconds(0)) {
    return bad();
  }
  rate.duration = *duration;
  return std::optional<RemovalRate>(rate);
}

Result<double> parseRemovalLimit(const std::string& text) {
  double percent = -1;
  if (!text.empty() && text.back() == '%') {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, percent);
    if (ec != std::errc() || end != text.data() + text.size() - 1) {
      percent = -1;
    }
  }
  if (!(percent >= 0 && percent <= 100)) {
    return invalidArgument(fmt::format(
        "Invalid value '{}' for flag '--recovery_agent_removal_limit': expected a percentage "
        "from 0% to 100%",
        text));
  }
  return percent / 100;
}

bool withinRemovalLimit(size_t missing, size_t expected, double limit) {
  return expected == 0 || static_cast<double>(missing) / static_cast<double>(expected) <= limit;
}

RemovalLimiter::RemovalLimiter(Timers& timers, const Clock& clock, std::optional<RemovalRate> rate)
    : timers_(timers), clock_(clock), rate_(rate) {}

RemovalLimiter::~RemovalLimiter() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

bool RemovalLimiter::acquire(const std::string& agent_id, std::function<bool()> still_due,
                             std::function<void()> remove) {
  if (!rate_) {
    remove();
    return false;
  }
  if (!queued_.insert(agent_id).second) {
    return false;
  }
  queue_.push_back({agent_id, std::move(still_due), std::move(remove)});
  drain();
  return queued_.contains(agent_id);
}

void RemovalLimiter::drain() {
  while (!queue_.empty() && clock_.now() >= next_free_) {
    Waiting next = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(next.agent_id);
    if (next.still_due()) {
      next_free_ = clock_.now() + rate_->duration / rate_->permits;
      next.remove();
    }
  }
  if (!queue_.empty() && timer_ == 0) {
    timer_ = timers_.after(next_free_ - clock_.now(), [this] {
      timer_ = 0;
      drain();
    });
  }
}

}  // namespace plateau::master
