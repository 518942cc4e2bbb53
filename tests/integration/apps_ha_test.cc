// plateau-apps in high availability: two instances with the same --zk (a real ZooKeeper) elect
// one leader, the standby proxies the API to it, and after kill -9 of the leader the standby
// leads with the same apps, tasks and framework id, duplicating nothing.

#include <signal.h>

#include <optional>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "zookeeper_server.h"

namespace plateau::testing {
namespace {

class AppsHaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:1024;disk:1024;ports:[31000-31999]", {"--hostname=agent0"});
    for (int i = 0; i < 2; ++i) {
      start(i);
    }
  }

  void start(int i) {
    apps_[i] = std::make_unique<Process>(
        fmt::format("apps{}", i),
        std::vector<std::string>{std::string(PLATEAU_BIN_DIR) + "/plateau-apps",
                                 fmt::format("--master=127.0.0.1:{}", cluster_.master().port),
                                 "--zk=" + zk_.url("/plateau-apps").toString(),
                                 "--zk_session_timeout=2000", "--http_address=127.0.0.1",
                                 "--http_port=0", "--hostname=127.0.0.1",
                                 "--reconciliation_interval=5000", "--task_launch_timeout=60000"},
        fmt::format("{}/apps{}.log", cluster_.dir(), i));
    ports_[i] = apps_[i]->reportedPort("apps_started");
    ASSERT_NE(ports_[i], 0) << apps_[i]->log();
  }

  std::optional<http::Response> call(int i, const std::string& method, const std::string& path,
                                     const std::string& body = "") {
    auto r = http::fetchSync({"127.0.0.1", ports_[i]},
                             {.method = method,
                              .path = path,
                              .headers = {{"content-type", "application/json"}},
                              .body = body},
                             10s);
    if (!r) return std::nullopt;
    return *r;
  }

  // The instance that every running instance names as leader, or -1.
  int leader() {
    int found = -1;
    for (int i = 0; i < 2; ++i) {
      if (!apps_[i] || !apps_[i]->running()) continue;
      auto r = call(i, "GET", "/v2/leader");
      if (!r || r->status != 200) return -1;
      auto v = json::parse(r->body);
      if (!v) return -1;
      std::string named = (*v)["leader"].asString();
      int index = named == fmt::format("127.0.0.1:{}", ports_[0])   ? 0
                  : named == fmt::format("127.0.0.1:{}", ports_[1]) ? 1
                                                                    : -1;
      if (index < 0 || (found >= 0 && found != index)) return -1;
      found = index;
    }
    return found;
  }

  // Task ids of the app as instance `i` reports them (running ones).
  std::set<std::string> runningTasks(int i, const std::string& app) {
    std::set<std::string> ids;
    auto r = call(i, "GET", "/v2/apps" + app + "/tasks");
    auto v = json::parse(r ? r->body : "");
    if (!v) return ids;
    for (const auto& t : (*v)["tasks"].asArray()) {
      if (t["state"].asString() == "TASK_RUNNING") ids.insert(t["id"].asString());
    }
    return ids;
  }

  // Tasks the master knows, running or not, by id -> state.
  std::map<std::string, std::string> masterTasks(std::string* framework_id = nullptr) {
    std::map<std::string, std::string> out;
    auto state = json::parse(cluster_.get("/master/state"));
    if (!state) return out;
    for (const auto& f : (*state)["frameworks"].asArray()) {
      if (f["name"].asString() != "plateau-apps") continue;
      if (framework_id != nullptr) *framework_id = f["id"].asString();
      for (const auto& t : f["tasks"].asArray()) out[t["id"].asString()] = t["state"].asString();
    }
    return out;
  }

  ZooKeeperServer zk_;
  Cluster cluster_;
  std::unique_ptr<Process> apps_[2];
  uint16_t ports_[2] = {0, 0};
};

