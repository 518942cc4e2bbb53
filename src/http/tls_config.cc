#include "http/tls_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace plateau::http {

namespace {

// One setting's value and the variable it came from (for error messages).
struct Setting {
  std::string variable;
  std::string value;
};

std::string lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A daemon's --ssl_<x> flag first, then LIBPROCESS_SSL_<X>, then SSL_<X>.
std::optional<Setting> lookup(const EnvironmentMap& env, const std::string& name) {
  if (auto it = env.find("--ssl_" + lower(name)); it != env.end()) {
    return Setting{it->first, it->second};
  }
  for (const char* prefix : {"LIBPROCESS_SSL_", "SSL_"}) {
    std::string variable = prefix + name;
    if (auto it = env.find(variable); it != env.end()) {
      return Setting{variable, it->second};
    }
  }
  return std::nullopt;
}

Status parseBool(const EnvironmentMap& env, const std::string& name, bool* out, TlsConfig* c) {
  auto setting = lookup(env, name);
  if (!setting) {
    return Status::ok();
  }
  c->sources[name] = setting->variable;
  std::string v = lower(setting->value);
  if (v == "true" || v == "1") {
    *out = true;
  } else if (v == "false" || v == "0") {
    *out = false;
  } else {
    return {StatusCode::kInvalidArgument, fmt::format("{}='{}': expected true, false, 1 or 0",
                                                      setting->variable, setting->value)};
  }
  return Status::ok();
}

void parseString(const EnvironmentMap& env, const std::string& name, std::string* out,
                 TlsConfig* c) {
  if (auto setting = lookup(env, name)) {
    *out = setting->value;
    c->sources[name] = setting->variable;
  }
}

Status parseDepth(const EnvironmentMap& env, int* out, TlsConfig* c) {
  auto setting = lookup(env, "VERIFY_DEPTH");
  if (!setting) {
    return Status::ok();
  }
  c->sources["VERIFY_DEPTH"] = setting->variable;
  const std::string& v = setting->value;
  int depth = -1;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), depth);
  if (ec != std::errc() || ptr != v.data() + v.size() || depth < 0 || depth > 100) {
    return {StatusCode::kInvalidArgument,
            fmt::format("{}='{}': expected a whole number from 0 to 100", setting->variable, v)};
  }
  *out = depth;
  return Status::ok();
}

Status parseScheme(const EnvironmentMap& env, HostnameValidation* out, TlsConfig* c) {
  auto setting = lookup(env, "HOSTNAME_VALIDATION_SCHEME");
  if (!setting) {
    return Status::ok();
  }
  c->sources["HOSTNAME_VALIDATION_SCHEME"] = setting->variable;
  std::string v = lower(setting->value);
  if (v == "legacy") {
    *out = HostnameValidation::kLegacy;
  } else if (v == "openssl") {
    *out = HostnameValidation::kOpenssl;
  } else {
    return {StatusCode::kInvalidArgument, fmt::format("{}='{}': expected 'legacy' or 'openssl'",
                                                      setting->variable, setting->value)};
  }
  return Status::ok();
}

// The boolean settings, including the legacy aliases: a newer name wins over its alias.
Status parseBools(const EnvironmentMap& env, TlsConfig* c) {
  bool ssl_v3 = false;
  bool legacy_require = false;
  std::pair<const char*, bool*> bools[] = {
      {"ENABLED", &c->enabled},
      {"SUPPORT_DOWNGRADE", &c->support_downgrade},
      {"VERIFY_CERT", &c->verify_server_cert},
      {"VERIFY_SERVER_CERT", &c->verify_server_cert},
      {"REQUIRE_CERT", &legacy_require},
      {"VERIFY_IPADD", &c->verify_ipadd},
      {"ENABLE_SSL_V3", &ssl_v3},
      {"ENABLE_TLS_V1_0", &c->enable_tls_v1_0},
      {"ENABLE_TLS_V1_1", &c->enable_tls_v1_1},
      {"ENABLE_TLS_V1_2", &c->enable_tls_v1_2},
      {"ENABLE_TLS_V1_3", &c->enable_tls_v1_3},
  };
  for (auto [name, out] : bools) {
    if (Status s = parseBool(env, name, out, c); !s.isOk()) {
      return s;
    }
  }
  c->require_client_cert = legacy_require;
  if (Status s = parseBool(env, "REQUIRE_CLIENT_CERT", &c->require_client_cert, c); !s.isOk()) {
    return s;
  }
  if (legacy_require) {
    c->verify_server_cert = true;
  }
  if (ssl_v3) {
    return {
        StatusCode::kInvalidArgument,
        fmt::format("{}=true: SSLv3 is insecure and not supported", c->nameOf("ENABLE_SSL_V3"))};
  }
  return Status::ok();
}

Status validate(const TlsConfig& c) {
  if (!c.enabled) {
    return Status::ok();
  }
  if (!c.enable_tls_v1_0 && !c.enable_tls_v1_1 && !c.enable_tls_v1_2 && !c.enable_tls_v1_3) {
    return {StatusCode::kInvalidArgument,
            "LIBPROCESS_SSL_ENABLE_TLS_V1_0/1/2/3 are all false: no protocol version is left"};
  }
  if (c.ciphers.empty() && !c.enable_tls_v1_3) {
    return {StatusCode::kInvalidArgument, fmt::format("{} is empty", c.nameOf("CIPHERS"))};
  }
  return Status::ok();
}

}  // namespace

std::string TlsConfig::nameOf(const std::string& setting) const {
  auto it = sources.find(setting);
  return it != sources.end() ? it->second : "LIBPROCESS_SSL_" + setting;
}

Result<TlsConfig> parseTlsConfig(const EnvironmentMap& env) {
  TlsConfig c;
  if (Status s = parseBools(env, &c); !s.isOk()) {
    return std::unexpected(s);
  }
  parseString(env, "CERT_FILE", &c.cert_file, &c);
  parseString(env, "KEY_FILE", &c.key_file, &c);
  parseString(env, "CA_FILE", &c.ca_file, &c);
  parseString(env, "CA_DIR", &c.ca_dir, &c);
  parseString(env, "CIPHERS", &c.ciphers, &c);
  parseString(env, "ECDH_CURVE", &c.ecdh_curve, &c);
  if (Status s = parseDepth(env, &c.verify_depth, &c); !s.isOk()) {
    return std::unexpected(s);
  }
  if (Status s = parseScheme(env, &c.hostname_validation, &c); !s.isOk()) {
    return std::unexpected(s);
  }
  if (Status s = validate(c); !s.isOk()) {
    return std::unexpected(s);
  }
  return c;
}

}  // namespace plateau::http
