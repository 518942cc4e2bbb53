#pragma once

// OpenSSL contexts built from a TlsConfig (tls_config.h): one for serving, one for connecting.
// Building one reads the certificate, key and CA files; every problem (a missing file, a key
// that does not match its certificate, a cipher list OpenSSL rejects) is a kInvalidArgument that
// names the variable, so that a daemon refuses to start with half a TLS configuration.

#include <memory>

#include "common/status.h"
#include "http/tls_config.h"

namespace plateau::http {

// An immutable OpenSSL context plus the settings it was made from. Shared by every connection
// that uses it; safe to use from any thread once built.
class TlsContext {
 public:
  enum class Role { kServer, kClient };

  static Result<std::shared_ptr<const TlsContext>> create(const TlsConfig& config, Role role);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const TlsConfig& config() const { return config_; }
  Role role() const { return role_; }
  // The boost::asio::ssl::context (tls_native.h), for src/http only.
  void* native() const { return native_.get(); }

 private:
  TlsContext(TlsConfig config, Role role);

  TlsConfig config_;
  Role role_;
  std::shared_ptr<void> native_;
};

// The client context of this process, built once from its environment (tlsEnvironment()) at the
// first call: nullptr while LIBPROCESS_SSL_ENABLED is off, the configuration's error otherwise.
Result<std::shared_ptr<const TlsContext>> processClientTls();

// A client context for https:// addresses while LIBPROCESS_SSL_ENABLED is off, from the rest of
// this process's settings (tlsEnvironment()): its CA file or directory, VERIFY_SERVER_CERT (off
// by default, as in Mesos), VERIFY_IPADD, its certificate and key when both are set, ciphers and
// versions (TLS 1.3 on unless ENABLE_TLS_V1_3 says otherwise). Built once; the settings' error
// (naming the flag or variable) otherwise.
Result<std::shared_ptr<const TlsContext>> defaultHttpsClientTls();
// The same from `env` (for tests).
Result<std::shared_ptr<const TlsContext>> httpsClientTls(const EnvironmentMap& env);

}  // namespace plateau::http
