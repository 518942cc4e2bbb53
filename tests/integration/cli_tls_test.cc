// The `plateau` command's --ssl_* options against a master and agent that serve only TLS
// (throw-away certificates, tls_certs.h). Each command runs with an environment of the test's
// choosing (`env -i`), so what reaches it is exactly the options and variables a case names:
// the options alone make a TLS client, an option wins over its LIBPROCESS_SSL_* variable,
// mutual TLS refuses a stranger's certificate, and a bad value is named by what set it. A
// client needs a certificate only for a server that asks for one; an https:// address follows
// the CA and verification settings without --ssl_enabled; a failed handshake says why.

#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli_run.h"
#include "harness.h"
#include "tls_certs.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class CliTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-cli-pki.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    pki_ = TestPki::create(dir_);
  }
  void TearDown() override {
    cluster_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A TLS-only master (the daemons' variables, plus `extra`) with one agent.
  void startCluster(std::map<std::string, std::string> extra = {}) {
    ScopedEnv env(pki_.daemonEnv(std::move(extra)));
    cluster_ =
        std::make_unique<Cluster>(std::vector<std::string>{}, "",
                                  TestPki::client(pki_.ca, pki_.client_cert, pki_.client_key));
    cluster_->addAgent("cpus:1;mem:128");
  }

  // `plateau agent list` with `options` and exactly the variables `env`.
  CliRun agentList(std::vector<std::string> options, std::vector<std::string> env = {}) {
    std::vector<std::string> args = {
        "agent", "list", "--master=127.0.0.1:" + std::to_string(cluster_->master().port)};
    args.insert(args.end(), options.begin(), options.end());
    env.push_back("PLATEAU_TEST=cli_tls");  // never empty: `env -i` even with no variable
    return runPlateau(*cluster_, args, env);
  }

  // The options that make a verifying TLS client trusting `ca`, presenting the client
  // certificate.
  std::vector<std::string> trusting(const std::string& ca) const {
    return {"--ssl_enabled",
            "--ssl_cert_file=" + pki_.client_cert,
            "--ssl_key_file=" + pki_.client_key,
            "--ssl_ca_file=" + ca,
            "--ssl_verify_server_cert",
            "--ssl_verify_ipadd"};
  }

  // The options of a verifying TLS client trusting the CA, presenting no certificate.
  std::vector<std::string> verifying() const {
    return {"--ssl_enabled", "--ssl_ca_file=" + pki_.ca, "--ssl_verify_server_cert",
            "--ssl_verify_ipadd"};
  }

  // The variables of a verifying TLS client presenting the client certificate and trusting
  // `ca`, with `prefix` (LIBPROCESS_SSL_ or SSL_).
  std::vector<std::string> variables(const std::string& prefix, const std::string& ca) const {
    return {prefix + "ENABLED=true",
            prefix + "CERT_FILE=" + pki_.client_cert,
            prefix + "KEY_FILE=" + pki_.client_key,
            prefix + "CA_FILE=" + ca,
            prefix + "VERIFY_SERVER_CERT=true",
            prefix + "VERIFY_IPADD=true"};
  }

  std::string dir_;
  TestPki pki_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(CliTlsTest, TheOptionsAloneMakeATlsClient) {
  startCluster();
  auto plain = agentList({});
  EXPECT_NE(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("HTTPS only"), std::string::npos) << plain.output;

  auto listed = agentList(trusting(pki_.ca));
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("127.0.0.1"), std::string::npos) << listed.output;

  // Before the subcommand too (they belong to `plateau` itself).
  std::vector<std::string> args = trusting(pki_.ca);
  args.insert(args.end(), {"task", "list", "--master=" + cluster_->master().toString()});
  auto before = runPlateau(*cluster_, args, {"PLATEAU_TEST=cli_tls"});
  EXPECT_EQ(before.exit_code, 0) << before.output;

  auto doubting = agentList(trusting(pki_.stranger_ca));
  EXPECT_NE(doubting.exit_code, 0) << doubting.output;
  EXPECT_NE(doubting.output.find("certificate verify failed"), std::string::npos)
      << doubting.output;
}

TEST_F(CliTlsTest, AnOptionWinsOverItsVariable) {
  startCluster();
  std::vector<std::string> env = variables("LIBPROCESS_SSL_", pki_.stranger_ca);
  auto from_env = agentList({}, env);
  EXPECT_NE(from_env.exit_code, 0) << from_env.output;
  EXPECT_NE(from_env.output.find("certificate verify failed"), std::string::npos)
      << from_env.output;

  auto overridden = agentList({"--ssl_ca_file=" + pki_.ca}, env);
  EXPECT_EQ(overridden.exit_code, 0) << overridden.output;
  EXPECT_NE(overridden.output.find("127.0.0.1"), std::string::npos) << overridden.output;

  // The old SSL_ spelling is overridden the same way, and a boolean can be turned off.
  auto legacy = agentList({"--ssl_ca_file=" + pki_.ca}, variables("SSL_", pki_.stranger_ca));
  EXPECT_EQ(legacy.exit_code, 0) << legacy.output;
  auto off = agentList({"--no-ssl_enabled", "--ssl_ca_file=" + pki_.ca}, env);
  EXPECT_NE(off.exit_code, 0) << off.output;
  EXPECT_NE(off.output.find("HTTPS only"), std::string::npos) << off.output;
  auto off_by_value = agentList({"--ssl_enabled=false"}, env);
  EXPECT_NE(off_by_value.output.find("HTTPS only"), std::string::npos) << off_by_value.output;
}

TEST_F(CliTlsTest, MutualTlsRefusesAStrangersCertificate) {
  startCluster({{"LIBPROCESS_SSL_REQUIRE_CLIENT_CERT", "true"}});
  auto presented = agentList(trusting(pki_.ca));
  EXPECT_EQ(presented.exit_code, 0) << presented.output;
  EXPECT_NE(presented.output.find("127.0.0.1"), std::string::npos) << presented.output;

  // The options win over the variables naming the client certificate: a stranger's is refused.
  auto stranger =
      agentList({"--ssl_cert_file=" + pki_.stranger_cert, "--ssl_key_file=" + pki_.stranger_key},
                variables("LIBPROCESS_SSL_", pki_.ca));
  EXPECT_NE(stranger.exit_code, 0) << stranger.output;
  EXPECT_NE(stranger.output.find("TLS handshake with the master at"), std::string::npos)
      << stranger.output;

  // Without a certificate the server refuses the client, and the message says it may need one.
  auto none = agentList(verifying());
  EXPECT_NE(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("the server refused this client"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("client certificate"), std::string::npos) << none.output;
}

TEST_F(CliTlsTest, AClientNeedsNoCertificateOfItsOwn) {
  startCluster();
  auto listed = agentList(verifying());
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("127.0.0.1"), std::string::npos) << listed.output;
  auto from_env =
      agentList({}, {"LIBPROCESS_SSL_ENABLED=true", "LIBPROCESS_SSL_CA_FILE=" + pki_.ca,
                     "LIBPROCESS_SSL_VERIFY_SERVER_CERT=true", "LIBPROCESS_SSL_VERIFY_IPADD=true"});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
  // A certificate without its key is still refused, before connecting.
  std::vector<std::string> half = verifying();
  half.push_back("--ssl_cert_file=" + pki_.client_cert);
  auto refused = agentList(half);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--ssl_cert_file='" + pki_.client_cert + "' is set but"),
            std::string::npos)
      << refused.output;
}

