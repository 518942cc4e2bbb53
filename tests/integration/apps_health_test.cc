// Health checks that plateau-apps runs itself (protocol HTTP, TCP), against tasks serving HTTP on
// loopback: a passing check makes the task healthy, a failing one gets the task killed and
// replaced.

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

class AppsHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The agent's hostname is what plateau-apps probes: loopback. Its ports are ones free now
    // (a fixed range may be taken by other processes on this machine).
    std::set<uint16_t> ports;
    while (ports.size() < 6) ports.insert(freePort());
    std::string ranges;
    for (uint16_t p : ports) ranges += fmt::format("{}{}-{}", ranges.empty() ? "" : ",", p, p);
    cluster_.addAgent("cpus:2;mem:1024;disk:1024;ports:[" + ranges + "]", {"--hostname=127.0.0.1"});
    apps_ = std::make_unique<Process>(
        "apps",
        std::vector<std::string>{std::string(PLATEAU_BIN_DIR) + "/plateau-apps",
                                 fmt::format("--master=127.0.0.1:{}", cluster_.master().port),
                                 "--http_address=127.0.0.1", "--http_port=0",
                                 "--work_dir=" + cluster_.dir() + "/apps"},
        cluster_.dir() + "/apps.log");
    port_ = apps_->reportedPort("apps_started");
    ASSERT_NE(port_, 0) << apps_->log();
  }

  json::Value get(const std::string& path) {
    auto r = http::fetchSync({"127.0.0.1", port_}, {.method = "GET", .path = path}, 10s);
    auto v = json::parse(r ? r->body : "");
    return v ? *v : json::Value();
  }

  http::Response post(const std::string& path, const std::string& body) {
    auto r = http::fetchSync({"127.0.0.1", port_},
                             {.method = "POST",
                              .path = path,
                              .headers = {{"content-type", "application/json"}},
                              .body = body},
                             10s);
    return r ? *r : http::Response{.status = 0};
  }

  Cluster cluster_;
  std::unique_ptr<Process> apps_;
  uint16_t port_ = 0;
};

