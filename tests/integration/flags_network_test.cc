// The flags mesos-master and mesos-agent share about how they are reached, on real daemons:
// --firewall_rules (disabled endpoints answer 403), --advertise_ip/--advertise_port (what the
// master publishes, what the agent reports), --ip_discovery_command; and the master's
// --root_submissions and --whitelist.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

http::Response fetch(const http::Endpoint& endpoint, const std::string& path) {
  auto r = http::fetchSync(endpoint, {.method = "GET", .path = path}, 10s);
  EXPECT_TRUE(r.has_value()) << path;
  return r.value_or(http::Response{});
}

TEST(FlagsNetwork, FirewallRulesDisableEndpointsOfBothDaemons) {
  Cluster cluster(
      {R"(--firewall_rules={"disabled_endpoints":{"paths":["/master/flags","/metrics/snapshot"]}})"});
  auto refused = fetch(cluster.master(), "/master/flags");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body, "Endpoint '/master/flags' is disabled");
  EXPECT_EQ(fetch(cluster.master(), "/metrics/snapshot").status, 403);
  // Exact paths only: the same endpoint under another name still answers.
  EXPECT_EQ(fetch(cluster.master(), "/flags").status, 200);
  EXPECT_EQ(fetch(cluster.master(), "/master/state").status, 200);

  // The agent takes its rules from a file.
  std::string rules = cluster.dir() + "/agent-firewall.json";
  std::ofstream(rules) << R"({"disabled_endpoints": {"paths": ["/flags"]}})";
  size_t agent = cluster.addAgent("cpus:1;mem:256", {"--firewall_rules=" + rules});
  auto agent_refused = fetch(cluster.agentEndpoint(agent), "/flags");
  EXPECT_EQ(agent_refused.status, 403);
  EXPECT_EQ(agent_refused.body, "Endpoint '/flags' is disabled");
  EXPECT_EQ(fetch(cluster.agentEndpoint(agent), "/state").status, 200);
}

TEST(FlagsNetwork, MasterAndAgentPublishTheAdvertisedAddress) {
  Cluster cluster({"--advertise_ip=127.0.0.9", "--advertise_port=15050"});
  auto state = getJson(cluster, "/master/state");
  EXPECT_EQ(state["pid"].asString(), "master@127.0.0.9:15050");
  EXPECT_EQ(state["hostname"].asString(), "127.0.0.9");
  auto r = operatorCall(cluster, R"({"type":"GET_MASTER"})");
  auto master = json::parse(r.body);
  ASSERT_TRUE(master.has_value()) << r.body;
  const json::Value& info = (*master)["get_master"]["master_info"];
  EXPECT_EQ(info["address"]["ip"].asString(), "127.0.0.9");
  EXPECT_EQ(info["address"]["port"].toInt64(), 15050);
  EXPECT_EQ(info["port"].toInt64(), 15050);

  // The agent still binds where it was told, and registers with the address it advertises.
  size_t agent =
      cluster.addAgent("cpus:1;mem:256", {"--advertise_ip=127.0.0.8", "--advertise_port=15051"});
  auto slaves = getJson(cluster, "/master/slaves");
  ASSERT_EQ(slaves["slaves"].size(), 1u);
  EXPECT_EQ(slaves["slaves"][0]["pid"].asString(), "slave(1)@127.0.0.8:15051");
  EXPECT_EQ(slaves["slaves"][0]["hostname"].asString(), "127.0.0.8");
  EXPECT_EQ(slaves["slaves"][0]["port"].toInt64(), 15051);
  auto own = json::parse(fetch(cluster.agentEndpoint(agent), "/state").body);
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ((*own)["pid"].asString(), "slave(1)@127.0.0.8:15051");

  // Tasks still run: executors reach the agent where it listens.
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("adv", {"*"})));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers.has_value());
  EXPECT_EQ(offers->offers().offers(0).hostname(), "127.0.0.8");
  s.launch(offers->offers().offers(0), "t", "true", "cpus:0.1;mem:32");
  std::optional<v1::TaskStatus> end;
  ASSERT_TRUE(eventually([&] {
    auto update = s.nextUpdate(1s);
    if (update && update->state() != v1::TASK_STARTING && update->state() != v1::TASK_RUNNING) {
      end = update;
    }
    return end.has_value();
  }));
  EXPECT_EQ(end->state(), v1::TASK_FINISHED) << end->DebugString();
}