TEST_F(CliTlsTest, HttpsAddressFollowsTheVerificationSettings) {
  startCluster();
  std::vector<std::string> args = {"agent", "list",
                                   "--master=https://" + cluster_->master().toString()};
  auto run = [&](std::vector<std::string> options, std::vector<std::string> env) {
    std::vector<std::string> all = args;
    all.insert(all.end(), options.begin(), options.end());
    env.push_back("PLATEAU_TEST=cli_tls");
    return runPlateau(*cluster_, all, env);
  };
  std::vector<std::string> verify = {"LIBPROCESS_SSL_VERIFY_SERVER_CERT=true",
                                     "LIBPROCESS_SSL_VERIFY_IPADD=true"};
  auto stranger = verify;
  stranger.push_back("LIBPROCESS_SSL_CA_FILE=" + pki_.stranger_ca);
  auto doubting = run({}, stranger);
  EXPECT_NE(doubting.exit_code, 0) << doubting.output;
  EXPECT_NE(doubting.output.find("certificate verify failed"), std::string::npos)
      << doubting.output;
  auto trusted = verify;
  trusted.push_back("LIBPROCESS_SSL_CA_FILE=" + pki_.ca);
  auto listed = run({}, trusted);
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  // The options do the same; without verification (Mesos's default) any certificate goes.
  auto by_option =
      run({"--ssl_ca_file=" + pki_.ca, "--ssl_verify_server_cert", "--ssl_verify_ipadd"}, {});
  EXPECT_EQ(by_option.exit_code, 0) << by_option.output;
  auto unverified = run({}, {"LIBPROCESS_SSL_CA_FILE=" + pki_.stranger_ca});
  EXPECT_EQ(unverified.exit_code, 0) << unverified.output;
}

