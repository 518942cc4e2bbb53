#pragma once

// JSON Web Tokens (RFC 7519) in their compact form, signed with HS256 (HMAC-SHA256) or RS256
// (RSASSA-PKCS1-v1_5 with SHA-256): what the agent gives each executor
// (MESOS_EXECUTOR_AUTHENTICATION_TOKEN, keyed by --jwt_secret_key, as Mesos) and what
// operators may present as bearer tokens (a Plateau extension).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/json.h"
#include "common/status.h"

namespace plateau::auth {

// header.payload.signature with {"alg":"HS256","typ":"JWT"} and `claims` (an object).
std::string signHs256(const json::Value& claims, std::string_view key);
// As signHs256 with RS256 and a PEM private key; InvalidArgument when the key does not load.
Result<std::string> signRs256(const json::Value& claims, std::string_view private_key_pem);

// Checks tokens against the keys it was made with. Immutable once made; any thread.
class JwtVerifier {
 public:
  // `hs256_key`: the shared secret ("" accepts no HS256 token); `rs256_public_key_pem`: a PEM
  // public key ("" accepts no RS256 token). InvalidArgument when the PEM does not load.
  static Result<JwtVerifier> create(std::string hs256_key, std::string_view rs256_public_key_pem);

  // The token's claims when its signature holds under a configured key, its algorithm is one
  // the verifier has a key for ("none" never), and `now` (seconds since the epoch) lies before
  // "exp" and not before "nbf". InvalidArgument with the reason (malformed, unsupported
  // algorithm, bad signature, expired, not yet valid) otherwise.
  Result<json::Value> verify(std::string_view token, int64_t now) const;

  bool acceptsHs256() const { return !hs256_key_.empty(); }
  bool acceptsRs256() const { return rs256_key_ != nullptr; }

 private:
  std::string hs256_key_;
  std::shared_ptr<void> rs256_key_;  // EVP_PKEY
};

}  // namespace plateau::auth
