#include "cli/tls_options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "http/tls.h"
#include "http/tls_flags.h"

namespace plateau::cli {
namespace {

struct TlsOption {
  const char* name;  // the daemons' flag name, without "--"
  bool is_bool;
  const char* help;
};

// Only client settings: the server ones (--ssl_require_client_cert, --ssl_support_downgrade)
// mean nothing to a command that never serves.
constexpr TlsOption kOptions[] = {
    {"ssl_enabled", true,
     "Connect to host:port addresses with TLS (LIBPROCESS_SSL_ENABLED); a client certificate "
     "(--ssl_cert_file, --ssl_key_file) only where the server requires one"},
    {"ssl_ca_file", false,
     "PEM file of the authorities the master's certificate is checked "
     "against (LIBPROCESS_SSL_CA_FILE)"},
    {"ssl_ca_dir", false, "Directory of such authorities (LIBPROCESS_SSL_CA_DIR)"},
    {"ssl_verify_server_cert", true,
     "Check the server's certificate, chain and name (LIBPROCESS_SSL_VERIFY_SERVER_CERT)"},
    {"ssl_verify_ipadd", true,
     "Accept a certificate naming the IP address connected to "
     "(LIBPROCESS_SSL_VERIFY_IPADD)"},
    {"ssl_hostname_validation_scheme", false,
     "'legacy' or 'openssl' (LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME)"},
    {"ssl_verify_depth", false, "Longest certificate chain accepted (LIBPROCESS_SSL_VERIFY_DEPTH)"},
    {"ssl_cert_file", false,
     "PEM certificate to present (a server requiring client certificates checks it; "
     "LIBPROCESS_SSL_CERT_FILE)"},
    {"ssl_key_file", false, "PEM private key of --ssl_cert_file (LIBPROCESS_SSL_KEY_FILE)"},
    {"ssl_ciphers", false, "OpenSSL cipher list for TLS 1.2 and older (LIBPROCESS_SSL_CIPHERS)"},
    {"ssl_ecdh_curve", false, "ECDHE curves, ':'-separated, or 'auto' (LIBPROCESS_SSL_ECDH_CURVE)"},
    {"ssl_enable_tls_v1_0", true, "Allow TLS 1.0 (LIBPROCESS_SSL_ENABLE_TLS_V1_0)"},
    {"ssl_enable_tls_v1_1", true, "Allow TLS 1.1 (LIBPROCESS_SSL_ENABLE_TLS_V1_1)"},
    {"ssl_enable_tls_v1_2", true, "Allow TLS 1.2 (LIBPROCESS_SSL_ENABLE_TLS_V1_2)"},
    {"ssl_enable_tls_v1_3", true, "Allow TLS 1.3 (LIBPROCESS_SSL_ENABLE_TLS_V1_3)"},
};

// The parsed values, read once parsing completes (the CLI::App refers to them until then).
struct TlsValues {
  std::map<std::string, bool> bools;
  std::map<std::string, std::string> strings;
  std::vector<std::pair<std::string, CLI::Option*>> options;
};

TlsValues& values() {
  static TlsValues v;
  return v;
}

}  // namespace

void addTlsOptions(CLI::App& app) {
  const char* group = "TLS (each option wins over its LIBPROCESS_SSL_* variable)";
  TlsValues& v = values();
  for (const TlsOption& o : kOptions) {
    std::string flag = std::string("--") + o.name;
    CLI::Option* option = o.is_bool
                              ? app.add_flag(flag + ",!--no-" + o.name, v.bools[o.name], o.help)
                              : app.add_option(flag, v.strings[o.name], o.help);
    v.options.emplace_back(o.name, option->group(group));
  }
  app.parse_complete_callback([] {
    http::EnvironmentMap given;
    for (const auto& [name, option] : values().options) {
      if (option->count() == 0) {
        continue;
      }
      auto b = values().bools.find(name);
      given["--" + name] =
          b != values().bools.end() ? (b->second ? "true" : "false") : values().strings.at(name);
    }
    http::useTlsFlags(std::move(given));
    // Settled now, so that a setting that does not parse or a file that does not load stops the
    // command with its own message rather than as a connection failure.
    if (auto tls = http::processClientTls(); !tls) {
      fmt::print(stderr, "Error: {}\n", tls.error().message());
      std::exit(2);
    }
  });
}

namespace {
// How http::fetch's error begins its account of a failed handshake (describeHandshakeFailure).
constexpr std::string_view kHandshakeFailed = "TLS handshake failed: ";
}  // namespace

std::string connectionFailure(std::string_view what, const std::string& where,
                              std::string_view error, std::string_view hint) {
  if (size_t at = error.find(kHandshakeFailed); at != std::string_view::npos) {
    return fmt::format("TLS handshake with {} at {} failed: {}", what, where,
                       error.substr(at + kHandshakeFailed.size()));
  }
  return fmt::format("cannot reach {} at {}: {}{}{}", what, where, error, hint.empty() ? "" : "\n",
                     hint);
}

}  // namespace plateau::cli
