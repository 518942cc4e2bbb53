// The master's authentication and audit flags, with Mesos's names and rules (docs/security.md).

#include <fmt/format.h>

#include "auth/audit_log.h"
#include "auth/authenticator.h"
#include "auth/key_file.h"
#include "master/flags.h"

namespace plateau::master {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// Every name of a comma-separated authenticator list is one Plateau has ("basic").
Status checkAuthenticators(const std::string& flag, const std::string& list) {
  size_t start = 0;
  while (!list.empty() && start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string name =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name != "basic") {
      return invalid(fmt::format(
          "Flag '--{}': '{}' is not an HTTP authenticator Plateau has (only 'basic'; modules "
          "are not loaded)",
          flag, name));
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return {};
}

// The operator token keys: --operator_jwt_secret_key (HS256) and --operator_jwt_public_key.
Status loadOperatorKeys(Flags& f) {
  std::string secret;
  std::string pem;
  if (!f.operator_jwt_secret_key.empty()) {
    auto key = auth::readKeyFile("operator_jwt_secret_key", f.operator_jwt_secret_key);
    if (!key) {
      return key.error();
    }
    secret = std::move(*key);
  }
  if (!f.operator_jwt_public_key.empty()) {
    auto file = auth::readSecretFile("operator_jwt_public_key", f.operator_jwt_public_key);
    if (!file) {
      return file.error();
    }
    pem = std::move(file->contents);
  }
  if (secret.empty() && pem.empty()) {
    return {};
  }
  auto verifier = auth::JwtVerifier::create(std::move(secret), pem);
  if (!verifier) {
    return invalid(fmt::format("Flag '--operator_jwt_public_key': {}", verifier.error().message()));
  }
  f.operator_tokens = std::make_shared<const auth::JwtVerifier>(std::move(*verifier));
  return {};
}

// Mesos refuses a realm to protect when its authenticator has nothing to check against.
Status requireCredentials(const Flags& f) {
  const bool operators = f.operator_tokens != nullptr;
  auto missing = [](const char* realm) {
    return invalid(fmt::format(
        "No credentials provided for the default 'basic' HTTP authenticator for realm '{}' "
        "(give '--credentials')",
        realm));
  };
  if (f.credential_list.empty()) {
    if (f.authenticate_http_readonly && !operators) {
      return missing(auth::kMasterReadOnlyRealm);
    }
    if (f.authenticate_http_readwrite && !operators) {
      return missing(auth::kMasterReadWriteRealm);
    }
    if (f.authenticate_http_frameworks || f.authenticate_frameworks) {
      return missing(auth::kMasterFrameworkRealm);
    }
    if (f.authenticate_agents) {
      return invalid("Flag '--authenticate_agents' needs '--credentials' to check agents against");
    }
  }
  return {};
}

}  // namespace

void registerSecurityFlags(flags::FlagSet& set, Flags& f) {
  set.add("credentials", &f.credentials,
          "Mesos's JSON credentials file (/path or file:///path) of frameworks, agents and "
          "operators: {\"credentials\": [{\"principal\": ..., \"secret\": ...}]}");
  set.add("authenticate_http_readonly", &f.authenticate_http_readonly,
          "Require authentication on the read-only endpoints (/master/state, /metrics/snapshot, "
          "...)");
  set.add("authenticate_http_readwrite", &f.authenticate_http_readwrite,
          "Require authentication on the read-write endpoints (/api/v1, /master/teardown, ...)");
  set.add("authenticate_http_frameworks", &f.authenticate_http_frameworks,
          "Require authentication on the scheduler API (needs --http_framework_authenticators)");
  set.add("http_authenticators", &f.http_authenticators,
          "HTTP authenticators of the operator realms ('basic')");
  set.add("http_framework_authenticators", &f.http_framework_authenticators,
          "HTTP authenticators of the scheduler API ('basic')");
  set.add("authenticate_agents", &f.authenticate_agents,
          "Only agents presenting a credential of --credentials register",
          {.aliases = {"authenticate_slaves"}});
  set.add("authenticate_frameworks", &f.authenticate_frameworks,
          "Only authenticated frameworks subscribe: frameworks speak the v1 HTTP API here, so this "
          "is --authenticate_http_frameworks with the 'basic' authenticator",
          {.aliases = {"authenticate"}});
  set.add("operator_jwt_secret_key", &f.operator_jwt_secret_key,
          "File of the key HS256 bearer tokens of operators are signed with (a Plateau "
          "extension; tokens name their principal in 'sub')");
  set.add("operator_jwt_public_key", &f.operator_jwt_public_key,
          "PEM file of the RSA public key RS256 bearer tokens of operators are checked with (a "
          "Plateau extension)");
  set.add("acls", &f.acls,
          "Mesos's ACLs (JSON, inline or as file:///path or /path): who may register "
          "frameworks, run tasks as which user, reserve, tear down, view ... (docs/security.md)");
  set.add("audit_log", &f.audit_log,
          "File to append one JSON line to per write call (scheduler and operator): time, "
          "principal, call, target, outcome, source");
}

Status validateSecurityFlags(Flags& f) {
  if (Status s = checkAuthenticators("http_authenticators", f.http_authenticators); !s.isOk()) {
    return s;
  }
  if (Status s =
          checkAuthenticators("http_framework_authenticators", f.http_framework_authenticators);
      !s.isOk()) {
    return s;
  }
  if (f.authenticate_http_frameworks && f.http_framework_authenticators.empty()) {
    return invalid(
        "Missing flag '--http_framework_authenticators': it must be given with "
        "'--authenticate_http_frameworks'");
  }
  f.credential_list.clear();
  if (!f.credentials.empty()) {
    auto list = auth::loadCredentials("credentials", f.credentials, &f.credentials_warning);
    if (!list) {
      return list.error();
    }
    f.credential_list = std::move(*list);
  }
  if (Status s = loadOperatorKeys(f); !s.isOk()) {
    return s;
  }
  if (Status s = requireCredentials(f); !s.isOk()) {
    return s;
  }
  f.acls_warnings.clear();
  auto acls = auth::Authorizer::fromFlag(f.acls, &f.acls_warnings);
  if (!acls) {
    return acls.error();
  }
  f.authorizer = std::move(*acls);
  if (!f.audit_log.empty()) {
    if (auto log = auth::AuditLog::open(f.audit_log); !log) {
      return log.error();
    }
  }
  return {};
}

}  // namespace plateau::master
