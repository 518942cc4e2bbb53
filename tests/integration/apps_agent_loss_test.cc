// plateau-apps when an agent dies (a master with short ping timeouts, so that it declares the
// agent unreachable within a second or two), and the order of /v2/events through an app's life.

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "apps_fixture.h"
#include "common/json.h"

namespace plateau::testing {
namespace {

class AppsAgentLossTest : public AppsFixture {
 protected:
  AppsAgentLossTest()
      : AppsFixture({"--agent_ping_timeout=300ms", "--max_agent_ping_timeouts=2"}) {}

  // Task states of the app by host.
  std::map<std::string, std::multiset<std::string>> byHost(const std::string& app) {
    std::map<std::string, std::multiset<std::string>> out;
    for (const auto& t : tasks(app)) out[t["host"].asString()].insert(t["state"].asString());
    return out;
  }
};

TEST_F(AppsAgentLossTest, AppStaysAtThreeWhenAnAgentIsKilled) {
  // Unreachable instances stop counting after a second; they are forgotten after ten minutes.
  auto created = call("POST", "/v2/apps", R"({
    "id": "/web", "instances": 3, "cpus": 0.1, "mem": 16, "cmd": "sleep 1000",
    "backoffSeconds": 0,
    "unreachableStrategy": {"inactiveAfterSeconds": 1, "expungeAfterSeconds": 600}})");
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually([&] { return running("/web") == 3 && deploymentsDone(); }, 30s))
      << apps_->log();

  // SIGKILL the agent that holds the most of them.
  auto hosts = byHost("/web");
  size_t victim = hosts["agent1"].size() > hosts["agent0"].size() ? 1 : 0;
  std::string lost_host = fmt::format("agent{}", victim);
  std::string kept_host = fmt::format("agent{}", 1 - victim);
  size_t lost = hosts[lost_host].size();
  ASSERT_GT(lost, 0u);
  cluster_.agent(victim).kill(SIGKILL);
  cluster_.agent(victim).wait();

  // The lost ones show as unreachable (partition aware: kept, not counted) and are replaced on
  // the other agent; never more than three count as running.
  int most_running = 0;
  bool replaced = eventually(
      [&] {
        auto now = byHost("/web");
        int up = 0;
        for (const auto& [host, states] : now) up += static_cast<int>(states.count("TASK_RUNNING"));
        most_running = std::max(most_running, up);
        return now[kept_host].count("TASK_RUNNING") == 3 &&
               now[lost_host].count("TASK_UNREACHABLE") == lost && deploymentsDone();
      },
      40s);
  EXPECT_TRUE(replaced) << call("GET", "/v2/apps/web/tasks").body << "\n" << apps_->log();
  EXPECT_LE(most_running, 3);
  auto app = getJson("/v2/apps/web")["app"];
  EXPECT_EQ(app["instances"].asDouble(), 3);
  EXPECT_EQ(app["tasksRunning"].asDouble(), 3);
  EXPECT_EQ(masterRunning(), 3);
}

// The events of one app's life, in the order Marathon sends them.
TEST_F(AppsAgentLossTest, EventsArriveInOrder) {
  auto stream = http::BlockingStream::open(
      {"127.0.0.1", apps_port_},
      {.method = "GET", .path = "/v2/events", .headers = {{"accept", "text/event-stream"}}}, 10s);
  ASSERT_TRUE(stream.has_value());
  std::string seen;
  // The event types received so far (with the task state for status updates).
  auto received = [&] {
    if (auto chunk = (*stream)->read(100ms)) seen += *chunk;
    std::vector<std::string> types;
    size_t at = 0;
    while ((at = seen.find("data: ", at)) != std::string::npos) {
      size_t end = seen.find('\n', at);
      if (end == std::string::npos) break;
      auto v = json::parse(seen.substr(at + 6, end - at - 6));
      at = end;
      if (!v) continue;
      std::string type = (*v)["eventType"].asString();
      if (type == "status_update_event") type += ":" + (*v)["taskStatus"].asString();
      if (type == "health_status_changed_event") type += (*v)["alive"].asBool() ? ":up" : ":down";
      types.push_back(type);
    }
    return types;
  };
  auto position = [](const std::vector<std::string>& types, const std::string& type) {
    return std::find(types.begin(), types.end(), type) - types.begin();
  };
  ASSERT_TRUE(eventually([&] { return position(received(), "event_stream_attached") == 0; }));

  auto created = call("POST", "/v2/apps", R"({
    "id": "/ordered", "instances": 1, "cpus": 0.1, "mem": 16, "cmd": "sleep 1000",
    "healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"},
                      "intervalSeconds": 1, "gracePeriodSeconds": 10,
                      "delaySeconds": 0}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::vector<std::string> types;
  ASSERT_TRUE(eventually(
      [&] {
        types = received();
        return position(types, "deployment_success") < static_cast<long>(types.size());
      },
      30s))
      << seen;
  // As Marathon: the deployment is started (deployment_info) before the API call that made it
  // is reported (api_post_event).
  std::vector<std::string> order = {"event_stream_attached",
                                    "deployment_info",
                                    "api_post_event",
                                    "status_update_event:TASK_RUNNING",
                                    "health_status_changed_event:up",
                                    "deployment_step_success",
                                    "deployment_success"};
  for (size_t k = 1; k < order.size(); ++k) {
    EXPECT_LT(position(types, order[k - 1]), position(types, order[k]))
        << order[k - 1] << " before " << order[k] << " in\n"
        << seen;
  }
  EXPECT_EQ(std::count(types.begin(), types.end(), "deployment_success"), 1);

  // Removal: the task is killed, then the app is reported gone.
  ASSERT_EQ(call("DELETE", "/v2/apps/ordered").status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        types = received();
        return position(types, "app_terminated_event") < static_cast<long>(types.size());
      },
      30s))
      << seen;
  EXPECT_LT(position(types, "status_update_event:TASK_KILLED"),
            position(types, "app_terminated_event"))
      << seen;
  EXPECT_LT(position(types, "deployment_success"),
            position(types, "status_update_event:TASK_KILLED"))
      << seen;

  // A deployment stopped by force (an app no agent can hold) fails.
  auto big = call("POST", "/v2/apps", R"({"id": "/big", "cmd": "sleep 1000", "cpus": 64})");
  ASSERT_EQ(big.status, 201) << big.body;
  ASSERT_EQ(
      call("DELETE", "/v2/deployments/" + big.header("marathon-deployment-id") + "?force=true")
          .status,
      202);
  ASSERT_TRUE(eventually(
      [&] {
        types = received();
        return position(types, "deployment_failed") < static_cast<long>(types.size());
      },
      10s))
      << seen;
  EXPECT_LT(position(types, "app_terminated_event"), position(types, "deployment_failed"));
}

}  // namespace
}  // namespace plateau::testing
