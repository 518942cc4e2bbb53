#include "common/uuid.h"

#include <sys/random.h>

#include <random>

#include <fmt/format.h>

namespace plateau {

std::string UuidGenerator::bytes() {
  std::string out(16, '\0');
  uint64_t a = rng_();
  uint64_t b = rng_();
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(a >> (8 * i));
    out[8 + i] = static_cast<char>(b >> (8 * i));
  }
  out[6] = static_cast<char>((out[6] & 0x0f) | 0x40);
  out[8] = static_cast<char>((out[8] & 0x3f) | 0x80);
  return out;
}

std::string UuidGenerator::toText(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  }
  return out;
}

uint64_t osRandomSeed() {
  // One getrandom(2) call: every executor takes a seed as it starts, and std::random_device's
  // set-up cost more than the call.
  uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) == static_cast<ssize_t>(sizeof seed)) {
    return seed;
  }
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace plateau
