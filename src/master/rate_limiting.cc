// --rate_limits applied to the HTTP scheduler and operator APIs (docs/security.md, "Rate
// limits"): a call over its principal's qps waits on the loop's timers, in arrival order, up
// to the principal's capacity; past it the call is answered 429 with Retry-After and Mesos's
// "capacity exceeded" message, and nothing of it runs. Also Mesos's per-principal message
// counters (frameworks/<principal>/messages_received, messages_processed).

#include <cmath>

#include <fmt/format.h>

#include "master/master.h"

namespace plateau::master {
namespace {

// A call held until its turn: its answer and what runs it.
struct HeldCall {
  http::Responder responder;
  std::function<void(http::Responder)> proceed;
};

http::Response tooManyRequests(std::string_view call, const std::string& principal,
                               const http::Admission& admission) {
  auto seconds =
      static_cast<int64_t>(std::ceil(std::chrono::duration<double>(admission.wait).count()));
  seconds = std::max<int64_t>(seconds, 1);
  http::Response response = http::Response::text(
      429, fmt::format("Message {} dropped: capacity({}) exceeded (principal '{}'; retry after "
                       "{} s)",
                       call, admission.capacity, principal, seconds));
  response.headers["retry-after"] = std::to_string(seconds);
  return response;
}

// A Prometheus name part that stands for `principal` alone: its bytes in hex (a principal may
// hold any character; two principals never share a name).
std::string hexOf(const std::string& principal) {
  std::string out;
  for (unsigned char c : principal) {
    out += fmt::format("{:02x}", c);
  }
  return out;
}

}  // namespace

Master::PrincipalCounters* Master::principalCounters(const std::string& principal, bool create) {
  if (principal.empty()) {
    return nullptr;
  }
  if (auto it = principal_counters_.find(principal); it != principal_counters_.end()) {
    return &it->second;
  }
  if (!create || principal_counters_.size() >= kMaxPrincipalCounters) {
    return nullptr;
  }
  auto counter = [&](const char* what, const char* help) {
    return &metrics_.registry.counter(
        {.snapshot_key = fmt::format("frameworks/{}/{}", principal, what),
         .name =
             fmt::format("plateau_master_framework_principal_{}_{}_total", hexOf(principal), what),
         .help = fmt::format("{} of the frameworks of principal '{}'.", help, principal),
         .scale = 1});
  };
  PrincipalCounters counters{
      .received = counter("messages_received", "Scheduler calls received"),
      .processed = counter("messages_processed", "Scheduler calls handled"),
  };
  return &principal_counters_.emplace(principal, counters).first->second;
}

std::optional<std::string> Master::schedulerCallPrincipal(const http::Request& request,
                                                          const scheduler::Call& call) const {
  if (!request.principal.empty()) {
    return request.principal;
  }
  if (call.type() == scheduler::Call::SUBSCRIBE) {
    return call.subscribe().framework_info().principal();
  }
  // A call of a framework that is not subscribed is refused at once (403): no turn to wait for.
  const Framework* framework = frameworks_.find(call.framework_id().value());
  if (framework == nullptr) {
    return std::nullopt;
  }
  return framework->info.principal();
}

void Master::throttle(const std::string& principal, std::string_view call,
                      http::Responder responder, std::function<void(http::Responder)> proceed) {
  if (rate_limiter_ == nullptr || !rate_limiter_->limits(principal)) {
    return proceed(std::move(responder));
  }
  http::Admission admission = rate_limiter_->admit(principal, clock_.now());
  switch (admission.kind) {
    case http::Admission::Kind::kNow:
      return proceed(std::move(responder));
    case http::Admission::Kind::kReject:
      metrics_.dropped_messages++;
      log_->debug("call_rate_limited call={} principal={} capacity={}", call, principal,
                  admission.capacity);
      return responder.respond(tooManyRequests(call, principal, admission));
    case http::Admission::Kind::kDelay:
      break;
  }
  auto held = std::make_shared<HeldCall>(HeldCall{std::move(responder), std::move(proceed)});
  timers_.after(admission.wait, [held] { held->proceed(std::move(held->responder)); });
}

}  // namespace plateau::master