TEST_F(CliTlsTest, AFailedHandshakeSaysWhy) {
  startCluster();
  auto doubting = agentList(trusting(pki_.stranger_ca));
  EXPECT_NE(doubting.exit_code, 0) << doubting.output;
  EXPECT_NE(doubting.output.find(fmt::format("TLS handshake with the master at {} failed: "
                                             "certificate verify failed",
                                             cluster_->master().toString())),
            std::string::npos)
      << doubting.output;
  EXPECT_EQ(doubting.output.find("cannot reach"), std::string::npos) << doubting.output;

  // A master at 127.0.0.2 presenting a certificate for 127.0.0.1: the wrong name.
  {
    ScopedEnv env(pki_.daemonEnv());
    uint16_t port = freePort();
    Process other("master-127.0.0.2",
                  {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--ip=127.0.0.2",
                   fmt::format("--port={}", port), "--work_dir=" + dir_ + "/other-master"},
                  dir_ + "/other-master.log");
    ASSERT_TRUE(eventually([&] { return other.log().find("master_started") != std::string::npos; }))
        << other.log();
    std::vector<std::string> cli = trusting(pki_.ca);
    cli.insert(cli.begin(), {"agent", "list", fmt::format("--master=127.0.0.2:{}", port)});
    auto misnamed = runPlateau(*cluster_, cli, {"PLATEAU_TEST=cli_tls"});
    EXPECT_NE(misnamed.exit_code, 0) << misnamed.output;
    EXPECT_NE(misnamed.output.find("does not name '127.0.0.2'"), std::string::npos)
        << misnamed.output;
  }

  // A plain master: the client is told it speaks plain HTTP.
  Cluster plain(std::vector<std::string>{});
  std::vector<std::string> cli = trusting(pki_.ca);
  cli.insert(cli.begin(), {"agent", "list", "--master=" + plain.master().toString()});
  auto mismatched = runPlateau(plain, cli, {"PLATEAU_TEST=cli_tls"});
  EXPECT_NE(mismatched.exit_code, 0) << mismatched.output;
  EXPECT_NE(mismatched.output.find("TLS handshake with the master at"), std::string::npos)
      << mismatched.output;
  EXPECT_NE(mismatched.output.find("plain HTTP"), std::string::npos) << mismatched.output;
}

TEST_F(CliTlsTest, ABadValueIsNamed) {
  startCluster();
  // A file that does not load is named by what set it: the option, or the variable.
  std::string missing_cert = dir_ + "/missing-cert.pem";
  std::vector<std::string> unloadable = verifying();
  unloadable.insert(unloadable.end(),
                    {"--ssl_cert_file=" + missing_cert, "--ssl_key_file=" + pki_.client_key});
  auto by_option = agentList(unloadable);
  EXPECT_EQ(by_option.exit_code, 2) << by_option.output;
  EXPECT_NE(
      by_option.output.find(fmt::format("--ssl_cert_file='{}' cannot be loaded", missing_cert)),
      std::string::npos)
      << by_option.output;
  EXPECT_EQ(by_option.output.find("LIBPROCESS_SSL_CERT_FILE"), std::string::npos)
      << by_option.output;
  auto by_variable = agentList(verifying(), {"LIBPROCESS_SSL_CERT_FILE=" + missing_cert,
                                             "LIBPROCESS_SSL_KEY_FILE=" + pki_.client_key});
  EXPECT_NE(by_variable.output.find(
                fmt::format("LIBPROCESS_SSL_CERT_FILE='{}' cannot be loaded", missing_cert)),
            std::string::npos)
      << by_variable.output;

  std::vector<std::string> options = trusting(pki_.ca);
  options.push_back("--ssl_verify_depth=deep");
  auto depth = agentList(options);
  EXPECT_EQ(depth.exit_code, 2) << depth.output;  // stopped before connecting
  EXPECT_NE(depth.output.find("--ssl_verify_depth='deep'"), std::string::npos) << depth.output;

  std::string missing = dir_ + "/missing-ca.pem";
  auto no_ca = agentList(trusting(missing));
  EXPECT_NE(no_ca.exit_code, 0) << no_ca.output;
  EXPECT_NE(no_ca.output.find(missing), std::string::npos) << no_ca.output;

  options = trusting(pki_.ca);
  options[2] = "--ssl_key_file=" + pki_.stranger_key;  // not the certificate's key
  auto mismatched = agentList(options);
  EXPECT_NE(mismatched.exit_code, 0) << mismatched.output;
  EXPECT_NE(mismatched.output.find("--ssl_key_file='" + pki_.stranger_key + "'"), std::string::npos)
      << mismatched.output;

  options = trusting(pki_.ca);
  options.push_back("--ssl_hostname_validation_scheme=dns");
  auto scheme = agentList(options);
  EXPECT_NE(scheme.exit_code, 0) << scheme.output;
  EXPECT_NE(scheme.output.find("--ssl_hostname_validation_scheme='dns'"), std::string::npos)
      << scheme.output;
}

}  // namespace
}  // namespace plateau::testing
