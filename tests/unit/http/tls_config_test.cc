#include "http/tls_config.h"

#include "http/tls.h"

#include <gtest/gtest.h>

namespace plateau::http {
namespace {

EnvironmentMap enabled(EnvironmentMap extra = {}) {
  EnvironmentMap env{{"LIBPROCESS_SSL_ENABLED", "true"},
                     {"LIBPROCESS_SSL_CERT_FILE", "/etc/cert.pem"},
                     {"LIBPROCESS_SSL_KEY_FILE", "/etc/key.pem"}};
  for (auto& [k, v] : extra) {
    env[k] = v;
  }
  return env;
}

TEST(TlsConfigTest, DefaultsAreMesossWithModernCiphers) {
  auto c = parseTlsConfig({});
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->enabled);
  EXPECT_FALSE(c->support_downgrade);
  EXPECT_FALSE(c->verify_server_cert);
  EXPECT_FALSE(c->require_client_cert);
  EXPECT_FALSE(c->verify_ipadd);
  EXPECT_EQ(c->verify_depth, 4);
  EXPECT_EQ(c->hostname_validation, HostnameValidation::kLegacy);
  EXPECT_FALSE(c->enable_tls_v1_0);
  EXPECT_FALSE(c->enable_tls_v1_1);
  EXPECT_TRUE(c->enable_tls_v1_2);
  EXPECT_FALSE(c->enable_tls_v1_3);
  EXPECT_EQ(c->ecdh_curve, "auto");
  EXPECT_EQ(c->ciphers.find("CBC"), std::string::npos);
  EXPECT_NE(c->ciphers.find("ECDHE-RSA-AES128-GCM-SHA256"), std::string::npos);
}

TEST(TlsConfigTest, ReadsEverySetting) {
  auto c = parseTlsConfig(enabled({{"LIBPROCESS_SSL_SUPPORT_DOWNGRADE", "1"},
                                   {"LIBPROCESS_SSL_CA_FILE", "/etc/ca.pem"},
                                   {"LIBPROCESS_SSL_CA_DIR", "/etc/cas"},
                                   {"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "TRUE"},
                                   {"LIBPROCESS_SSL_REQUIRE_CLIENT_CERT", "true"},
                                   {"LIBPROCESS_SSL_VERIFY_DEPTH", "7"},
                                   {"LIBPROCESS_SSL_VERIFY_IPADD", "true"},
                                   {"LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME", "openssl"},
                                   {"LIBPROCESS_SSL_ENABLE_TLS_V1_2", "false"},
                                   {"LIBPROCESS_SSL_ENABLE_TLS_V1_3", "true"},
                                   {"LIBPROCESS_SSL_CIPHERS", "ECDHE-RSA-AES256-GCM-SHA384"},
                                   {"LIBPROCESS_SSL_ECDH_CURVE", "prime256v1"}}));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_TRUE(c->enabled);
  EXPECT_TRUE(c->support_downgrade);
  EXPECT_EQ(c->cert_file, "/etc/cert.pem");
  EXPECT_EQ(c->key_file, "/etc/key.pem");
  EXPECT_EQ(c->ca_file, "/etc/ca.pem");
  EXPECT_EQ(c->ca_dir, "/etc/cas");
  EXPECT_TRUE(c->verify_server_cert);
  EXPECT_TRUE(c->require_client_cert);
  EXPECT_EQ(c->verify_depth, 7);
  EXPECT_TRUE(c->verify_ipadd);
  EXPECT_EQ(c->hostname_validation, HostnameValidation::kOpenssl);
  EXPECT_FALSE(c->enable_tls_v1_2);
  EXPECT_TRUE(c->enable_tls_v1_3);
  EXPECT_EQ(c->ciphers, "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(c->ecdh_curve, "prime256v1");
}

TEST(TlsConfigTest, AcceptsTheOldSslPrefixButPrefersLibprocess) {
  auto c = parseTlsConfig({{"SSL_ENABLED", "true"},
                           {"SSL_CERT_FILE", "/old/cert.pem"},
                           {"LIBPROCESS_SSL_CERT_FILE", "/new/cert.pem"},
                           {"SSL_KEY_FILE", "/old/key.pem"}});
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->cert_file, "/new/cert.pem");
  EXPECT_EQ(c->key_file, "/old/key.pem");
}

TEST(TlsConfigTest, LegacyAliasesMapToTheNewSettings) {
  auto verify = parseTlsConfig(enabled({{"LIBPROCESS_SSL_VERIFY_CERT", "true"}}));
  ASSERT_TRUE(verify.has_value());
  EXPECT_TRUE(verify->verify_server_cert);
  EXPECT_FALSE(verify->require_client_cert);

  // REQUIRE_CERT stands for REQUIRE_CLIENT_CERT and, as in Mesos, turns verification on too.
  auto require = parseTlsConfig(enabled({{"LIBPROCESS_SSL_REQUIRE_CERT", "1"}}));
  ASSERT_TRUE(require.has_value());
  EXPECT_TRUE(require->require_client_cert);
  EXPECT_TRUE(require->verify_server_cert);

  // The new name wins over its alias.
  auto both = parseTlsConfig(enabled(
      {{"LIBPROCESS_SSL_VERIFY_CERT", "true"}, {"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "false"}}));
  ASSERT_TRUE(both.has_value());
  EXPECT_FALSE(both->verify_server_cert);
}

TEST(TlsConfigTest, BadValuesNameTheVariable) {
  struct Case {
    EnvironmentMap env;
    std::string variable;
  };
  std::vector<Case> cases = {
      {{{"LIBPROCESS_SSL_ENABLED", "yes please"}}, "LIBPROCESS_SSL_ENABLED"},
      {{{"SSL_SUPPORT_DOWNGRADE", "maybe"}}, "SSL_SUPPORT_DOWNGRADE"},
      {enabled({{"LIBPROCESS_SSL_VERIFY_DEPTH", "-1"}}), "LIBPROCESS_SSL_VERIFY_DEPTH"},
      {enabled({{"LIBPROCESS_SSL_VERIFY_DEPTH", "4x"}}), "LIBPROCESS_SSL_VERIFY_DEPTH"},
      {enabled({{"LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME", "dns"}}),
       "LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME"},
      {enabled({{"LIBPROCESS_SSL_ENABLE_TLS_V1_3", ""}}), "LIBPROCESS_SSL_ENABLE_TLS_V1_3"},
      {enabled({{"LIBPROCESS_SSL_ENABLE_SSL_V3", "true"}}), "LIBPROCESS_SSL_ENABLE_SSL_V3"},
      {enabled({{"LIBPROCESS_SSL_ENABLE_TLS_V1_2", "false"}}), "LIBPROCESS_SSL_ENABLE_TLS_V1_0"},
  };
  for (const auto& c : cases) {
    auto r = parseTlsConfig(c.env);
    ASSERT_FALSE(r.has_value()) << c.variable;
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find(c.variable), std::string::npos) << r.error().message();
  }
}

TEST(TlsConfigTest, SettingsOtherThanEnabledAreCheckedEvenWhenOff) {
  auto c = parseTlsConfig({{"LIBPROCESS_SSL_VERIFY_IPADD", "sure"}});
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("LIBPROCESS_SSL_VERIFY_IPADD"), std::string::npos);
  auto off = parseTlsConfig({{"LIBPROCESS_SSL_ENABLED", "false"}});
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->enabled);
}

TEST(TlsConfigTest, AClientNeedsNoCertificateButAServerDoes) {
  auto c = parseTlsConfig({{"LIBPROCESS_SSL_ENABLED", "true"}});
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_TRUE(TlsContext::create(*c, TlsContext::Role::kClient).has_value());
  auto server = TlsContext::create(*c, TlsContext::Role::kServer);
  ASSERT_FALSE(server.has_value());
  EXPECT_NE(server.error().message().find("LIBPROCESS_SSL_CERT_FILE"), std::string::npos)
      << server.error().message();
  // OpenSSL's own SSL_CERT_FILE (a CA bundle) alone in the environment does not stop a client.
  auto bundle = parseTlsConfig(
      {{"LIBPROCESS_SSL_ENABLED", "true"}, {"SSL_CERT_FILE", "/etc/ssl/certs/bundle.crt"}});
  ASSERT_TRUE(bundle.has_value());
  EXPECT_TRUE(TlsContext::create(*bundle, TlsContext::Role::kClient).has_value());
  // Set by a flag, the flag is named.
  auto flagged = parseTlsConfig({{"--ssl_enabled", "true"}});
  ASSERT_TRUE(flagged.has_value());
  auto refused = TlsContext::create(*flagged, TlsContext::Role::kServer);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("--ssl_enabled=true needs a certificate"),
            std::string::npos)
      << refused.error().message();
}

TEST(TlsConfigTest, FileErrorsNameWhatTheUserSet) {
  struct Case {
    EnvironmentMap env;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{{"--ssl_enabled", "true"},
        {"--ssl_cert_file", "/nonexistent/cert.pem"},
        {"LIBPROCESS_SSL_KEY_FILE", "/nonexistent/key.pem"}},
       "--ssl_cert_file='/nonexistent/cert.pem' cannot be loaded"},
      {{{"LIBPROCESS_SSL_ENABLED", "true"},
        {"SSL_CERT_FILE", "/nonexistent/cert.pem"},
        {"SSL_KEY_FILE", "/nonexistent/key.pem"}},
       "SSL_CERT_FILE='/nonexistent/cert.pem' cannot be loaded"},
      {{{"--ssl_enabled", "true"},
        {"--ssl_verify_server_cert", "true"},
        {"--ssl_ca_file", "/nonexistent/ca.pem"}},
       "--ssl_ca_file='/nonexistent/ca.pem' cannot be loaded"},
      {{{"--ssl_enabled", "true"}, {"--ssl_cert_file", "/nonexistent/cert.pem"}},
       "--ssl_cert_file='/nonexistent/cert.pem' is set but LIBPROCESS_SSL_KEY_FILE is not"},
      {{{"--ssl_enabled", "true"}, {"--ssl_ciphers", "NOT-A-CIPHER"}},
       "--ssl_ciphers='NOT-A-CIPHER' names no usable cipher"},
  };
  for (const auto& c : cases) {
    auto config = parseTlsConfig(c.env);
    ASSERT_TRUE(config.has_value()) << config.error().message();
    auto tls = TlsContext::create(*config, TlsContext::Role::kClient);
    ASSERT_FALSE(tls.has_value()) << c.expected;
    EXPECT_NE(tls.error().message().find(c.expected), std::string::npos) << tls.error().message();
  }
}

TEST(TlsConfigTest, HttpsWithoutTlsEnabledFollowsTheOtherSettings) {
  // The CA file is read (and must load) once verification is asked for.
  auto missing = httpsClientTls({{"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "true"},
                                 {"LIBPROCESS_SSL_CA_FILE", "/nonexistent/ca.pem"}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("LIBPROCESS_SSL_CA_FILE='/nonexistent/ca.pem'"),
            std::string::npos)
      << missing.error().message();
  auto verifying = httpsClientTls(
      {{"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "true"}, {"LIBPROCESS_SSL_VERIFY_IPADD", "true"}});
  ASSERT_TRUE(verifying.has_value()) << verifying.error().message();
  EXPECT_TRUE((*verifying)->config().verify_server_cert);
  EXPECT_TRUE((*verifying)->config().verify_ipadd);
  EXPECT_TRUE((*verifying)->config().enable_tls_v1_3);
  // Without settings: Mesos's default, no verification.
  auto plain = httpsClientTls({});
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE((*plain)->config().verify_server_cert);
  auto only_12 = httpsClientTls({{"LIBPROCESS_SSL_ENABLE_TLS_V1_3", "false"}});
  ASSERT_TRUE(only_12.has_value());
  EXPECT_FALSE((*only_12)->config().enable_tls_v1_3);
}

}  // namespace
}  // namespace plateau::http
