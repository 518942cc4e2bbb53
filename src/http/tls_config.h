#pragma once

// TLS settings as Mesos's libprocess takes them: LIBPROCESS_SSL_* environment variables (and
// the older SSL_* spelling), parsed once into a plain value. Pure: no files are opened here
// (tls.h builds OpenSSL contexts from the value and reports unreadable files).

#include <map>
#include <string>

#include "common/status.h"

namespace plateau::http {

// How a certificate's name is matched against the peer (LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME).
enum class HostnameValidation { kLegacy, kOpenssl };

// Our default LIBPROCESS_SSL_CIPHERS: forward-secret ECDHE suites with AEAD ciphers only (Mesos's
// default lists SHA-1 CBC suites that current clients refuse).
inline constexpr const char* kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// One process's TLS configuration. Defaults are Mesos's (docs/ssl.md) except `ciphers`.
struct TlsConfig {
  bool enabled = false;
  bool support_downgrade = false;
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  std::string ca_dir;
  bool verify_server_cert = false;   // client side
  bool require_client_cert = false;  // server side
  int verify_depth = 4;
  bool verify_ipadd = false;
  HostnameValidation hostname_validation = HostnameValidation::kLegacy;
  std::string ciphers = kDefaultTlsCiphers;
  std::string ecdh_curve = "auto";
  bool enable_tls_v1_0 = false;
  bool enable_tls_v1_1 = false;
  bool enable_tls_v1_2 = true;
  bool enable_tls_v1_3 = false;
  // Where each setting given came from, for error messages: setting ("CERT_FILE") -> the flag or
  // variable that set it ("--ssl_cert_file", "LIBPROCESS_SSL_CERT_FILE", "SSL_CERT_FILE").
  std::map<std::string, std::string> sources;

  // The flag or variable that set `setting`; LIBPROCESS_SSL_<setting> when none did.
  std::string nameOf(const std::string& setting) const;
  // Whether a flag or variable set `setting`.
  bool given(const std::string& setting) const { return sources.contains(setting); }
};

// Variable name -> value, as the environment holds them.
using EnvironmentMap = std::map<std::string, std::string>;

// Reads the settings from `env`. For each setting X, a daemon's flag (key "--ssl_x", see
// tls_flags.h) wins over LIBPROCESS_SSL_X, which wins over SSL_X; the legacy
// VERIFY_CERT and REQUIRE_CERT stand for VERIFY_SERVER_CERT and REQUIRE_CLIENT_CERT, and
// REQUIRE_CERT also turns VERIFY_SERVER_CERT on, as in Mesos. kInvalidArgument naming the variable
// (or flag) for a value that does not parse, and when TLS is enabled with no protocol version
// enabled, or with SSLv3 asked for. A client needs no certificate of its own: serving without
// one, and a certificate without its key, are refused where a context is made
// (TlsContext::create).
Result<TlsConfig> parseTlsConfig(const EnvironmentMap& env);

// The LIBPROCESS_SSL_* and SSL_* variables of this process's environment (environment.cc: the
// one place outside the daemons' flags that reads the environment, as libprocess does, so that
// any program linking the client libraries follows the same variables), plus the --ssl_* flags
// main() handed to useTlsFlags() (tls_flags.h).
EnvironmentMap tlsEnvironment();

}  // namespace plateau::http
