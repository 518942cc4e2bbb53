#pragma once

// Exponential backoff for reconnecting clients, defined for every pair of bounds (std::clamp is
// undefined when max < min, which a short flag value would otherwise cause), and jitter that
// keeps many clients failing together from retrying in lockstep.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace plateau {

// The delay after `current`: doubled, at least `min`, at most max(min, `max`).
template <class Duration>
Duration nextBackoff(Duration current, Duration min, Duration max) {
  return std::clamp(current * 2, min, std::max(min, max));
}

// Spreads delays: each one becomes a uniform draw from [delay/2, delay], so that, say, every
// agent of a cluster losing its master at once does not come back in the same millisecond. The
// draws follow from the seed alone, so a run in virtual time replays bit for bit.
class Jitter {
 public:
  explicit Jitter(uint64_t seed) : rng_(seed) {}

  std::chrono::nanoseconds operator()(std::chrono::nanoseconds delay) {
    if (delay.count() <= 1) {
      return delay;
    }
    std::uniform_int_distribution<int64_t> draw(delay.count() / 2, delay.count());
    return std::chrono::nanoseconds(draw(rng_));
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace plateau
