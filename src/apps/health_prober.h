#pragma once

// The Prober that runs plateau-apps' own health checks over the network, on the service's loop:
// HTTP through the HTTP client, HTTPS (no certificate verification, as Marathon) and TCP
// through http/probe.h. Loop thread only.

#include "apps/health.h"
#include "runtime/event_loop.h"

namespace plateau::apps {

class NetworkProber final : public Prober {
 public:
  explicit NetworkProber(EventLoop& loop) : loop_(loop) {}
  void probe(const HealthCheck& check, const std::string& host, uint32_t port,
             std::function<void(ProbeResult)> done) override;

 private:
  EventLoop& loop_;
};

}  // namespace plateau::apps
