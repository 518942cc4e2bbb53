#include "dns/labels.h"

#include <ldns/sha1.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace plateau::dns {

namespace {

// The replacement for one ASCII character, or 0 when it is dropped.
char mapAscii(unsigned char c) {
  if (c >= 'A' && c <= 'Z') {
    return static_cast<char>(c - 'A' + 'a');
  }
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
    return static_cast<char>(c);
  }
  if (c == '-' || c == '.' || c == '_') {
    return '-';
  }
  return 0;
}

// Characters mapped one by one; a multi-byte UTF-8 sequence (or a stray byte) maps to nothing.
std::string mapName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    if (c < 0x80) {
      if (char m = mapAscii(c); m != 0) {
        out.push_back(m);
      }
    }
  }
  return out;
}

std::string_view trimLeft(std::string_view s, std::string_view cutset) {
  size_t i = 0;
  while (i < s.size() && cutset.find(s[i]) != std::string_view::npos) {
    ++i;
  }
  return s.substr(i);
}

std::string_view trimRight(std::string_view s, std::string_view cutset) {
  size_t n = s.size();
  while (n > 0 && cutset.find(s[n - 1]) != std::string_view::npos) {
    --n;
  }
  return s.substr(0, n);
}

}  // namespace

std::string label(std::string_view name, LabelRules rules) {
  const size_t max_length = rules == LabelRules::kRfc952 ? 24 : 63;
  const std::string_view left = rules == LabelRules::kRfc952 ? "-0123456789" : "-";
  const std::string_view right = "-";
  std::string mapped = mapName(name);
  std::string_view trimmed = trimLeft(mapped, left);
  size_t size = std::min(trimmed.size(), max_length);
  std::string_view head = trimRight(trimmed.substr(0, size), right);
  std::string out(head);
  if (head.size() == size) {
    return out;
  }
  // The cut left trailing '-': what follows the cut fills the label back up to `size`.
  std::string_view tail = trimLeft(trimmed.substr(size), right);
  out.append(tail.substr(0, std::min(tail.size(), size - head.size())));
  return out;
}

std::string domainFragment(std::string_view name, LabelRules rules) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) {
      dot = name.size();
    }
    std::string part = label(name.substr(start, dot - start), rules);
    if (!part.empty()) {
      if (!out.empty()) {
        out.push_back('.');
      }
      out += part;
    }
    start = dot + 1;
  }
  return out;
}

std::string taskIdHash(std::string_view task_id) {
  static constexpr char kAlphabet[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
  unsigned char digest[LDNS_SHA1_DIGEST_LENGTH];
  ldns_sha1(reinterpret_cast<const unsigned char*>(task_id.data()),
            static_cast<unsigned int>(task_id.size()), digest);
  // Five 5-bit groups, most significant bit first: the first 25 bits of the digest.
  uint32_t bits = (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) |
                  (uint32_t{digest[2]} << 8) | uint32_t{digest[3]};
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out.push_back(kAlphabet[(bits >> (27 - 5 * i)) & 0x1f]);
  }
  return out;
}

std::string agentIdTail(std::string_view agent_id) {
  size_t dash = agent_id.rfind('-');
  std::string out(dash == std::string_view::npos ? agent_id : agent_id.substr(dash + 1));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace plateau::dns
