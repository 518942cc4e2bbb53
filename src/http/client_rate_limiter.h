#pragma once

// A bound on how fast one client may call a server, whatever its endpoint's own limits: a token
// bucket per client key (a principal, an address, an agent), refilled at `qps` up to
// `capacity`. A request that finds its bucket empty is refused at once with the time until one
// would be admitted (for a 429's Retry-After); nothing is queued. Pure: time comes in as an
// argument (the master applies it: docs/security.md, "Per-client limits").
//
// Invariants: each bucket holds between 0 and `capacity` tokens as of its `last` time; at most
// `max_clients` buckets are kept. When a new client would exceed that, the buckets that have
// refilled (indistinguishable from new ones) are dropped, at most once a second; clients still
// beyond the bound share one overflow bucket, so that memory stays bounded under a flood of
// distinct keys while each is still limited.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace plateau::http {

class ClientRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Options {
    double qps = 0;  // 0: nothing is limited
    uint64_t capacity = 1;
    size_t max_clients = 65536;
  };

  explicit ClientRateLimiter(Options options) : options_(options) {}

  // Counts one request of `client` at `now`: nullopt when admitted, else how long until a
  // request of the client would be (at least 1 ns).
  std::optional<std::chrono::nanoseconds> admit(std::string_view client, TimePoint now);
  // Buckets kept now (for tests).
  size_t clients() const { return buckets_.size(); }
  const Options& options() const { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint last{};
    bool started = false;  // false: full, whatever `tokens` says
  };

  std::optional<std::chrono::nanoseconds> take(Bucket& bucket, TimePoint now) const;
  Bucket* bucketFor(std::string_view client, TimePoint now);
  void dropRefilled(TimePoint now);

  Options options_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket overflow_;
  TimePoint last_sweep_{};
};

// The client part of a peer's "ip:port" (Request::remote): the IPv4 address, or the /64 prefix
// of an IPv6 one (one host usually holds a whole /64); "" for an empty peer.
std::string clientAddress(std::string_view remote);

}  // namespace plateau::http
