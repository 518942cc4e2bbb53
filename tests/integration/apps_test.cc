// plateau-apps end to end: a real master, two agents and plateau-apps, driven over its
// Marathon REST API as a client would.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "apps_fixture.h"
#include "common/json.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class AppsTest : public AppsFixture {};

TEST_F(AppsTest, KeepsThreeInstancesWhenTasksAreKilledAndAcrossARestart) {
  std::string pids = cluster_.dir() + "/pids";
  fs::create_directories(pids);
  auto created = call("POST", "/v2/apps",
                      fmt::format(R"({{
    "id": "/shop/web", "instances": 3, "cpus": 0.1, "mem": 16, "backoffSeconds": 0,
    "env": {{"PIDS": "{}"}},
    "cmd": "echo $$ > $PIDS/$MESOS_TASK_ID; exec sleep 1000"}})",
                                  pids));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_FALSE(created.header("marathon-deployment-id").empty());
  ASSERT_TRUE(eventually([&] { return running("/shop/web") == 3 && deploymentsDone(); }, 30s))
      << apps_->log();

  // One task killed through the API, one killed from outside (SIGKILL of its process).
  auto before = tasks("/shop/web");
  std::string api_killed = before[0]["id"].asString();
  std::string crashed = before[1]["id"].asString();
  auto killed = call("DELETE", "/v2/apps/shop/web/tasks/" + api_killed);
  ASSERT_EQ(killed.status, 200) << killed.body;
  std::ifstream pid_file(pids + "/" + crashed);
  pid_t pid = 0;
  ASSERT_TRUE(pid_file >> pid);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);

  int most = 0;
  bool replaced = eventually(
      [&] {
        auto now = tasks("/shop/web");
        most = std::max(most, static_cast<int>(now.size()));
        std::set<std::string> ids;
        int up = 0;
        for (const auto& t : now) {
          ids.insert(t["id"].asString());
          up += t["state"].asString() == "TASK_RUNNING" ? 1 : 0;
        }
        return up == 3 && !ids.contains(api_killed) && !ids.contains(crashed);
      },
      30s);
  EXPECT_TRUE(replaced) << apps_->log();
  EXPECT_LE(most, 3);

  // kill -9 of plateau-apps: back with the same framework, the same tasks, nothing duplicated.
  auto info_before = getJson("/v2/info");
  std::set<std::string> ids_before;
  for (const auto& t : tasks("/shop/web")) {
    ids_before.insert(t["id"].asString());
  }
  apps_->kill(SIGKILL);
  apps_->wait();
  startApps();
  EXPECT_EQ(getJson("/v2/info")["frameworkId"].asString(), info_before["frameworkId"].asString());
  ASSERT_TRUE(eventually([&] { return running("/shop/web") == 3; }, 20s)) << apps_->log();
  std::set<std::string> ids_after;
  for (const auto& t : tasks("/shop/web")) {
    ids_after.insert(t["id"].asString());
  }
  EXPECT_EQ(ids_after, ids_before);
  EXPECT_EQ(masterRunning(), 3);
}

TEST_F(AppsTest, UniqueHostnamePlacesOnePerAgentAndQueuesTheRest) {
  auto created = call("POST", "/v2/apps", R"({
    "id": "/unique", "instances": 3, "cpus": 0.1, "mem": 16, "cmd": "sleep 1000",
    "constraints": [["hostname", "UNIQUE"]]})");
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually([&] { return running("/unique") == 2; }, 30s)) << apps_->log();
  std::set<std::string> hosts;
  for (const auto& t : tasks("/unique")) {
    hosts.insert(t["host"].asString());
  }
  EXPECT_EQ(hosts, (std::set<std::string>{"agent0", "agent1"}));
  // The third waits, and says why.
  ASSERT_TRUE(eventually([&] {
    auto q = getJson("/v2/queue")["queue"];
    if (q.size() != 1 || q[0]["count"].toInt64() != 1) {
      return false;
    }
    for (const auto& r : q[0]["processedOffersSummary"]["rejectSummaryLastOffers"].asArray()) {
      if (r["reason"].asString() == "UnfulfilledConstraint") {
        return r["declined"].toInt64() > 0;
      }
    }
    return false;
  })) << call("GET", "/v2/queue").body;
  EXPECT_EQ(tasks("/unique").size(), 2u);
}

