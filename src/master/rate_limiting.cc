// --rate_limits applied to the HTTP scheduler and operator APIs (docs/security.md, "Rate
// limits"): a call over its principal's qps waits on the loop's timers, in arrival order, up
// to the principal's capacity; past it the call is answered 429 with Retry-After and Mesos's
// "capacity exceeded" message, and nothing of it runs. And Plateau's per-client bounds
// (--client_request_qps, --agent_call_qps): a token bucket per client, past which a request is
// answered 429 at once.

#include <cmath>

#include <fmt/format.h>

#include "http/client_refusal.h"
#include "master/master.h"

namespace plateau::master {
namespace {

// The whole seconds to wait for Retry-After (at least 1: the header counts whole seconds).
int64_t retrySeconds(std::chrono::nanoseconds wait) {
  auto seconds = static_cast<int64_t>(std::ceil(std::chrono::duration<double>(wait).count()));
  return std::max<int64_t>(seconds, 1);
}

// A call held until its turn: its answer and what runs it.
struct HeldCall {
  http::Responder responder;
  std::function<void(http::Responder)> proceed;
};

http::Response tooManyRequests(std::string_view call, const std::string& principal,
                               const http::Admission& admission) {
  int64_t seconds = retrySeconds(admission.wait);
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
  // A call of an unknown framework is refused at once (400): no turn to wait for.
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

std::optional<http::Response> Master::limitClient(const http::Request& request) {
  // /health and the web UI's files are open to all; scheduler calls have --rate_limits, and an
  // agent call is counted once its agent is known (limitAgentCall).
  const auth::Realm realm = realmOf(request);
  if (realm == auth::Realm::kOpen || realm == auth::Realm::kFramework ||
      realm == auth::Realm::kAgent) {
    return std::nullopt;
  }
  return http::limitClientRequest(client_limiter_, request, clock_.now(), metrics_.requests_limited,
                                  *log_);
}

std::optional<http::Response> Master::limitAgentCall(const http::Request& request,
                                                     const internal::AgentCall& call) {
  const std::string& id = call.type() == internal::AgentCall::REGISTER
                              ? call.register_().agent_info().id().value()
                              : call.agent_id().value();
  const Agent* agent = id.empty() ? nullptr : agents_.find(id);
  // Only the agent's own session counts under the agent: anyone else under who they are.
  std::string client =
      agent != nullptr && !agent->session.empty() && call.session() == agent->session
          ? "agent " + agent->id
          : http::clientOf(request);
  auto wait = agent_limiter_.admit(client, clock_.now());
  if (!wait) {
    return std::nullopt;
  }
  metrics_.requests_limited++;
  log_->debug("agent_call_rate_limited type={} client=\"{}\"",
              internal::AgentCall::Type_Name(call.type()), client);
  return http::tooManyFromClient(client, agent_limiter_.options(), "agent_call", *wait);
}

}  // namespace plateau::master