TEST(FlagsNetwork, IpDiscoveryCommandChoosesTheMasterIp) {
  std::string log = fmt::format("/tmp/plateau-ipdisc-{}.log", ::getpid());
  {
    Process master("master",
                   {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--port=0",
                    "--registry=in_memory", "--ip_discovery_command=echo ' 127.0.0.1'"},
                   log);
    uint16_t port = master.reportedPort("master_started");
    ASSERT_NE(port, 0) << master.log();
    auto state = json::parse(fetch({"127.0.0.1", port}, "/master/state").body);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ((*state)["pid"].asString(), fmt::format("master@127.0.0.1:{}", port));
  }
  Process both("master",
               {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--port=0",
                "--registry=in_memory", "--ip=127.0.0.1", "--ip_discovery_command=echo 127.0.0.1"},
               log);
  int status = both.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_NE(both.log().find("Only one of '--ip' or '--ip_discovery_command'"), std::string::npos)
      << both.log();
  std::remove(log.c_str());
}

TEST(FlagsNetwork, WithoutRootSubmissionsRootFrameworksAreRefused) {
  Cluster cluster({"--no-root_submissions"});
  Scheduler root(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = frameworkInfo("as-root", {"*"});
  info.set_user("root");
  EXPECT_FALSE(root.subscribe(info));
  auto error = root.next(scheduler::Event::ERROR, 5s);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error().message(),
            "User 'root' is not allowed to run frameworks without --root_submissions set");
  Scheduler user(cluster.master(), http::ContentType::kJson);
  EXPECT_TRUE(user.subscribe(frameworkInfo("as-user", {"*"})));
}

TEST(FlagsNetwork, OnlyWhitelistedAgentsAreOfferedAndTheFileIsReadAgain) {
  std::string dir = fmt::format("/tmp/plateau-whitelist-{}", ::getpid());
  std::string file = dir + ".txt";
  std::ofstream(file) << "some-other-host\n";
  Cluster cluster({"--whitelist=file://" + file});
  cluster.addAgent("cpus:1;mem:256");  // its hostname is its IP, 127.0.0.1
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("wl", {"*"})));
  EXPECT_FALSE(s.next(scheduler::Event::OFFERS, 2s).has_value());
  std::ofstream(file) << "some-other-host\n127.0.0.1\n";
  // Read again within the watch interval (5 s).
  EXPECT_TRUE(s.next(scheduler::Event::OFFERS, 15s).has_value());
  EXPECT_NE(cluster.masterProcess().log().find("whitelist_updated"), std::string::npos);
  std::remove(file.c_str());
}

TEST(FlagsNetwork, ExternalLogFileIsServedAsTheDaemonsLog) {
  std::string log = fmt::format("/tmp/plateau-external-log-{}.txt", ::getpid());
  std::ofstream(log) << "written by syslog\n";
  Cluster cluster({"--external_log_file=" + log});
  auto master = json::parse(fetch(cluster.master(), "/files/read?path=/master/log&offset=0").body);
  ASSERT_TRUE(master.has_value());
  EXPECT_EQ((*master)["data"].asString(), "written by syslog\n");
  size_t agent = cluster.addAgent("cpus:1;mem:256", {"--external_log_file=" + log});
  auto read = fetch(cluster.agentEndpoint(agent), "/files/read?path=/slave/log&offset=0");
  ASSERT_EQ(read.status, 200) << read.body;
  auto data = json::parse(read.body);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ((*data)["data"].asString(), "written by syslog\n");
  auto state = json::parse(fetch(cluster.agentEndpoint(agent), "/state").body);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["external_log_file"].asString(), log);
  std::remove(log.c_str());
}

}  // namespace
}  // namespace plateau::testing