TEST_F(AppsTest, RollingRestartKeepsMinimumHealthCapacity) {
  auto created = call("POST", "/v2/apps", R"({
    "id": "/rolling", "instances": 4, "cpus": 0.1, "mem": 16, "cmd": "sleep 1000",
    "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0},
    "healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"},
                      "gracePeriodSeconds": 10, "intervalSeconds": 1, "delaySeconds": 1,
                      "timeoutSeconds": 5, "maxConsecutiveFailures": 3}]})");
  // delaySeconds 1: each new instance is healthy a second after it starts at the earliest, so
  // the restart (two steps of two) lasts long enough to be sampled many times.
  ASSERT_EQ(created.status, 201) << created.body;
  auto healthy = [&](const std::string& version) {
    int n = 0, total = 0;
    for (const auto& t : tasks("/rolling")) {
      ++total;
      bool alive = t["healthCheckResults"][size_t{0}]["alive"].asBool();
      if (t["state"].asString() == "TASK_RUNNING" && alive &&
          (version.empty() || t["version"].asString() == version)) {
        ++n;
      }
    }
    return std::pair{n, total};
  };
  ASSERT_TRUE(eventually([&] { return healthy("").first == 4 && deploymentsDone(); }, 40s))
      << apps_->log();

  auto restarted = call("POST", "/v2/apps/rolling/restart");
  ASSERT_EQ(restarted.status, 200) << restarted.body;
  auto change = json::parse(restarted.body);
  ASSERT_TRUE(change.has_value());
  std::string version = (*change)["version"].asString();
  int lowest = 4, most = 0, samples = 0;
  bool done = eventually(
      [&] {
        auto [n, total] = healthy("");
        lowest = std::min(lowest, n);
        most = std::max(most, total);
        ++samples;
        return healthy(version).first == 4 && deploymentsDone();
      },
      60s);
  EXPECT_TRUE(done) << apps_->log();
  EXPECT_GT(samples, 3);
  EXPECT_GE(lowest, 2) << "healthy instances fell below minimumHealthCapacity x instances";
  EXPECT_LE(most, 4 + 1) << "more instances than the upgrade strategy allows";
}

