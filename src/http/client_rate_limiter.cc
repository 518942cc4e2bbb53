#include "http/client_rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace plateau::http {

using namespace std::chrono_literals;

std::optional<std::chrono::nanoseconds> ClientRateLimiter::take(Bucket& bucket,
                                                                TimePoint now) const {
  const double capacity = static_cast<double>(options_.capacity);
  if (!bucket.started) {
    bucket.started = true;
    bucket.tokens = capacity;
    bucket.last = now;
  } else if (now > bucket.last) {
    double elapsed = std::chrono::duration<double>(now - bucket.last).count();
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * options_.qps);
  }
  bucket.last = std::max(bucket.last, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  double seconds = (1 - bucket.tokens) / options_.qps;
  return std::max(std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(seconds * 1e9))),
                  std::chrono::nanoseconds(1));
}

void ClientRateLimiter::dropRefilled(TimePoint now) {
  const double capacity = static_cast<double>(options_.capacity);
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    return b.tokens + elapsed * options_.qps >= capacity;
  });
}

ClientRateLimiter::Bucket* ClientRateLimiter::bucketFor(std::string_view client, TimePoint now) {
  std::string key(client);
  if (auto it = buckets_.find(key); it != buckets_.end()) {
    return &it->second;
  }
  if (buckets_.size() >= options_.max_clients && now - last_sweep_ >= 1s) {
    last_sweep_ = now;
    dropRefilled(now);
  }
  if (buckets_.size() >= options_.max_clients) {
    return &overflow_;
  }
  return &buckets_.emplace(std::move(key), Bucket{}).first->second;
}

std::optional<std::chrono::nanoseconds> ClientRateLimiter::admit(std::string_view client,
                                                                 TimePoint now) {
  if (options_.qps <= 0) {
    return std::nullopt;
  }
  return take(*bucketFor(client, now), now);
}

std::string clientAddress(std::string_view remote) {
  size_t colon = remote.rfind(':');
  std::string_view host = colon == std::string_view::npos ? remote : remote.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
  }
  if (host.find(':') == std::string_view::npos) {
    return std::string(host);
  }
  // IPv4 mapped into IPv6 (::ffff:10.0.0.1) is the IPv4 client.
  if (size_t last = host.rfind(':'); host.find('.', last) != std::string_view::npos) {
    return std::string(host.substr(last + 1));
  }
  in6_addr address{};
  std::string text(host);
  if (::inet_pton(AF_INET6, text.c_str(), &address) != 1) {
    return text;
  }
  const unsigned char* b = address.s6_addr;
  return fmt::format("{:02x}{:02x}:{:02x}{:02x}:{:02x}{:02x}:{:02x}{:02x}::/64", b[0], b[1], b[2],
                     b[3], b[4], b[5], b[6], b[7]);
}

}  // namespace plateau::http
