// The `plateau` command's --ssl_* options against a master and agent that serve only TLS
// (throw-away certificates, tls_certs.h). Each command runs with an environment of the test's
// choosing (`env -i`), so what reaches it is exactly the options and variables a case names:
// the options alone make a TLS client, an option wins over its LIBPROCESS_SSL_* variable,
// mutual TLS refuses a stranger's certificate, and a bad value is named. As libprocess asks of
// every process, TLS takes a certificate and key to present (--ssl_cert_file, --ssl_key_file).

#include <filesystem>
#include <memory>

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
  EXPECT_NE(stranger.output.find("TLS handshake failed"), std::string::npos) << stranger.output;
}

TEST_F(CliTlsTest, ABadValueIsNamed) {
  startCluster();
  auto no_cert = agentList({"--ssl_enabled"});
  EXPECT_NE(no_cert.exit_code, 0) << no_cert.output;
  EXPECT_NE(no_cert.output.find("(--ssl_cert_file and --ssl_key_file)"), std::string::npos)
      << no_cert.output;

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
  EXPECT_NE(mismatched.output.find(pki_.stranger_key), std::string::npos) << mismatched.output;

  options = trusting(pki_.ca);
  options.push_back("--ssl_hostname_validation_scheme=dns");
  auto scheme = agentList(options);
  EXPECT_NE(scheme.exit_code, 0) << scheme.output;
  EXPECT_NE(scheme.output.find("--ssl_hostname_validation_scheme='dns'"), std::string::npos)
      << scheme.output;
}

}  // namespace
}  // namespace plateau::testing
