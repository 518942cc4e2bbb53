#include "http/tls_flags.h"

#include <gtest/gtest.h>

#include "http/tls.h"

namespace plateau::http {
namespace {

// The settings a daemon started with `args` takes: its flags over `env`.
struct Parsed {
  Status status;
  EnvironmentMap settings;
};

Parsed parseWith(std::vector<const char*> args, EnvironmentMap env) {
  flags::FlagSet set("plateau-test", "test");
  TlsFlags tls;
  tls.registerWith(set);
  args.insert(args.begin(), "plateau-test");
  Status s = set.parse(static_cast<int>(args.size()), args.data());
  for (auto& [name, value] : tls.given(set)) {
    env[name] = value;
  }
  return {s, env};
}

TEST(TlsFlagsTest, FlagsWinOverTheEnvironmentWhichKeepsWorking) {
  auto parsed = parseWith({"--ssl_enabled", "--ssl_cert_file=/flag/cert.pem",
                           "--ssl_verify_depth=7", "--ssl_require_client_cert=false"},
                          {{"LIBPROCESS_SSL_ENABLED", "false"},
                           {"LIBPROCESS_SSL_CERT_FILE", "/env/cert.pem"},
                           {"SSL_KEY_FILE", "/env/key.pem"},
                           {"LIBPROCESS_SSL_VERIFY_DEPTH", "3"},
                           {"LIBPROCESS_SSL_REQUIRE_CLIENT_CERT", "true"},
                           {"LIBPROCESS_SSL_CA_FILE", "/env/ca.pem"}});
  ASSERT_TRUE(parsed.status.isOk()) << parsed.status.message();
  auto c = parseTlsConfig(parsed.settings);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->cert_file, "/flag/cert.pem");
  EXPECT_EQ(c->key_file, "/env/key.pem");  // no flag: the (old-style) variable
  EXPECT_EQ(c->ca_file, "/env/ca.pem");
  EXPECT_EQ(c->verify_depth, 7);
  EXPECT_FALSE(c->require_client_cert);
}

TEST(TlsFlagsTest, FlagsNotGivenLeaveTheEnvironmentAlone) {
  auto parsed = parseWith({}, {{"LIBPROCESS_SSL_ENABLED", "true"},
                               {"LIBPROCESS_SSL_CERT_FILE", "/env/cert.pem"},
                               {"LIBPROCESS_SSL_KEY_FILE", "/env/key.pem"}});
  ASSERT_TRUE(parsed.status.isOk());
  EXPECT_EQ(parsed.settings.size(), 3u);
  auto c = parseTlsConfig(parsed.settings);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->enabled);
  EXPECT_TRUE(c->enable_tls_v1_2);
  EXPECT_FALSE(c->enable_tls_v1_3);
}

TEST(TlsFlagsTest, ABadValueNamesTheFlag) {
  auto depth = parseWith({"--ssl_verify_depth=deep"}, {{"LIBPROCESS_SSL_VERIFY_DEPTH", "3"}});
  auto c = parseTlsConfig(depth.settings);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("--ssl_verify_depth='deep'"), std::string::npos)
      << c.error().message();

  // Serving without a certificate is refused where the server's context is made, naming the
  // flag that turned TLS on.
  auto half = parseWith({"--ssl_enabled"}, {});
  auto config = parseTlsConfig(half.settings);
  ASSERT_TRUE(config.has_value()) << config.error().message();
  auto server = TlsContext::create(*config, TlsContext::Role::kServer);
  ASSERT_FALSE(server.has_value());
  EXPECT_NE(server.error().message().find("--ssl_enabled=true needs a certificate and key"),
            std::string::npos)
      << server.error().message();
}

TEST(TlsFlagsTest, ChildrenGetTheFlagsAsVariables) {
  useTlsFlags({{"--ssl_enabled", "true"}, {"--ssl_ca_file", "/flag/ca.pem"}});
  auto env = tlsFlagsAsEnvironment();
  useTlsFlags({});
  EXPECT_EQ(env, (std::vector<std::string>{"LIBPROCESS_SSL_ENABLED=true",
                                           "LIBPROCESS_SSL_CA_FILE=/flag/ca.pem"}));
  EXPECT_TRUE(tlsFlagsAsEnvironment().empty());
}

}  // namespace
}  // namespace plateau::http
