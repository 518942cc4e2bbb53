// Mesos's flags on real daemons: the deprecated --weights and --roles take effect, deprecated
// names and flags without effect are accepted and logged, /master/flags and /flags list them,
// --max_operator_event_stream_subscribers closes the oldest operator stream, and the agent's
// --executor_environment_variables is the executors' environment.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

std::map<std::string, double> weightsOf(Cluster& cluster) {
  std::map<std::string, double> out;
  auto doc = json::parse(cluster.get("/master/weights"));
  if (!doc || !doc->isArray()) {
    return out;
  }
  for (const auto& entry : doc->asArray()) {
    out[entry["role"].asString()] = entry["weight"].asDouble();
  }
  return out;
}

const std::vector<std::string> kMesosStyleFlags = {
    "--weights=eng=3,ops=1", "--roles=eng,ops", "--slave_ping_timeout=20secs", "--no-authenticate",
    "--registry_fetch_timeout=1mins"};

TEST(FlagsEndToEnd, MasterStartsWithMesosDeprecatedFlagsAndAppliesWeightsAndRoles) {
  Cluster cluster(kMesosStyleFlags);
  const std::map<std::string, double> expected = {{"eng", 3}, {"ops", 1}};
  ASSERT_TRUE(eventually([&] { return weightsOf(cluster) == expected; }))
      << cluster.get("/master/weights");

  // GET_WEIGHTS answers the same.
  auto r = operatorCall(cluster, R"({"type":"GET_WEIGHTS"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto got = json::parse(r.body);
  ASSERT_TRUE(got.has_value());
  std::map<std::string, double> listed;
  for (const auto& info : (*got)["get_weights"]["weight_infos"].asArray()) {
    listed[info["role"].asString()] = info["weight"].asDouble();
  }
  EXPECT_EQ(listed, expected);

  // /master/flags lists the flags as given, deprecated names under their current one.
  auto flags = json::parse(cluster.get("/master/flags"));
  ASSERT_TRUE(flags.has_value());
  EXPECT_EQ((*flags)["flags"]["weights"].asString(), "eng=3,ops=1");
  EXPECT_EQ((*flags)["flags"]["roles"].asString(), "eng,ops");
  EXPECT_EQ((*flags)["flags"]["agent_ping_timeout"].asString(), "20secs");
  EXPECT_EQ((*flags)["flags"]["authenticate_frameworks"].asString(), "false");

  // One warning line each for the deprecated names and the flags without effect.
  std::string log = cluster.masterProcess().log();
  EXPECT_NE(log.find("flag_deprecated name=slave_ping_timeout use=agent_ping_timeout"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("flag_deprecated name=authenticate use=authenticate_frameworks"),
            std::string::npos);
  EXPECT_NE(log.find("flag_without_effect name=registry_fetch_timeout"), std::string::npos);
  EXPECT_EQ(log.find("flag_without_effect name=weights"), std::string::npos);

  // --roles: a framework of another role is refused as Mesos refuses it; a listed role is not.
  Scheduler dev(cluster.master(), http::ContentType::kJson);
  EXPECT_FALSE(dev.subscribe(frameworkInfo("dev", {"dev"})));
  auto error = dev.next(scheduler::Event::ERROR, 5s);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->error().message().find("Role 'dev' is not present in the master's --roles"),
            std::string::npos)
      << error->error().message();
  Scheduler eng(cluster.master(), http::ContentType::kJson);
  EXPECT_TRUE(eng.subscribe(frameworkInfo("eng", {"eng"})));

  // Weights of roles outside --roles are refused too.
  auto refused = operatorCall(
      cluster,
      R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"dev","weight":2}]}})");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("'dev'"), std::string::npos) << refused.body;
}

