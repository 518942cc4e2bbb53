#pragma once

// Throw-away certificates for TLS tests, made with the openssl command line in a temporary
// directory: a CA, a certificate for 127.0.0.1 (and localhost) usable as server and client, a
// second client certificate from the same CA, and a stranger CA with a certificate of its own.

#include <map>
#include <memory>
#include <string>

#include "http/tls.h"

namespace plateau::testing {

struct TestPki {
  std::string dir;
  std::string ca;  // CA certificate (PEM)
  std::string node_cert, node_key;
  std::string client_cert, client_key;
  std::string stranger_ca;
  std::string stranger_cert, stranger_key;

  // Generates everything under `dir` (created). Fails the test (ADD_FAILURE) when openssl does.
  static TestPki create(const std::string& dir);

  // LIBPROCESS_SSL_* variables for a daemon presenting the node certificate, trusting the CA,
  // verifying servers by IP address; `extra` added or overriding.
  std::map<std::string, std::string> daemonEnv(std::map<std::string, std::string> extra = {}) const;

  // A client context for the test's own requests: trusts `ca_file` (verifying the server's
  // certificate and IP), presenting `cert`/`key` when given.
  static std::shared_ptr<const http::TlsContext> client(const std::string& ca_file,
                                                        const std::string& cert = "",
                                                        const std::string& key = "");
};

// Sets environment variables for the processes a test starts, and removes them when destroyed.
// The test process's own client context (http::processClientTls) is settled first, without
// them, so the test's later requests stay as they were.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::map<std::string, std::string> vars);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace plateau::testing
