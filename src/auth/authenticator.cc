#include "auth/authenticator.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/invariant.h"

namespace plateau::auth {
namespace {

bool equalSecrets(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The scheme ("basic", "bearer", lower-cased) and the rest of an Authorization header.
std::pair<std::string, std::string> splitAuthorization(const std::string& header) {
  size_t space = header.find(' ');
  if (space == std::string::npos) {
    return {http::toLower(header), ""};
  }
  size_t start = header.find_first_not_of(' ', space);
  return {http::toLower(header.substr(0, space)),
          start == std::string::npos ? "" : header.substr(start)};
}

}  // namespace

HttpAuthenticator::HttpAuthenticator(std::string realm, std::vector<Credential> basic,
                                     std::shared_ptr<const JwtVerifier> bearer)
    : realm_(std::move(realm)), bearer_(std::move(bearer)) {
  for (auto& credential : basic) {
    secrets_[credential.principal] = std::move(credential.secret);
  }
}

http::Response HttpAuthenticator::refuse(const std::string& why) const {
  http::Response response = http::Response::text(401, why);
  const char* scheme = secrets_.empty() ? "Bearer" : "Basic";
  response.headers["www-authenticate"] = fmt::format("{} realm=\"{}\"", scheme, realm_);
  return response;
}

std::expected<Principal, http::Response> HttpAuthenticator::authenticate(
    const http::Request& request, int64_t now) const {
  const std::string header = request.header("authorization");
  if (header.empty()) {
    return std::unexpected(refuse(
        fmt::format("Authentication required: realm '{}' needs an Authorization header", realm_)));
  }
  auto [scheme, rest] = splitAuthorization(header);
  if (scheme == "basic" && !secrets_.empty()) {
    auto decoded = base64::decode(rest);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return std::unexpected(refuse("Malformed Basic credentials"));
    }
    std::string principal = decoded->substr(0, colon);
    auto known = secrets_.find(principal);
    if (known == secrets_.end() || !equalSecrets(known->second, decoded->substr(colon + 1))) {
      return std::unexpected(refuse(
          fmt::format("Invalid credentials for realm '{}': wrong principal or secret", realm_)));
    }
    return Principal{std::move(principal), json::Value()};
  }
  if (scheme == "bearer" && bearer_ != nullptr) {
    auto claims = bearer_->verify(rest, now);
    if (!claims) {
      return std::unexpected(refuse(fmt::format("Invalid bearer token for realm '{}': {}", realm_,
                                                claims.error().message())));
    }
    const json::Value* sub = claims->find("sub");
    std::string name = sub != nullptr && sub->isString() ? sub->asString() : "";
    return Principal{std::move(name), std::move(*claims)};
  }
  return std::unexpected(refuse(
      fmt::format("Authentication scheme '{}' is not accepted in realm '{}'", scheme, realm_)));
}

void Guard::protect(Realm realm, HttpAuthenticator authenticator) {
  authenticators_.insert_or_assign(realm, std::move(authenticator));
}

std::expected<Principal, http::Response> Guard::check(Realm realm, const http::Request& request,
                                                      int64_t now) const {
  auto it = authenticators_.find(realm);
  if (it == authenticators_.end()) {
    return Principal{};
  }
  return it->second.authenticate(request, now);
}

std::optional<http::Response> forbidden(const std::optional<std::string>& why,
                                        const http::Request& request, spdlog::logger& log) {
  if (!why) {
    return std::nullopt;
  }
  log.info("endpoint_forbidden path=\"{}\" principal={} reason=\"{}\"", request.path,
           request.principal, *why);
  return http::Response::text(403, *why);
}

std::string basicAuthorization(const Credential& credential) {
  return "Basic " + base64::encode(credential.principal + ":" + credential.secret);
}

std::string randomSecret(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    invariantBroken("OpenSSL's random generator failed");
  }
  return base64::encodeUrlSafe(raw);
}

}  // namespace plateau::auth
