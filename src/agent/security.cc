// The agent's front door: each request is authenticated in its endpoint's realm (Mesos's
// agent realms; docs/security.md), and executors' tokens are held to their own executor.

#include <mesos/v1/executor/executor.pb.h>

#include <fmt/format.h>

#include "agent/agent.h"
#include "http/client_refusal.h"
#include "http/content.h"

namespace plateau::agent {
namespace {

std::string_view withoutProcessId(std::string_view path) {
  if (path.starts_with("/slave(1)/")) {
    path.remove_prefix(9);
  }
  return path;
}

std::string claim(const json::Value& claims, std::string_view name) {
  const json::Value* v = claims.isObject() ? claims.find(name) : nullptr;
  return v != nullptr && v->isString() ? v->asString() : "";
}

}  // namespace

auth::Realm Agent::realmOf(const http::Request& request) {
  std::string_view path = withoutProcessId(request.path);
  if (path == "/health" || path == "/version") {
    return auth::Realm::kOpen;
  }
  if (path == "/api/v1/executor") {
    return auth::Realm::kExecutor;
  }
  if (path == "/api/v1") {
    return auth::Realm::kReadWrite;
  }
  return auth::Realm::kReadOnly;
}

void Agent::buildGuard() {
  // With executor authentication, as in Mesos, executors' tokens are accepted in every realm
  // (the default executor of Mesos calls /api/v1 for its nested containers with its token).
  std::shared_ptr<const auth::JwtVerifier> tokens;
  if (flags_.authenticate_http_executors) {
    auto verifier = auth::JwtVerifier::create(flags_.executor_secret, "");
    tokens = std::make_shared<const auth::JwtVerifier>(std::move(*verifier));
    guard_.protect(auth::Realm::kExecutor,
                   auth::HttpAuthenticator(auth::kAgentExecutorRealm, {}, tokens));
  }
  if (flags_.authenticate_http_readonly) {
    guard_.protect(
        auth::Realm::kReadOnly,
        auth::HttpAuthenticator(auth::kAgentReadOnlyRealm, flags_.http_credential_list, tokens));
  }
  if (flags_.authenticate_http_readwrite) {
    guard_.protect(
        auth::Realm::kReadWrite,
        auth::HttpAuthenticator(auth::kAgentReadWriteRealm, flags_.http_credential_list, tokens));
  }
  for (const auto& warning : flags_.acls_warnings) {
    log_->warn("acls_unknown_key detail=\"{}\"", warning);
  }
  for (const auto& warning : flags_.security_warnings) {
    log_->warn("credentials_readable_by_others detail=\"{}\"", warning);
  }
}

std::string Agent::executorToken(const std::string& framework_id, const std::string& executor_id,
                                 const std::string& container_id) const {
  if (flags_.executor_secret.empty()) {
    return "";
  }
  json::Value claims(json::Object{});
  claims.set("fid", framework_id);
  claims.set("eid", executor_id);
  claims.set("cid", container_id);
  return auth::signHs256(claims, flags_.executor_secret);
}

std::optional<http::Response> Agent::limitClient(const http::Request& request, auth::Realm realm,
                                                 const auth::Principal& principal) {
  // Executors (their API, or their token on /api/v1 for nested containers) are the agent's own
  // work, never limited; nor are /health and /version.
  if (realm == auth::Realm::kOpen || realm == auth::Realm::kExecutor ||
      !claim(principal.claims, "cid").empty()) {
    return std::nullopt;
  }
  return http::limitClientRequest(client_limiter_, request, clock_.now(), metrics_.requests_limited,
                                  *log_);
}

void Agent::guardRequest(http::Request& request, http::Responder responder) {
  const auth::Realm realm = realmOf(request);
  auto principal = guard_.check(realm, request, static_cast<int64_t>(clock_.wallSeconds()));
  if (!principal) {
    log_->debug("http_unauthenticated path={} source={}", request.path, request.remote);
    return responder.respond(std::move(principal.error()));
  }
  request.principal = principal->name;
  if (auto limited = limitClient(request, realm, *principal)) {
    return responder.respond(std::move(*limited));
  }
  if (auto refused = authorizeEndpoint(request)) {
    return responder.respond(std::move(*refused));
  }
  if (realm == auth::Realm::kExecutor && guard_.protects(realm)) {
    // A token speaks for one executor of one framework: its calls must name that one.
    mesos::v1::executor::Call call;
    if (http::decodeCall(request, &call) &&
        (call.framework_id().value() != claim(principal->claims, "fid") ||
         call.executor_id().value() != claim(principal->claims, "eid"))) {
      return responder.respond(http::Response::text(
          403, fmt::format("The token of executor '{}' of framework '{}' does not authorize calls "
                           "of executor '{}' of framework '{}'",
                           claim(principal->claims, "eid"), claim(principal->claims, "fid"),
                           call.executor_id().value(), call.framework_id().value())));
    }
  }
  caller_container_ = realm == auth::Realm::kExecutor ? "" : claim(principal->claims, "cid");
  route(request, std::move(responder));
  caller_container_.clear();
}

}  // namespace plateau::agent