TEST(FlagsEndToEnd, WeightsChangedAtRuntimeWinOverTheFlagAfterARestart) {
  Cluster cluster(kMesosStyleFlags);
  ASSERT_TRUE(eventually([&] { return weightsOf(cluster).size() == 2; }));
  auto r = operatorCall(
      cluster,
      R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":5}]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  cluster.restartMaster(SIGTERM);
  const std::map<std::string, double> expected = {{"eng", 5}, {"ops", 1}};
  ASSERT_TRUE(eventually([&] { return weightsOf(cluster) == expected; }))
      << cluster.get("/master/weights");
  EXPECT_TRUE(eventually([&] {
    return cluster.masterProcess().log().find("flag_weights_ignored") != std::string::npos;
  })) << cluster.masterProcess().log();
}

TEST(FlagsEndToEnd, MasterRefusesAMalformedWeightsFlagNamingIt) {
  std::string dir = fmt::format("/tmp/plateau-flags-test-{}", ::getpid());
  Process master("master",
                 {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--port=0",
                  "--registry=in_memory", "--weights=eng:3"},
                 dir + ".log");
  int status = master.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_NE(master.log().find("Invalid value 'eng:3' for flag '--weights'"), std::string::npos)
      << master.log();
  std::remove((dir + ".log").c_str());
}

TEST(FlagsEndToEnd, TheOldestOperatorStreamIsClosedBeyondTheLimit) {
  Cluster cluster({"--max_operator_event_stream_subscribers=1"});
  auto open = [&] {
    return http::BlockingStream::open(
        cluster.master(),
        {.method = "POST",
         .path = "/api/v1",
         .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
         .body = R"({"type":"SUBSCRIBE"})"},
        10s);
  };
  auto first = open();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ((*first)->head().status, 200);
  auto second = open();
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ((*second)->head().status, 200);
  // The first stream ends; the second stays open.
  EXPECT_TRUE(eventually([&] {
    (void)(*first)->read(50ms);
    return (*first)->ended();
  }));
  (void)(*second)->read(200ms);
  EXPECT_FALSE((*second)->ended());
}

TEST(FlagsEndToEnd, AgentAcceptsMesosFlagsFromTheEnvironmentAndFiles) {
  Cluster cluster;
  std::string resources_file = cluster.dir() + "/resources.json";
  std::ofstream(resources_file) << R"([{"name":"cpus","type":"SCALAR","scalar":{"value":3}},)"
                                << R"({"name":"mem","type":"SCALAR","scalar":{"value":512}}])";
  ::setenv("MESOS_GC_DELAY", "2weeks", 1);
  ::setenv("MESOS_DOCKER_REMOVE_DELAY", "2hrs", 1);
  size_t agent = cluster.addAgent("file://" + resources_file, {"--slave_subsystems=cpu"});
  ::unsetenv("MESOS_GC_DELAY");
  ::unsetenv("MESOS_DOCKER_REMOVE_DELAY");
  std::string log = cluster.agent(agent).log();
  EXPECT_NE(log.find("flag_deprecated name=slave_subsystems use=agent_subsystems"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("flag_without_effect name=docker_remove_delay"), std::string::npos) << log;
  EXPECT_EQ(log.find("flag_without_effect name=gc_delay"), std::string::npos) << log;
  auto r = http::fetchSync(cluster.agentEndpoint(agent), {.method = "GET", .path = "/flags"}, 10s);
  ASSERT_TRUE(r.has_value());
  auto flags = json::parse(r->body);
  ASSERT_TRUE(flags.has_value()) << r->body;
  EXPECT_EQ((*flags)["flags"]["gc_delay"].asString(), "2weeks");
  EXPECT_EQ((*flags)["flags"]["docker_remove_delay"].asString(), "2hrs");
  EXPECT_EQ((*flags)["flags"]["agent_subsystems"].asString(), "cpu");
  EXPECT_EQ((*flags)["flags"]["resources"].asString(), "file://" + resources_file);
  // The file's resources are what the agent offers.
  auto state = getJson(cluster, "/master/state");
  EXPECT_EQ(state["slaves"][0]["resources"]["cpus"].asDouble(), 3);
}

TEST(FlagsEndToEnd, ExecutorEnvironmentVariablesReplaceTheAgentsEnvironment) {
  Cluster cluster;
  ::setenv("FLAGS_AGENT_ONLY", "agent", 1);
  cluster.addAgent("cpus:1;mem:256",
                   {R"(--executor_environment_variables={"FLAGS_TEST_VAR": "given", )"
                    R"("PATH": "/usr/bin:/bin"})"});
  ::unsetenv("FLAGS_AGENT_ONLY");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("env", {"*"})));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers.has_value());
  std::string out = cluster.dir() + "/env.out";
  s.launch(offers->offers().offers(0), "env",
           fmt::format("echo \"$FLAGS_TEST_VAR|$FLAGS_AGENT_ONLY|$PATH\" > {}", out),
           "cpus:0.1;mem:32");
  std::optional<v1::TaskStatus> end;
  ASSERT_TRUE(eventually([&] {
    auto update = s.nextUpdate(1s);
    if (update && (update->state() == v1::TASK_FINISHED || update->state() == v1::TASK_FAILED)) {
      end = update;
    }
    return end.has_value();
  }));
  ASSERT_EQ(end->state(), v1::TASK_FINISHED) << end->DebugString();
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "given||/usr/bin:/bin");
}

TEST(FlagsEndToEnd, RegistryDropsGoneAgentsBeyondTheMaximumCount) {
  Cluster cluster({"--registry_gc_interval=100ms", "--registry_max_agent_count=0"});
  size_t agent = cluster.addAgent("cpus:1;mem:256");
  auto state = getJson(cluster, "/master/state");
  std::string agent_id = state["slaves"][0]["id"].asString();
  ASSERT_FALSE(agent_id.empty());
  // Stopped first: once dropped from the registry, a live agent may register again (as in
  // Mesos), which would make the registry's content below a race.
  cluster.agent(agent).kill(SIGKILL);
  cluster.agent(agent).wait();
  auto r = operatorCall(cluster,
                        fmt::format(R"({{"type":"MARK_AGENT_GONE","mark_agent_gone":{{"agent_id":)"
                                    R"({{"value":"{}"}}}}}})",
                                    agent_id));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually([&] {
    return cluster.masterProcess().log().find("registry_agents_pruned count=1 agent_ids=" +
                                              agent_id) != std::string::npos;
  })) << cluster.masterProcess().log();
  // Dropped for good: a restarted master recovers no gone agent.
  cluster.restartMaster(SIGTERM);
  EXPECT_TRUE(eventually([&] {
    return cluster.masterProcess().log().find(
               "registry_recovered agents=0 frameworks=0 "
               "unreachable=0 gone=0") != std::string::npos;
  })) << cluster.masterProcess().log();
}

}  // namespace
}  // namespace plateau::testing
