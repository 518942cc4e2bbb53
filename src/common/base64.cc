#include "common/base64.h"

#include <array>
#include <cstdint>

#include <fmt/format.h>

namespace plateau::base64 {
namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> reverseTable(std::string_view alphabet) {
  std::array<uint8_t, 256> table{};
  table.fill(kInvalid);
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<uint8_t>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}

constexpr std::array<uint8_t, 256> kStandardReverse = reverseTable(kStandard);
constexpr std::array<uint8_t, 256> kUrlSafeReverse = reverseTable(kUrlSafe);

std::string encodeWith(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << 16 |
                 static_cast<uint32_t>(static_cast<uint8_t>(data[i + 1])) << 8 |
                 static_cast<uint8_t>(data[i + 2]);
    out += alphabet[(n >> 18) & 0x3F];
    out += alphabet[(n >> 12) & 0x3F];
    out += alphabet[(n >> 6) & 0x3F];
    out += alphabet[n & 0x3F];
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << 16;
    if (rest == 2) {
      n |= static_cast<uint32_t>(static_cast<uint8_t>(data[i + 1])) << 8;
    }
    out += alphabet[(n >> 18) & 0x3F];
    out += alphabet[(n >> 12) & 0x3F];
    if (rest == 2) {
      out += alphabet[(n >> 6) & 0x3F];
    }
    if (pad) {
      out.append(3 - rest, '=');
    }
  }
  return out;
}

Result<std::string> decodeWith(std::string_view text, const std::array<uint8_t, 256>& reverse) {
  // Strip padding first, so the loop below only ever sees alphabet characters.
  size_t length = text.size();
  size_t padding = 0;
  while (length > 0 && text[length - 1] == '=' && padding < 2) {
    --length;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return invalidArgument("Invalid base64: incomplete padding");
  }
  if (length % 4 == 1) {
    return invalidArgument("Invalid base64: truncated input");
  }

  std::string out;
  out.reserve(length / 4 * 3 + 2);
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = 0; i < length; ++i) {
    uint8_t v = reverse[static_cast<uint8_t>(text[i])];
    if (v == kInvalid) {
      return invalidArgument(fmt::format("Invalid base64: unexpected character at offset {}", i));
    }
    bits = bits << 6 | v;
    if (++count == 4) {
      out += static_cast<char>((bits >> 16) & 0xFF);
      out += static_cast<char>((bits >> 8) & 0xFF);
      out += static_cast<char>(bits & 0xFF);
      bits = 0;
      count = 0;
    }
  }
  if (count == 2) {
    out += static_cast<char>((bits >> 4) & 0xFF);
  } else if (count == 3) {
    out += static_cast<char>((bits >> 10) & 0xFF);
    out += static_cast<char>((bits >> 2) & 0xFF);
  }
  return out;
}

}  // namespace

std::string encode(std::string_view data) { return encodeWith(data, kStandard, true); }

Result<std::string> decode(std::string_view text) { return decodeWith(text, kStandardReverse); }

std::string encodeUrlSafe(std::string_view data) { return encodeWith(data, kUrlSafe, false); }

Result<std::string> decodeUrlSafe(std::string_view text) {
  return decodeWith(text, kUrlSafeReverse);
}

}  // namespace plateau::base64