TEST_F(AppsTest, BadInputsAnswerMarathonsErrorsAndTouchNothing) {
  auto created = call("POST", "/v2/apps", R"({"id": "/good", "cmd": "sleep 1000",
                                             "cpus": 0.1, "mem": 16, "instances": 1})");
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually([&] { return running("/good") == 1 && deploymentsDone(); }, 30s));
  std::string version = getJson("/v2/apps/good")["app"]["version"].asString();
  std::string task = tasks("/good")[0]["id"].asString();

  auto malformed = call("POST", "/v2/apps", R"({"id": "/x", "cmd": )");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(json::parse(malformed.body)->find("message")->asString(), "Invalid JSON");

  struct Case {
    std::string method, path, body, field;
  };
  std::vector<Case> cases = {
      {"POST", "/v2/apps", R"({"id": "/y", "cmd": "true", "constraints": [["hostname", "NEAR"]]})",
       "/constraints(0)"},
      {"POST", "/v2/apps", R"({"id": "/y", "cmd": "true", "instances": -1})", "/instances"},
      {"POST", "/v2/apps", R"({"id": "/Bad_Id!", "cmd": "true"})", "/id"},
      {"POST", "/v2/apps", R"({"id": "/y", "cmd": "true", "cpus": -2})", "/cpus"},
      {"POST", "/v2/apps", R"({"id": "/y", "cmd": "true", "mem": 1e12})", "/mem"},
      {"POST", "/v2/apps",
       R"({"id": "/y", "cmd": "true", "healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 3}]})",
       "/healthChecks(0)"},
      {"PUT", "/v2/apps/good", R"({"instances": -5})", "/instances"},
      {"PUT", "/v2/apps/good", R"({"constraints": [["hostname", "UNIQUE", "x", "y"]]})",
       "/constraints(0)"},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.path, c.body);
    EXPECT_EQ(r.status, 422) << c.body << " -> " << r.body;
    auto v = json::parse(r.body);
    ASSERT_TRUE(v.has_value()) << r.body;
    EXPECT_EQ((*v)["message"].asString(), "Object is not valid");
    bool found = false;
    for (const auto& d : (*v)["details"].asArray()) {
      found = found || (d["path"].asString() == c.field && d["errors"].size() > 0);
    }
    EXPECT_TRUE(found) << c.field << " not in " << r.body;
  }
  auto wrong_type = call("POST", "/v2/apps", R"({"id": "/y", "cmd": "true", "cpus": "many"})");
  EXPECT_EQ(wrong_type.status, 400) << wrong_type.body;
  EXPECT_EQ(call("GET", "/v2/apps/nothing").status, 404);
  EXPECT_EQ(call("POST", "/v2/apps", created.body).status, 409);

  // Nothing was touched: one app, same version, same task.
  auto apps = getJson("/v2/apps")["apps"];
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0]["version"].asString(), version);
  ASSERT_EQ(tasks("/good").size(), 1u);
  EXPECT_EQ(tasks("/good")[0]["id"].asString(), task);

  // An app no agent can hold waits in a deployment, which locks the app: 409 unless forced.
  auto big = call("POST", "/v2/apps", R"({"id": "/big", "cmd": "sleep 1000", "cpus": 64})");
  ASSERT_EQ(big.status, 201) << big.body;
  auto locked = call("PUT", "/v2/apps/big", R"({"cpus": 32})");
  EXPECT_EQ(locked.status, 409) << locked.body;
  auto lv = json::parse(locked.body);
  ASSERT_TRUE(lv.has_value());
  EXPECT_EQ((*lv)["deployments"][size_t{0}]["id"].asString(), big.header("marathon-deployment-id"));
  // It waits in /v2/queue, which says why: every agent's last offer lacked cpus.
  json::Value waiting;
  ASSERT_TRUE(eventually([&] {
    auto q = getJson("/v2/queue?embed=lastUnusedOffers")["queue"];
    if (q.size() != 1) return false;
    waiting = q[0];
    return waiting["lastUnusedOffers"].size() == 2;
  })) << call("GET", "/v2/queue?embed=lastUnusedOffers").body;
  EXPECT_EQ(waiting["app"]["id"].asString(), "/big");
  EXPECT_EQ(waiting["count"].asDouble(), 1);
  const auto& summary = waiting["processedOffersSummary"];
  EXPECT_GE(summary["unusedOffersCount"].asDouble(), 2);
  EXPECT_FALSE(summary["lastUnusedOfferAt"].asString().empty());
  std::map<std::string, std::pair<double, double>> steps;
  for (const auto& step : summary["rejectSummaryLastOffers"].asArray()) {
    steps[step["reason"].asString()] = {step["declined"].asDouble(), step["processed"].asDouble()};
  }
  EXPECT_EQ(steps["InsufficientCpus"], std::make_pair(2.0, 2.0));
  EXPECT_EQ(steps["InsufficientMemory"], std::make_pair(0.0, 0.0));
  for (const auto& unused : waiting["lastUnusedOffers"].asArray()) {
    EXPECT_EQ(unused["reason"][size_t{0}].asString(), "InsufficientCpus");
    EXPECT_TRUE(unused["offer"]["hostname"].asString().starts_with("agent"));
  }
  EXPECT_EQ(getJson("/v2/queue")["queue"][size_t{0}].find("lastUnusedOffers"), nullptr);
  EXPECT_EQ(call("PUT", "/v2/apps/big?force=true", R"({"cpus": 0.1, "mem": 16})").status, 200);
  EXPECT_TRUE(eventually([&] { return running("/big") == 1 && deploymentsDone(); }, 30s));
}

