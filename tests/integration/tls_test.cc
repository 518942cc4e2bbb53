// TLS end to end with throw-away certificates: a master and agent configured by
// LIBPROCESS_SSL_* run a task (the executor inherits the agent's TLS environment); a plain client
// against a TLS port gets a clear refusal; downgrade serves both; mutual TLS refuses a stranger's
// certificate; a half-valid configuration stops the daemon at start.

#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "tls_certs.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-pki.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    pki_ = TestPki::create(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  http::Response get(http::Endpoint endpoint, const std::string& path = "/health") {
    auto r = http::fetchSync(endpoint, {.method = "GET", .path = path}, 5s);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : http::Response{.status = 0};
  }

  std::string dir_;
  TestPki pki_;
};

TEST_F(TlsTest, MutualTlsClusterRunsATask) {
  ScopedEnv env(pki_.daemonEnv({{"LIBPROCESS_SSL_REQUIRE_CLIENT_CERT", "true"}}));
  Cluster cluster({}, "", TestPki::client(pki_.ca, pki_.client_cert, pki_.client_key));
  cluster.addAgent("cpus:1;mem:256");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("tls");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers.has_value());
  s.launch(offers->offers().offers(0), "t1", "echo over-tls", "cpus:0.1;mem:16");
  std::optional<v1::TaskStatus> update;
  for (int i = 0; i < 5; i++) {
    update = s.nextUpdate();
    if (!update || update->state() == v1::TASK_FINISHED || update->state() == v1::TASK_FAILED) {
      break;
    }
  }
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->state(), v1::TASK_FINISHED) << update->message();
  // The executor reached the agent over TLS (it inherited the agent's LIBPROCESS_SSL_*).
  EXPECT_EQ(cluster.agent(0).log().find("tls_handshake_failed"), std::string::npos)
      << cluster.agent(0).log();
}

TEST_F(TlsTest, PlainClientIsRefusedWithAClearError) {
  ScopedEnv env(pki_.daemonEnv());
  Cluster cluster({}, "", TestPki::client(pki_.ca));
  http::Endpoint plain{"127.0.0.1", cluster.master().port, http::Transport::kPlain};
  for (int i = 0; i < 3; i++) {
    http::Response r = get(plain);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("HTTPS only"), std::string::npos) << r.body;
  }
  // Logged once (throttled), and the master still serves TLS.
  std::string log = cluster.masterProcess().log();
  size_t first = log.find("http_plain_request_on_tls_port");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("http_plain_request_on_tls_port", first + 1), std::string::npos) << log;
  EXPECT_EQ(get(cluster.master()).status, 200);
  EXPECT_TRUE(cluster.masterProcess().running());
}

TEST_F(TlsTest, DowngradeServesPlainAndTlsOnOnePort) {
  ScopedEnv env(pki_.daemonEnv({{"LIBPROCESS_SSL_SUPPORT_DOWNGRADE", "true"}}));
  Cluster cluster({}, "", TestPki::client(pki_.ca));
  http::Endpoint plain{"127.0.0.1", cluster.master().port, http::Transport::kPlain};
  EXPECT_EQ(get(plain).status, 200);
  EXPECT_EQ(get(cluster.master()).status, 200);
  // And an agent (plain or TLS toward the master, both accepted) registers.
  cluster.addAgent("cpus:1;mem:64");
  EXPECT_EQ(cluster.registeredAgents(), 1u);
}

TEST_F(TlsTest, RequireClientCertRefusesAStrangersCertificate) {
  ScopedEnv env(pki_.daemonEnv({{"LIBPROCESS_SSL_REQUIRE_CLIENT_CERT", "true"}}));
  Cluster cluster({}, "", TestPki::client(pki_.ca, pki_.client_cert, pki_.client_key));
  EXPECT_EQ(get(cluster.master()).status, 200);

  http::Endpoint stranger = cluster.master();
  stranger.tls = TestPki::client(pki_.ca, pki_.stranger_cert, pki_.stranger_key);
  auto refused = http::fetchSync(stranger, {.method = "GET", .path = "/health"}, 5s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("TLS"), std::string::npos) << refused.error().message();

  http::Endpoint anonymous = cluster.master();
  anonymous.tls = TestPki::client(pki_.ca);
  EXPECT_FALSE(http::fetchSync(anonymous, {.method = "GET", .path = "/health"}, 5s).has_value());
  EXPECT_NE(cluster.masterProcess().log().find("http_tls_handshake_failed"), std::string::npos);
  EXPECT_TRUE(cluster.masterProcess().running());
}

TEST_F(TlsTest, ClientRefusesAServerFromAnotherCa) {
  ScopedEnv env(pki_.daemonEnv());
  Cluster cluster({}, "", TestPki::client(pki_.ca));
  http::Endpoint doubting = cluster.master();
  doubting.tls = TestPki::client(pki_.stranger_ca);
  auto r = http::fetchSync(doubting, {.method = "GET", .path = "/health"}, 5s);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("certificate verify failed"), std::string::npos)
      << r.error().message();
}

TEST_F(TlsTest, HalfAConfigurationStopsTheMasterAtStart) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string expected;
  };
  std::vector<Case> cases = {
      {pki_.daemonEnv({{"LIBPROCESS_SSL_KEY_FILE", pki_.stranger_key}}), "LIBPROCESS_SSL_KEY_FILE"},
      {pki_.daemonEnv({{"LIBPROCESS_SSL_CERT_FILE", dir_ + "/missing.pem"}}),
       "LIBPROCESS_SSL_CERT_FILE"},
      {{{"LIBPROCESS_SSL_ENABLED", "true"}}, "LIBPROCESS_SSL_CERT_FILE"},
      {pki_.daemonEnv({{"LIBPROCESS_SSL_CIPHERS", "NOT-A-CIPHER"}}), "LIBPROCESS_SSL_CIPHERS"},
      {pki_.daemonEnv({{"LIBPROCESS_SSL_VERIFY_IPADD", "perhaps"}}), "LIBPROCESS_SSL_VERIFY_IPADD"},
  };
  for (size_t i = 0; i < cases.size(); i++) {
    ScopedEnv env(cases[i].env);
    Process master("master",
                   {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--ip=127.0.0.1", "--port=0",
                    fmt::format("--work_dir={}/m{}", dir_, i)},
                   fmt::format("{}/master{}.log", dir_, i));
    int status = master.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << master.log();
    EXPECT_NE(master.log().find(cases[i].expected), std::string::npos) << master.log();
  }
}

}  // namespace
}  // namespace plateau::testing
