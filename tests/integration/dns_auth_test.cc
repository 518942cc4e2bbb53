// plateau-dns against a master that authenticates its operator API (docs/security.md): with
// the credential flags plateau-apps and plateau-jobs take, or Mesos-DNS's MesosCredentials in
// config.json, it follows the master and serves a running task's name; without one the master
// refuses it (401) and it serves nothing of the cluster.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

constexpr const char* kCredentials = R"({"credentials": [
  {"principal": "ops", "secret": "ops-secret"},
  {"principal": "dns", "secret": "dns-secret"}]})";

class DnsAuthTest : public ::testing::Test {
 protected:
  // Starts plateau-dns on free ports against the cluster's master with `extra` settings in its
  // config file and `flags`; returns its HTTP API (port 0 when it did not start).
  http::Endpoint startDns(const std::string& name, const std::string& extra,
                          std::vector<std::string> flags) {
    uint16_t http_port = freePort();
    std::string config = secrets_.write(
        name + ".json", fmt::format(R"({{"masters": ["127.0.0.1:{}"], "port": 0, "httpport": {},
                        "listener": "127.0.0.1", "httplistener": "127.0.0.1",
                        "externalon": false, "refreshSeconds": 60{}}})",
                                    cluster_.master().port, http_port, extra));
    flags.insert(flags.begin(), {PLATEAU_BIN_DIR "/plateau-dns", "--config=" + config});
    dns_.push_back(std::make_unique<Process>(name, flags, cluster_.dir() + "/" + name + ".log"));
    // A fixed HTTP port: a log line read while half written could give a wrong one.
    bool started = dns_.back()->reportedPort("dns_started") != 0;
    return {"127.0.0.1", started ? http_port : uint16_t{0}};
  }

  // The addresses /v1/hosts/<host> lists ("" when none or no answer).
  static std::string hostIps(const http::Endpoint& dns, const std::string& host) {
    auto r = http::fetchSync(dns, {.method = "GET", .path = "/v1/hosts/" + host}, 5s);
    if (!r || r->status != 200) {
      return "";
    }
    auto doc = json::parse(r->body);
    std::string ips;
    if (doc && doc->isArray()) {
      for (const auto& record : doc->asArray()) {
        ips += record["ip"].asString();
      }
    }
    return ips;
  }

  // Runs one task named `web` of a framework `dnsfw`.
  void runTask(Scheduler& scheduler) {
    v1::FrameworkInfo info;
    info.set_user("nobody");
    info.set_name("dnsfw");
    ASSERT_TRUE(scheduler.subscribe(info));
    auto offers = scheduler.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    scheduler.launch(offers->offers().offers(0), "web", "sleep 1000", "cpus:0.1;mem:32");
    while (auto update = scheduler.nextUpdate()) {
      if (update->state() == v1::TASK_RUNNING) {
        return;
      }
      ASSERT_FALSE(update->state() == v1::TASK_FAILED || update->state() == v1::TASK_ERROR)
          << update->message();
    }
    FAIL() << "the task never ran";
  }

  SecretsDir secrets_;
  std::string credentials_ = secrets_.write("credentials", kCredentials);
  Cluster cluster_{{"--credentials=" + credentials_, "--authenticate_http_readwrite"},
                   basic("ops", "ops-secret")};
  std::vector<std::unique_ptr<Process>> dns_;
};

TEST_F(DnsAuthTest, FollowsAnAuthenticatingMasterWithItsCredentialAndNotWithout) {
  cluster_.addAgent("cpus:1;mem:256");
  std::string secret = secrets_.write("dns-secret", "dns-secret");
  auto by_flags = startDns(
      "dns-flags", "",
      {"--mesos_authentication_principal=dns", "--mesos_authentication_secret_file=" + secret});
  auto by_config = startDns("dns-config",
                            R"(, "MesosCredentials": {"Principal": "dns", "Secret": "dns-secret"},
         "MesosAuthentication": "basic")",
                            {});
  auto without = startDns("dns-none", "", {});
  ASSERT_NE(by_flags.port, 0) << dns_[0]->log();
  ASSERT_NE(by_config.port, 0) << dns_[1]->log();
  ASSERT_NE(without.port, 0) << dns_[2]->log();

  Scheduler scheduler(cluster_.master(), http::ContentType::kJson);
  runTask(scheduler);
  for (const auto* dns : {&by_flags, &by_config}) {
    EXPECT_TRUE(eventually([&] { return hostIps(*dns, "web.dnsfw.mesos.") == "127.0.0.1"; }, 10s))
        << dns_[0]->log() << dns_[1]->log();
  }
  EXPECT_TRUE(eventually([&] { return dns_[2]->log().find("401") != std::string::npos; }))
      << dns_[2]->log();
  EXPECT_EQ(hostIps(without, "web.dnsfw.mesos."), "");
  // /v1/config names the principal and never shows the secret.
  auto config = http::fetchSync(by_config, {.method = "GET", .path = "/v1/config"}, 5s);
  ASSERT_TRUE(config.has_value()) << config.error().message() << " port " << by_config.port;
  EXPECT_NE(config->body.find(R"("Principal":"dns")"), std::string::npos) << config->body;
  EXPECT_EQ(config->body.find("dns-secret"), std::string::npos) << config->body;
}

TEST_F(DnsAuthTest, HalfACredentialDoesNotStart) {
  auto http = startDns("dns-half", "", {"--mesos_authentication_principal=dns"});
  EXPECT_EQ(http.port, 0);
  EXPECT_NE(dns_[0]->log().find("go together"), std::string::npos) << dns_[0]->log();
  startDns("dns-iam", R"(, "MesosAuthentication": "iam")", {});
  EXPECT_NE(dns_[1]->log().find("only 'basic'"), std::string::npos) << dns_[1]->log();
}

}  // namespace
}  // namespace plateau::testing
