#include "apps/health_prober.h"

#include <fmt/format.h>

#include "http/client.h"
#include "http/probe.h"

namespace plateau::apps {

void NetworkProber::probe(const HealthCheck& check, const std::string& host, uint32_t port,
                          std::function<void(ProbeResult)> done) {
  // A task's own endpoint: plain HTTP whatever this service's LIBPROCESS_SSL_ENABLED says.
  http::Endpoint to{host, static_cast<uint16_t>(port), http::Transport::kPlain};
  auto timeout = std::chrono::seconds(std::max(1, check.timeout_seconds));
  if (check.protocol == "TCP") {
    http::probeTcp(loop_, to, timeout, [done = std::move(done)](Status s) {
      done(s.isOk() ? ProbeResult{.ok = true} : ProbeResult{.cause = s.message()});
    });
    return;
  }
  std::string path = check.path.empty() ? "/" : check.path;
  auto answer = [check, done = std::move(done)](Result<http::Response> r) {
    if (!r) {
      done({.cause = r.error().message()});
      return;
    }
    ProbeResult verdict = httpVerdict(check, r->status);
    verdict.status = r->status;
    done(verdict);
  };
  if (check.protocol == "HTTPS") {
    http::fetchTls(loop_, to, std::move(path), timeout, std::move(answer));
    return;
  }
  http::fetch(loop_, to, {.method = "GET", .path = std::move(path)}, timeout, std::move(answer));
}

}  // namespace plateau::apps
