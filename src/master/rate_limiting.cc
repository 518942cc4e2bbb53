// --rate_limits applied to the HTTP scheduler and operator APIs (docs/security.md, "Rate
// limits"): a call over its principal's qps waits on the loop's timers, in arrival order, up
// to the principal's capacity; past it the call is answered 429 with Retry-After and Mesos's
// "capacity exceeded" message, and nothing of it runs.

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

}  // namespace

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
