#include "http/tls_flags.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace plateau::http {

namespace {

struct FlagSpec {
  const char* setting;  // the LIBPROCESS_SSL_ suffix
  bool is_bool;
  const char* help;
};

constexpr FlagSpec kFlags[] = {
    {"ENABLED", true, "Serve and connect with TLS (needs --ssl_cert_file and --ssl_key_file)"},
    {"SUPPORT_DOWNGRADE", true, "With TLS, also accept plain HTTP on the same port"},
    {"CERT_FILE", false, "PEM certificate (chain) presented as server and as client"},
    {"KEY_FILE", false, "PEM private key of --ssl_cert_file"},
    {"CA_FILE", false, "PEM file of the authorities peers' certificates are checked against"},
    {"CA_DIR", false, "Directory of authorities (OpenSSL hashed names) to check peers against"},
    {"VERIFY_SERVER_CERT", true, "Clients verify the server's certificate (chain and name)"},
    {"REQUIRE_CLIENT_CERT", true, "Servers require a trusted client certificate (mutual TLS)"},
    {"VERIFY_DEPTH", false, "Longest certificate chain accepted (default 4)"},
    {"VERIFY_IPADD", true, "Accept an IP address SAN when connecting by IP address"},
    {"HOSTNAME_VALIDATION_SCHEME", false, "'legacy' (default) or 'openssl'"},
    {"CIPHERS", false, "OpenSSL cipher list for TLS 1.2 and older"},
    {"ECDH_CURVE", false, "ECDHE curves, ':'-separated, or 'auto'"},
    {"ENABLE_TLS_V1_0", true, "Allow TLS 1.0"},
    {"ENABLE_TLS_V1_1", true, "Allow TLS 1.1"},
    {"ENABLE_TLS_V1_2", true, "Allow TLS 1.2 (default on)"},
    {"ENABLE_TLS_V1_3", true, "Allow TLS 1.3"},
};

std::string flagName(const char* setting) {
  std::string name = std::string("ssl_") + setting;
  std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

// The flags main() handed over (useTlsFlags): set once at startup, before any thread reads them.
EnvironmentMap& flagSettings() {
  static EnvironmentMap settings;
  return settings;
}

}  // namespace

void TlsFlags::registerWith(flags::FlagSet& set) {
  for (const FlagSpec& spec : kFlags) {
    std::string name = flagName(spec.setting);
    std::string help =
        fmt::format("{} (LIBPROCESS_SSL_{}; this flag wins)", spec.help, spec.setting);
    if (spec.is_bool) {
      set.add(name, &bools_[name], help);
    } else {
      set.add(name, &strings_[name], help);
    }
  }
}

EnvironmentMap TlsFlags::given(const flags::FlagSet& set) const {
  EnvironmentMap out;
  for (const auto& [name, value] : bools_) {
    if (set.given(name)) {
      out["--" + name] = value ? "true" : "false";
    }
  }
  for (const auto& [name, value] : strings_) {
    if (set.given(name)) {
      out["--" + name] = value;
    }
  }
  return out;
}

void useTlsFlags(EnvironmentMap settings) { flagSettings() = std::move(settings); }

EnvironmentMap tlsFlagSettings() { return flagSettings(); }

std::vector<std::string> tlsFlagsAsEnvironment() {
  std::vector<std::string> out;
  for (const FlagSpec& spec : kFlags) {
    auto it = flagSettings().find("--" + flagName(spec.setting));
    if (it != flagSettings().end()) {
      out.push_back(fmt::format("LIBPROCESS_SSL_{}={}", spec.setting, it->second));
    }
  }
  return out;
}

}  // namespace plateau::http
