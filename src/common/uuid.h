#pragma once

// Random (version 4) UUIDs: 16 raw bytes for status update uuids, text for ids and stream ids.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace plateau {

class UuidGenerator {
 public:
  explicit UuidGenerator(uint64_t seed) : rng_(seed) {}
  // 16 random bytes with the version-4 and variant bits set.
  std::string bytes();
  // The canonical 36-character text form of fresh random bytes.
  std::string text() { return toText(bytes()); }

  static std::string toText(std::string_view bytes);

 private:
  std::mt19937_64 rng_;
};

// A seed from the OS, for main().
uint64_t osRandomSeed();

}  // namespace plateau
