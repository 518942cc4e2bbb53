#pragma once

// The credentials the `plateau` command sends to the master: --principal with --secret (or
// --secret_file), else a config file (--config or $PLATEAU_CONFIG) holding
// {"principal": ..., "secret": ...} or {"token": ...} (an operator bearer token).

#include <chrono>
#include <string>

#include "common/status.h"
#include "http/client.h"

namespace plateau::cli {

struct CredentialOptions {
  std::string principal;
  std::string secret;
  std::string secret_file;
  std::string config;
};

struct Credentials {
  std::string principal;
  std::string secret;
  std::string token;
  // The Authorization header's value ("" when there is no credential).
  std::string authorization() const;
};

// The credentials `options` name: from the flags, else from the config file. InvalidArgument
// naming the file when it cannot be read or parsed.
Result<Credentials> resolveCredentials(const CredentialOptions& options);

// The options every later fetch() reads (filled by the command line's parser; main() sets it
// once, before parsing).
void useCredentials(const CredentialOptions* options);
// The credentials of the options in use (none when useCredentials() was not called).
Result<Credentials> currentCredentials();

// http::fetchSync with the current credentials' Authorization header.
Result<http::Response> fetch(const http::Endpoint& endpoint, http::ClientRequest request,
                             std::chrono::milliseconds timeout);

}  // namespace plateau::cli
