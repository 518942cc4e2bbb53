#pragma once

// One blocking HTTP/1.1 GET over plain TCP or TLS (Boost.Beast, OpenSSL), for the registry
// client on a pull's worker thread (never the agent's loop). A connection per request
// ("Connection: close"); redirects are returned, not followed. TLS verifies the peer against
// the system's trust store (OpenSSL's default paths: SSL_CERT_FILE / SSL_CERT_DIR honoured)
// and the host name. Every step is bounded by `timeout`.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/images/registry_protocol.h"
#include "common/status.h"

namespace plateau::agent::images {

struct HttpAnswer {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // empty when streamed to a file
  uint64_t body_bytes = 0;

  std::string header(const std::string& name) const;
};

struct HttpGet {
  RegistryUrl url;
  std::vector<std::pair<std::string, std::string>> headers;
  // Where the body goes when the answer is 200 (written afresh) or 206 (appended: the rest of
  // what a Range header asked for); "" keeps it in memory (up to 16 MiB).
  std::string body_file;
  std::chrono::seconds timeout{60};
  // Called after each read of a body going to `body_file`: the bytes the file holds so far and
  // the size it will have (0 when the answer gives no Content-Length).
  std::function<void(uint64_t received, uint64_t total)> on_body;
};

// Unavailable naming the URL when the connection, TLS or the exchange fails.
Result<HttpAnswer> httpGet(const HttpGet& request);

}  // namespace plateau::agent::images
