// The agent's authentication flags, with Mesos's names and rules (docs/security.md).

#include <fmt/format.h>

#include "agent/flags.h"
#include "auth/authenticator.h"
#include "auth/key_file.h"

namespace plateau::agent {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// --credential, --http_credentials and --jwt_secret_key, read and parsed.
Status loadSecurityFiles(Flags& f) {
  if (!f.credential.empty()) {
    auto file = auth::readSecretFile("credential", f.credential);
    if (!file) {
      return file.error();
    }
    auto credential = auth::parseCredential(file->contents, file->path);
    if (!credential) {
      return credential.error();
    }
    f.master_credential = std::move(*credential);
    if (!file->warning.empty()) {
      f.security_warnings.push_back(file->warning);
    }
  }
  if (!f.http_credentials.empty()) {
    std::string warning;
    auto list = auth::loadCredentials("http_credentials", f.http_credentials, &warning);
    if (!list) {
      return list.error();
    }
    f.http_credential_list = std::move(*list);
    if (!warning.empty()) {
      f.security_warnings.push_back(warning);
    }
  }
  if (!f.jwt_secret_key.empty()) {
    auto key = auth::readKeyFile("jwt_secret_key", f.jwt_secret_key);
    if (!key) {
      return key.error();
    }
    f.executor_secret = std::move(*key);
  }
  return {};
}

}  // namespace

void registerSecurityFlags(flags::FlagSet& set, Flags& f) {
  set.add("credential", &f.credential,
          "File (/path or file:///path) of the agent's credential for the master, "
          "{\"principal\": ..., \"secret\": ...}: sent when registering");
  set.add("http_credentials", &f.http_credentials,
          "Mesos's JSON credentials file of the agent's authenticated HTTP endpoints");
  set.add("authenticate_http_readonly", &f.authenticate_http_readonly,
          "Require authentication on the read-only endpoints (/state, /metrics/snapshot, ...)");
  set.add("authenticate_http_readwrite", &f.authenticate_http_readwrite,
          "Require authentication on the read-write endpoints (/api/v1)");
  set.add("authenticate_http_executors", &f.authenticate_http_executors,
          "Require each executor's token (MESOS_EXECUTOR_AUTHENTICATION_TOKEN) on "
          "/api/v1/executor (needs --jwt_secret_key)");
  set.add("http_authenticators", &f.http_authenticators,
          "HTTP authenticators of the operator realms ('basic')");
  set.add("jwt_secret_key", &f.jwt_secret_key,
          "File of the key the executors' tokens are signed with (HMAC-SHA256); given, every "
          "executor gets MESOS_EXECUTOR_AUTHENTICATION_TOKEN",
          {.aliases = {"executor_secret_key"}});
  set.add("acls", &f.acls,
          "Mesos's ACLs (JSON, inline or as file:///path or /path) of the agent's endpoints: "
          "view_flags, get_endpoints, set_log_level, access_sandboxes (docs/security.md)");
}

Status validateSecurityFlags(Flags& f) {
  if (f.http_authenticators != "basic") {
    return invalid(fmt::format(
        "Flag '--http_authenticators': '{}' is not an HTTP authenticator Plateau has (only "
        "'basic'; modules are not loaded)",
        f.http_authenticators));
  }
  f.security_warnings.clear();
  f.master_credential.reset();
  f.http_credential_list.clear();
  f.executor_secret.clear();
  if (Status s = loadSecurityFiles(f); !s.isOk()) {
    return s;
  }
  auto missing = [](const char* realm) {
    return invalid(fmt::format(
        "No credentials provided for the default 'basic' HTTP authenticator for realm '{}' "
        "(give '--http_credentials')",
        realm));
  };
  if (f.authenticate_http_readonly && f.http_credential_list.empty()) {
    return missing(auth::kAgentReadOnlyRealm);
  }
  if (f.authenticate_http_readwrite && f.http_credential_list.empty()) {
    return missing(auth::kAgentReadWriteRealm);
  }
  if (f.authenticate_http_executors && f.executor_secret.empty()) {
    return invalid("Flag '--jwt_secret_key' must be given with '--authenticate_http_executors'");
  }
  f.acls_warnings.clear();
  auto acls = auth::Authorizer::fromFlag(f.acls, &f.acls_warnings);
  if (!acls) {
    return acls.error();
  }
  f.authorizer = std::move(*acls);
  return {};
}

}  // namespace plateau::agent