TEST_F(AppsHaTest, StandbyProxiesAndTakesOverAfterKillOfTheLeader) {
  int lead = -1;
  ASSERT_TRUE(eventually([&] { return (lead = leader()) >= 0; }, 20s))
      << apps_[0]->log() << apps_[1]->log();
  int standby = 1 - lead;

  // The standby streams the leader's events through.
  auto events = http::BlockingStream::open(
      {"127.0.0.1", ports_[standby]},
      {.method = "GET", .path = "/v2/events", .headers = {{"accept", "text/event-stream"}}}, 10s);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ((*events)->head().status, 200);

  // The standby proxies a change to the leader; the answer is the leader's.
  auto created = call(standby, "POST", "/v2/apps", R"({
    "id": "/ha/web", "instances": 2, "cpus": 0.1, "mem": 16, "cmd": "sleep 1000"})");
  ASSERT_TRUE(created.has_value());
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->header("x-marathon-via"), fmt::format("1.1 127.0.0.1:{}", ports_[standby]));
  EXPECT_FALSE(created->header("marathon-deployment-id").empty());
  std::string streamed;
  ASSERT_TRUE(eventually([&] {
    auto chunk = (*events)->read(200ms);
    if (chunk) streamed += *chunk;
    return streamed.find("event: api_post_event") != std::string::npos;
  }));
  EXPECT_NE(streamed.find("event_stream_attached"), std::string::npos);
  // Reads through the standby too.
  ASSERT_TRUE(eventually([&] { return runningTasks(standby, "/ha/web").size() == 2; }, 30s))
      << apps_[lead]->log();
  auto before = runningTasks(lead, "/ha/web");
  ASSERT_EQ(before.size(), 2u);
  std::string framework_before;
  masterTasks(&framework_before);
  ASSERT_FALSE(framework_before.empty());

  apps_[lead]->kill(SIGKILL);
  apps_[lead]->wait();

  // The standby leads once the dead leader's session expires, and recovers the same tasks.
  ASSERT_TRUE(eventually([&] { return leader() == standby; }, 20s)) << apps_[standby]->log();
  ASSERT_TRUE(eventually(
      [&] {
        auto app = call(standby, "GET", "/v2/apps/ha/web");
        return app && app->status == 200 && runningTasks(standby, "/ha/web") == before;
      },
      20s))
      << apps_[standby]->log();
  // Subscribed again with the same framework id: the master shows the framework active.
  ASSERT_TRUE(eventually(
      [&] {
        auto state = json::parse(cluster_.get("/master/state"));
        if (!state) return false;
        for (const auto& f : (*state)["frameworks"].asArray()) {
          if (f["id"].asString() == framework_before && f["active"].asBool()) return true;
        }
        return false;
      },
      20s))
      << apps_[standby]->log();
  // Nothing duplicated: after a reconciliation round the master still has exactly the two
  // tasks, running, with the same ids; sampled for a while.
  auto info = json::parse(call(standby, "GET", "/v2/info")->body);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ((*info)["frameworkId"].asString(), framework_before);
  for (int sample = 0; sample < 10; ++sample) {
    std::string framework_now;
    auto tasks = masterTasks(&framework_now);
    EXPECT_EQ(framework_now, framework_before);
    std::set<std::string> ids;
    for (const auto& [id, state] : tasks) {
      EXPECT_EQ(state, "TASK_RUNNING") << id;
      ids.insert(id);
    }
    ASSERT_EQ(ids, before) << apps_[standby]->log();
    // Waits on the service's own state rather than sleeping: the app is still 2 of 2.
    auto app = json::parse(call(standby, "GET", "/v2/apps/ha/web")->body);
    ASSERT_TRUE(app.has_value());
    EXPECT_EQ((*app)["app"]["tasksRunning"].asDouble(), 2);
    eventually([] { return false; }, 300ms);
  }
}

TEST_F(AppsHaTest, AbdicationHandsLeadershipToTheOtherInstance) {
  int lead = -1;
  ASSERT_TRUE(eventually([&] { return (lead = leader()) >= 0; }, 20s));
  int standby = 1 - lead;
  // Asked through the standby, the leader abdicates; the other instance leads.
  auto r = call(standby, "DELETE", "/v2/leader");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("Leadership abdicated"), std::string::npos) << r->body;
  ASSERT_TRUE(eventually([&] { return leader() == standby; }, 20s))
      << apps_[0]->log() << apps_[1]->log();
  // The old leader now proxies to the new one.
  auto created = call(lead, "POST", "/v2/apps", R"({
    "id": "/after", "instances": 0, "cpus": 0.1, "mem": 16, "cmd": "sleep 1000"})");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->status, 201) << created->body;
  auto shown = call(standby, "GET", "/v2/apps/after");
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->status, 200);
}

}  // namespace
}  // namespace plateau::testing