TEST_F(AppsTest, GroupsBulkUpdatesWipeMetricsAndFailureReports) {
  auto stream = http::BlockingStream::open({"127.0.0.1", apps_port_},
                                           {.method = "GET",
                                            .path = "/v2/events?event_type=instance_changed_event",
                                            .headers = {{"accept", "text/event-stream"}}},
                                           10s);
  ASSERT_TRUE(stream.has_value());
  auto successes = http::BlockingStream::open({"127.0.0.1", apps_port_},
                                              {.method = "GET",
                                               .path = "/v2/events?event_type=deployment_success",
                                               .headers = {{"accept", "text/event-stream"}}},
                                              10s);
  ASSERT_TRUE(successes.has_value());

  // A group with a nested group; app ids are relative to their group.
  auto posted = call("POST", "/v2/groups", R"({"id": "/shop",
    "apps": [{"id": "web", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 1}],
    "groups": [{"id": "back",
                "apps": [{"id": "db", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16}]}]})");
  ASSERT_EQ(posted.status, 201) << posted.body;
  EXPECT_EQ(posted.header("location"), "/v2/groups/shop");
  EXPECT_EQ(call("POST", "/v2/groups", R"({"id": "/shop"})").status, 409);
  auto root = getJson("/v2/groups");
  ASSERT_EQ(root["groups"].size(), 1u) << root.size();
  const auto& shop = root["groups"][size_t{0}];
  EXPECT_EQ(shop["id"].asString(), "/shop");
  ASSERT_EQ(shop["apps"].size(), 1u);
  EXPECT_EQ(shop["apps"][size_t{0}]["id"].asString(), "/shop/web");
  ASSERT_EQ(shop["groups"].size(), 1u);
  EXPECT_EQ(shop["groups"][size_t{0}]["id"].asString(), "/shop/back");
  EXPECT_EQ(shop["groups"][size_t{0}]["apps"][size_t{0}]["id"].asString(), "/shop/back/db");
  EXPECT_EQ(getJson("/v2/groups/shop/back")["apps"].size(), 1u);
  EXPECT_EQ(call("GET", "/v2/groups/nope").status, 404);
  ASSERT_TRUE(eventually(
      [&] {
        return running("/shop/web") == 1 && running("/shop/back/db") == 1 && deploymentsDone();
      },
      30s))
      << apps_->log();

  // One deployment for the whole group, its steps holding both apps' actions.
  std::string done;
  ASSERT_TRUE(eventually([&] {
    if (auto chunk = (*successes)->read(200ms)) done += *chunk;
    return done.find("\n\n") != std::string::npos;
  })) << done;
  size_t data = done.find("data: ") + 6;
  auto success = json::parse(done.substr(data, done.find('\n', data) - data));
  ASSERT_TRUE(success.has_value()) << done;
  EXPECT_EQ((*success)["id"].asString(), posted.header("marathon-deployment-id"));
  std::set<std::string> in_steps;
  for (const auto& step : (*success)["plan"]["steps"].asArray()) {
    for (const auto& action : step["actions"].asArray()) in_steps.insert(action["app"].asString());
  }
  EXPECT_EQ(in_steps, (std::set<std::string>{"/shop/web", "/shop/back/db"})) << done;

  // The event stream saw instances become Running.
  std::string seen;
  ASSERT_TRUE(eventually([&] {
    auto chunk = (*stream)->read(200ms);
    if (chunk) seen += *chunk;
    return seen.find(R"("condition":"Running")") != std::string::npos;
  }));
  EXPECT_NE(seen.find("event: instance_changed_event"), std::string::npos);

  // Bulk PATCH: both apps change in one call.
  auto patched =
      call("PATCH", "/v2/apps",
           R"([{"id": "/shop/web", "instances": 2}, {"id": "shop/back/db", "instances": 0}])");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_FALSE(patched.header("marathon-deployment-id").empty());
  ASSERT_TRUE(eventually(
      [&] {
        return running("/shop/web") == 2 && tasks("/shop/back/db").empty() && deploymentsDone();
      },
      30s));
  EXPECT_EQ(call("PUT", "/v2/apps", R"({"id": "/x"})").status, 400);  // not an array

  // wipe: the task is forgotten at once and replaced.
  std::string wiped = tasks("/shop/web")[0]["id"].asString();
  ASSERT_EQ(call("DELETE", "/v2/apps/shop/web/tasks/" + wiped + "?wipe=true").status, 200);
  for (const auto& t : tasks("/shop/web")) EXPECT_NE(t["id"].asString(), wiped);
  ASSERT_TRUE(eventually([&] { return running("/shop/web") == 2; }, 30s));

  // Prometheus's text format.
  auto prom = call("GET", "/metrics/prometheus");
  EXPECT_EQ(prom.status, 200);
  EXPECT_NE(
      prom.body.find("# TYPE marathon_apps_active_gauge gauge\nmarathon_apps_active_gauge 2\n"),
      std::string::npos)
      << prom.body;
  EXPECT_NE(prom.body.find("marathon_instances_running_gauge 2\n"), std::string::npos);

  // A task that fails is the app's lastTaskFailure.
  ASSERT_EQ(call("POST", "/v2/apps",
                 R"({"id": "/fails", "cmd": "exit 3", "cpus": 0.1, "mem": 16, "instances": 1})")
                .status,
            201);
  ASSERT_TRUE(eventually(
      [&] {
        auto app = getJson("/v2/apps/fails")["app"];
        return app["lastTaskFailure"]["state"].asString() == "TASK_FAILED";
      },
      30s))
      << apps_->log();
  auto failure = getJson("/v2/apps/fails")["app"]["lastTaskFailure"];
  EXPECT_EQ(failure["appId"].asString(), "/fails");
  EXPECT_TRUE(failure["taskId"].asString().starts_with("fails."));

  // Removing the group removes its apps.
  auto removed = call("DELETE", "/v2/groups/shop");
  EXPECT_EQ(removed.status, 200) << removed.body;
  ASSERT_TRUE(eventually([&] { return call("GET", "/v2/apps/shop/web").status == 404; }, 30s));
}

}  // namespace
}  // namespace plateau::testing
