#pragma once

// plateau-dns's DNS servers: UDP and TCP (RFC 1035's two-byte length framing, several queries
// per connection) on one port of the daemon's event loop. Each query goes to the Resolver; names
// outside the domain go to the configured resolvers (each in turn, `timeout` each; over TCP
// again when a UDP answer comes back truncated and the client asked over TCP); when none
// answers the client gets SERVFAIL. Nothing a client sends can stop the servers: bad packets
// are answered or dropped by the Resolver's rules.
//
// Loop-thread only; the resolver, metrics and logger must outlive the server.

#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "common/status.h"
#include "dns/config.h"
#include "dns/dns_metrics.h"
#include "dns/resolver.h"
#include "runtime/event_loop.h"

namespace plateau::dns {

class DnsServer {
 public:
  DnsServer(EventLoop& loop, const Config& config, Resolver& resolver, DnsMetrics& metrics,
            std::shared_ptr<spdlog::logger> log);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds UDP and TCP on `ip`:`port` (0: a free port, the same for both) and starts serving.
  // Returns the bound port.
  Result<uint16_t> listen(const std::string& ip, uint16_t port);
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plateau::dns
