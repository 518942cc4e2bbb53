#pragma once

// HTTP authentication by realm, as Mesos's endpoints have it: each realm (the master's
// read-only, read-write and framework realms; the agent's, and its executor realm) either is
// open (anyone, anonymous) or has an authenticator that accepts HTTP Basic credentials (Mesos's
// "basic" authenticator over --credentials / --http_credentials) and/or bearer JWTs (executor
// tokens; operator tokens, a Plateau extension). A refused request gets 401 with
// `WWW-Authenticate: Basic realm="<realm>"` (Bearer where only tokens are accepted).

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "auth/credentials.h"
#include "auth/jwt.h"
#include "common/json.h"
#include "http/message.h"

namespace plateau::auth {

// Who made a request. `name` is "" for an anonymous request (a realm that is open) and for a
// token without a "sub" claim (executor tokens name their executor by claims instead).
struct Principal {
  std::string name;
  json::Value claims;  // a bearer token's claims (null for Basic or anonymous)
};

// Mesos's realm names.
inline constexpr const char* kMasterReadOnlyRealm = "mesos-master-readonly";
inline constexpr const char* kMasterReadWriteRealm = "mesos-master-readwrite";
inline constexpr const char* kMasterFrameworkRealm = "mesos-master-scheduler";
// Plateau's: agents authenticating to the master (Mesos's agents authenticate over SASL).
inline constexpr const char* kMasterAgentRealm = "mesos-master-agent";
inline constexpr const char* kAgentReadOnlyRealm = "mesos-agent-readonly";
inline constexpr const char* kAgentReadWriteRealm = "mesos-agent-readwrite";
inline constexpr const char* kAgentExecutorRealm = "mesos-agent-executor";

// One realm's authenticator. Immutable once made; any thread.
class HttpAuthenticator {
 public:
  // `basic`: the accepted credentials (none: Basic is refused); `bearer`: the keys tokens are
  // checked with (null: bearer tokens are refused).
  HttpAuthenticator(std::string realm, std::vector<Credential> basic,
                    std::shared_ptr<const JwtVerifier> bearer);

  // The principal the request's Authorization header proves, or the 401 to answer (missing
  // header, unknown scheme, wrong credential, forged or expired token: the body says which).
  // `now` is seconds since the epoch (token expiry).
  std::expected<Principal, http::Response> authenticate(const http::Request& request,
                                                        int64_t now) const;

  const std::string& realm() const { return realm_; }

 private:
  http::Response refuse(const std::string& why) const;

  std::string realm_;
  std::map<std::string, std::string> secrets_;  // principal -> secret
  std::shared_ptr<const JwtVerifier> bearer_;
};

// The realms a daemon protects.
enum class Realm { kOpen, kReadOnly, kReadWrite, kFramework, kExecutor, kAgent };

// Which realms are protected, and by what. A realm without an authenticator is open.
class Guard {
 public:
  void protect(Realm realm, HttpAuthenticator authenticator);
  bool protects(Realm realm) const { return authenticators_.contains(realm); }
  // The request's principal (anonymous where `realm` is open), or the 401 to answer.
  std::expected<Principal, http::Response> check(Realm realm, const http::Request& request,
                                                 int64_t now) const;

 private:
  std::map<Realm, HttpAuthenticator> authenticators_;
};

// The 403 for a request an ACL refuses (`why`, from Authorizer::refusal), logged on `log` as
// `endpoint_forbidden`; nullopt when `why` is (allowed).
std::optional<http::Response> forbidden(const std::optional<std::string>& why,
                                        const http::Request& request, spdlog::logger& log);

// The value of an Authorization header carrying HTTP Basic credentials.
std::string basicAuthorization(const Credential& credential);

// A random secret of `bytes` bytes from OpenSSL's generator, URL-safe base64 encoded.
std::string randomSecret(size_t bytes = 32);

}  // namespace plateau::auth
