#pragma once

// The replay's one source of randomness: a seeded SplitMix64 generator with its own draws, so
// that a seed gives the same numbers on every platform and standard library (std::*_distribution
// may differ between library versions).

#include <cmath>
#include <cstdint>
#include <numbers>

namespace plateau::sim::replay {

// Deterministic for a given seed; not thread-safe (each user owns one).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  // 64 uniformly distributed bits.
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) { return next() % n; }
  // Exponential with the given mean (> 0).
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  // Standard normal (Box-Muller, one draw of the pair).
  double normal() {
    double u = 1.0 - uniform();  // (0, 1]
    double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
  // Log-normal with the given median and shape sigma.
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  uint64_t state_;
};

}  // namespace plateau::sim::replay
