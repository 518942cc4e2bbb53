// The master's authentication (docs/security.md): each endpoint family refuses a missing or
// wrong credential with 401 in Mesos's realm and accepts the right one; a framework's principal
// must be the authenticated one; agents need their --credential; operators may use bearer
// tokens; a half configuration or a broken credentials file does not start; the audit log
// records write calls.

#include <sys/wait.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

constexpr const char* kCredentials = R"({"credentials": [
  {"principal": "ops", "secret": "ops-secret"},
  {"principal": "fw", "secret": "fw-secret"},
  {"principal": "agent", "secret": "agent-secret"}]})";

http::ClientRequest getHealthCall() {
  return {.method = "POST",
          .path = "/api/v1",
          .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
          .body = R"({"type": "GET_HEALTH"})"};
}

v1::FrameworkInfo framework(const std::string& principal) {
  v1::FrameworkInfo info;
  info.set_name("auth-test");
  info.set_user("nobody");
  if (!principal.empty()) {
    info.set_principal(principal);
  }
  return info;
}

class MasterAuthTest : public ::testing::Test {
 protected:
  SecretsDir secrets_;
  std::string credentials_ = secrets_.write("credentials", kCredentials);
};

TEST_F(MasterAuthTest, EachRealmRefusesMissingAndWrongCredentialsAndAcceptsTheRightOne) {
  Cluster cluster({"--credentials=file://" + credentials_, "--authenticate_http_readonly",
                   "--authenticate_http_readwrite", "--authenticate_http_frameworks",
                   "--http_framework_authenticators=basic"},
                  basic("ops", "ops-secret"));
  const auto master = cluster.master();
  EXPECT_EQ(send(master, {.method = "GET", .path = "/health"}).status, 200);

  struct Family {
    http::ClientRequest request;
    const char* realm;
  };
  std::vector<Family> families = {
      {{.method = "GET", .path = "/master/state"}, "mesos-master-readonly"},
      {{.method = "GET", .path = "/metrics/snapshot"}, "mesos-master-readonly"},
      {{.method = "GET", .path = "/master/frameworks"}, "mesos-master-readonly"},
      {getHealthCall(), "mesos-master-readwrite"}};
  for (const auto& family : families) {
    SCOPED_TRACE(family.request.path);
    auto missing = send(master, family.request);
    EXPECT_EQ(missing.status, 401);
    EXPECT_EQ(missing.header("www-authenticate"), fmt::format("Basic realm=\"{}\"", family.realm));
    auto wrong = send(master, family.request, basic("ops", "guess"));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(wrong.body.find("wrong principal or secret"), std::string::npos) << wrong.body;
    EXPECT_EQ(send(master, family.request, basic("ops", "ops-secret")).status, 200);
  }

  // The scheduler API: the framework realm.
  Scheduler anonymous(master, http::ContentType::kJson);
  EXPECT_FALSE(anonymous.subscribe(framework("fw")));
  Scheduler impostor(master, http::ContentType::kJson);
  impostor.setAuthorization(basic("fw", "fw-secret"));
  EXPECT_FALSE(impostor.subscribe(framework("ops")));
  Scheduler scheduler(master, http::ContentType::kJson);
  scheduler.setAuthorization(basic("fw", "fw-secret"));
  ASSERT_TRUE(scheduler.subscribe(framework("fw")));
  scheduler::Call revive;
  revive.set_type(scheduler::Call::REVIVE);
  EXPECT_EQ(scheduler.call(revive), 202) << scheduler.lastResponse().body;
  // Another principal may not speak for the subscribed framework.
  scheduler.setAuthorization(basic("ops", "ops-secret"));
  EXPECT_EQ(scheduler.call(revive), 400);
  EXPECT_NE(scheduler.lastResponse().body.find("does not match principal 'fw'"), std::string::npos)
      << scheduler.lastResponse().body;
}

TEST_F(MasterAuthTest, SubscriptionWithAnotherPrincipalGets400) {
  Cluster cluster({"--credentials=" + credentials_, "--authenticate_frameworks"},
                  basic("fw", "fw-secret"));
  scheduler::Call call;
  call.set_type(scheduler::Call::SUBSCRIBE);
  *call.mutable_subscribe()->mutable_framework_info() = framework("ops");
  http::ClientRequest request{.method = "POST",
                              .path = "/api/v1/scheduler",
                              .headers = {{"content-type", "application/json"}},
                              .body = http::encode(call, http::ContentType::kJson)};
  auto refused = send(cluster.master(), request, basic("fw", "fw-secret"));
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Authenticated principal 'fw' does not match principal 'ops'"),
            std::string::npos)
      << refused.body;
  auto missing = send(cluster.master(), request);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.header("www-authenticate"), "Basic realm=\"mesos-master-scheduler\"");
  // Read-only endpoints stay open: only the framework realm is protected.
  EXPECT_EQ(send(cluster.master(), {.method = "GET", .path = "/master/state"}).status, 200);
}