TEST_F(AppsHealthTest, PassingChecksMakeTasksHealthyAndAFailingOneGetsTheTaskReplaced) {
  // Healthy: both an HTTP check on "/" and a TCP check pass once the server is up.
  auto created = post("/v2/apps", R"({
    "id": "/good", "instances": 1, "cpus": 0.1, "mem": 32,
    "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
    "healthChecks": [
      {"protocol": "HTTP", "path": "/", "gracePeriodSeconds": 30, "intervalSeconds": 1,
       "timeoutSeconds": 1, "maxConsecutiveFailures": 3},
      {"protocol": "TCP", "gracePeriodSeconds": 30, "intervalSeconds": 1, "timeoutSeconds": 1}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually(
      [&] {
        auto app = get("/v2/apps/good")["app"];
        return app["tasksHealthy"].asDouble() == 1 &&
               app["tasks"][size_t{0}]["healthCheckResults"].size() == 2;
      },
      30s))
      << apps_->log();
  auto results = get("/v2/apps/good")["app"]["tasks"][size_t{0}]["healthCheckResults"];
  for (const auto& r : results.asArray()) {
    EXPECT_TRUE(r["alive"].asBool());
    EXPECT_EQ(r["consecutiveFailures"].asDouble(), 0);
    EXPECT_TRUE(r["lastSuccess"].isString());
  }

  // Failing: the server answers 404 on the checked path; after 2 failures past the grace period
  // the task is killed and a new one launched.
  created = post("/v2/apps", R"({
    "id": "/bad", "instances": 1, "cpus": 0.1, "mem": 32,
    "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
    "healthChecks": [{"path": "/missing", "gracePeriodSeconds": 1, "intervalSeconds": 1,
                      "timeoutSeconds": 1, "maxConsecutiveFailures": 2}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string first;
  ASSERT_TRUE(eventually(
      [&] {
        auto tasks = get("/v2/apps/bad/tasks")["tasks"];
        if (tasks.size() == 0) return false;
        first = tasks[size_t{0}]["id"].asString();
        return !first.empty();
      },
      30s));
  ASSERT_TRUE(eventually(
      [&] {
        auto tasks = get("/v2/apps/bad/tasks");
        for (const auto& t : tasks["tasks"].asArray()) {
          if (t["id"].asString() != first && t["state"].asString() == "TASK_RUNNING") return true;
        }
        return false;
      },
      60s))
      << apps_->log();
  EXPECT_NE(apps_->log().find("task_unhealthy_killed task_id=" + first), std::string::npos);
  // The healthy app was never touched.
  EXPECT_EQ(get("/v2/apps/good")["app"]["tasksHealthy"].asDouble(), 1);
  EXPECT_EQ(apps_->log().find("task_unhealthy_killed task_id=good."), std::string::npos);
}

TEST_F(AppsHealthTest, HttpsChecksProbeOverTlsWithoutVerifyingTheCertificate) {
  // The task serves HTTPS with a self-signed certificate it makes in its sandbox.
  std::string serve =
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 1 "
      "-subj /CN=localhost 2>/dev/null && exec python3 -c \"import http.server, os, ssl; "
      "s = http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT0'])), "
      "http.server.SimpleHTTPRequestHandler); c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); "
      "c.load_cert_chain('c.pem', 'k.pem'); s.socket = c.wrap_socket(s.socket, "
      "server_side=True); s.serve_forever()\"";
  json::Value app;
  app.set("id", "/tls");
  app.set("instances", 1.0);
  app.set("cpus", 0.1);
  app.set("mem", 32.0);
  app.set("cmd", serve);
  json::Value check;
  check.set("protocol", "HTTPS");
  check.set("path", "/");
  check.set("gracePeriodSeconds", 30.0);
  check.set("intervalSeconds", 1.0);
  check.set("timeoutSeconds", 2.0);
  check.set("maxConsecutiveFailures", 3.0);
  json::Value checks;
  checks.push(check);
  app.set("healthChecks", checks);
  auto created = post("/v2/apps", json::stringify(app));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(
      eventually([&] { return get("/v2/apps/tls")["app"]["tasksHealthy"].asDouble() == 1; }, 30s))
      << apps_->log();
  auto result = get("/v2/apps/tls")["app"]["tasks"][size_t{0}]["healthCheckResults"][size_t{0}];
  EXPECT_TRUE(result["alive"].asBool());
  EXPECT_TRUE(result["lastFailureCause"].isNull());
}

// A readiness check holds the deployment until the task answers 200 on its path: here the
// task's server has /ready only after a few seconds.
TEST_F(AppsHealthTest, ReadinessCheckHoldsTheDeploymentUntilTheTaskIsReady) {
  auto created = post("/v2/apps", R"({
    "id": "/warming", "instances": 1, "cpus": 0.1, "mem": 32,
    "cmd": "(sleep 6; touch ready) & exec python3 -m http.server $PORT0 --bind 127.0.0.1",
    "portDefinitions": [{"port": 0, "name": "http-api"}],
    "readinessChecks": [{"path": "/ready", "intervalSeconds": 2, "timeoutSeconds": 1}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_TRUE(eventually(
      [&] { return get("/v2/apps/warming")["app"]["tasksRunning"].asDouble() == 1; }, 30s))
      << apps_->log();
  // Running but not ready: the deployment is still there.
  auto deployments = get("/v2/deployments");
  ASSERT_EQ(deployments.size(), 1u);
  EXPECT_EQ(deployments[size_t{0}]["id"].asString(), created.header("marathon-deployment-id"));
  ASSERT_TRUE(eventually([&] { return get("/v2/deployments").size() == 0; }, 30s)) << apps_->log();
  EXPECT_NE(apps_->log().find("task_ready task_id=warming."), std::string::npos);
  EXPECT_EQ(get("/v2/apps/warming")["app"]["readinessChecks"][size_t{0}]["portName"].asString(),
            "http-api");
}

}  // namespace
}  // namespace plateau::testing
