#pragma once

// Mesos-DNS's HTTP API over the records being served: /v1/version, /v1/config,
// /v1/hosts/{host}, /v1/hosts/{host}/ports (501, as in Mesos-DNS), /v1/services/{service},
// /v1/enumerate and /v1/axfr (when `enumerationOn`), and /metrics (Prometheus). GET only.
// Loop-thread only; everything given must outlive it.

#include "dns/config.h"
#include "dns/dns_metrics.h"
#include "dns/resolver.h"
#include "http/server.h"

namespace plateau::dns {

class HttpApi {
 public:
  HttpApi(const Config& config, const Resolver& resolver, const DnsMetrics& metrics)
      : config_(config), resolver_(resolver), metrics_(metrics) {}

  void handle(http::Request& request, http::Responder responder) const;

 private:
  std::string hosts(const std::string& host) const;
  std::string services(const std::string& service) const;
  std::string enumerate() const;
  std::string axfr() const;

  const Config& config_;
  const Resolver& resolver_;
  const DnsMetrics& metrics_;
};

// "Host.Mesos" -> "host.mesos." (lower case, wildcards dropped, fully qualified).
std::string normalizedName(std::string name);

}  // namespace plateau::dns
