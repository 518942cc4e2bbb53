#pragma once

// Exponential backoff for reconnecting clients, defined for every pair of bounds (std::clamp is
// undefined when max < min, which a short flag value would otherwise cause).

#include <algorithm>
#include <chrono>

namespace plateau {

// The delay after `current`: doubled, at least `min`, at most max(min, `max`).
template <class Duration>
Duration nextBackoff(Duration current, Duration min, Duration max) {
  return std::clamp(current * 2, min, std::max(min, max));
}

}  // namespace plateau