TEST_F(MasterAuthTest, AgentsRegisterOnlyWithTheirCredential) {
  Cluster cluster({"--credentials=" + credentials_, "--authenticate_agents"});
  std::string good = secrets_.write("agent", R"({"principal": "agent", "secret": "agent-secret"})");
  cluster.addAgent("cpus:1;mem:256", {"--credential=" + good});
  EXPECT_EQ(cluster.registeredAgents(), 1u);

  std::string bad = secrets_.write("stranger", R"({"principal": "agent", "secret": "nope"})");
  std::vector<std::string> argv = {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
                                   fmt::format("--master=127.0.0.1:{}", cluster.master().port),
                                   "--ip=127.0.0.1",
                                   "--port=0",
                                   "--work_dir=" + secrets_.path() + "/stranger-work",
                                   "--resources=cpus:1;mem:256",
                                   "--credential=" + bad};
  Process stranger("stranger", argv, secrets_.path() + "/stranger.log");
  EXPECT_TRUE(eventually([&] {
    return stranger.log().find("agent_register_refused status=401") != std::string::npos;
  })) << stranger.log();
  EXPECT_EQ(cluster.registeredAgents(), 1u);
}

TEST_F(MasterAuthTest, HalfConfigurationsAndBrokenFilesDoNotStart) {
  const std::string dir = secrets_.path();
  EXPECT_NE(startupError({"--authenticate_http_frameworks", "--credentials=" + credentials_}, dir)
                .find("--http_framework_authenticators"),
            std::string::npos);
  EXPECT_NE(startupError({"--authenticate_http_readonly"}, dir)
                .find("No credentials provided for the default 'basic' HTTP authenticator for "
                      "realm 'mesos-master-readonly'"),
            std::string::npos);
  std::string broken = secrets_.write("broken", "{\"credentials\": [\n  {\"principal\": }]}");
  std::string error = startupError({"--credentials=" + broken}, dir);
  EXPECT_NE(error.find(broken), std::string::npos) << error;
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_NE(startupError({"--http_authenticators=kerberos", "--credentials=" + credentials_}, dir)
                .find("'kerberos'"),
            std::string::npos);
}

TEST_F(MasterAuthTest, WorldReadableCredentialsAreWarnedAbout) {
  std::string open = secrets_.write("open", kCredentials, 0644);
  Cluster cluster({"--credentials=" + open, "--authenticate_http_readwrite"});
  EXPECT_TRUE(eventually([&] {
    return cluster.masterProcess().log().find("credentials_readable_by_others") !=
           std::string::npos;
  }));
}

// The CLI's exit code and output.
std::pair<int, std::string> cli(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), std::string(PLATEAU_BIN_DIR) + "/plateau");
  std::string out = dir + "/cli.out";
  std::remove(out.c_str());
  Process p("plateau", args, out);
  int status = p.wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, p.log()};
}

TEST_F(MasterAuthTest, TheCliSendsItsCredentialFromFlagsOrAConfigFile) {
  Cluster cluster({"--credentials=" + credentials_, "--authenticate_http_readonly",
                   "--authenticate_http_readwrite"},
                  basic("ops", "ops-secret"));
  cluster.addAgent("cpus:1;mem:256");
  const std::string master = "--master=" + cluster.master().toString();
  const std::string dir = secrets_.path();
  auto refused = cli(dir, {"agent", "list", master});
  EXPECT_NE(refused.first, 0) << refused.second;
  auto flags = cli(dir, {"--principal=ops", "--secret=ops-secret", "agent", "list", master});
  EXPECT_EQ(flags.first, 0) << flags.second;
  std::string config =
      secrets_.write("cli.json", R"({"principal": "ops", "secret": "ops-secret"})");
  auto file = cli(dir, {"weights", "set", "eng", "2", master, "--config=" + config});
  EXPECT_EQ(file.first, 0) << file.second;
  auto wrong = cli(dir, {"--principal=ops", "--secret=nope", "weights", "get", master});
  EXPECT_NE(wrong.first, 0) << wrong.second;
}

}  // namespace
}  // namespace plateau::testing
