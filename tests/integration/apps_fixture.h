#pragma once

// The fixture of plateau-apps' end-to-end tests: a real master (with the given flags), two
// agents (hostnames agent0 and agent1) and plateau-apps, driven over its Marathon REST API as a
// client would.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {

class AppsFixture : public ::testing::Test {
 protected:
  explicit AppsFixture(std::vector<std::string> master_flags = {},
                       std::vector<std::string> apps_flags = {})
      : cluster_(std::move(master_flags)), apps_flags_(std::move(apps_flags)) {}

  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      cluster_.addAgent("cpus:2;mem:1024;disk:1024;ports:[31000-31999]",
                        {fmt::format("--hostname=agent{}", i)});
    }
    startApps();
  }

  // Starts plateau-apps (again: on the same port and work_dir).
  void startApps() {
    std::vector<std::string> argv = {
        std::string(PLATEAU_BIN_DIR) + "/plateau-apps",
        fmt::format("--master=127.0.0.1:{}", cluster_.master().port),
        "--http_address=127.0.0.1",
        apps_port_ == 0 ? "--http_port=0" : fmt::format("--http_port={}", apps_port_),
        "--work_dir=" + cluster_.dir() + "/apps",
        "--reconciliation_interval=5000",
        "--task_launch_timeout=60000"};
    argv.insert(argv.end(), apps_flags_.begin(), apps_flags_.end());
    apps_ = std::make_unique<Process>("apps", argv,
                                      fmt::format("{}/apps.{}.log", cluster_.dir(), starts_++));
    apps_port_ = apps_->reportedPort("apps_started");
    ASSERT_NE(apps_port_, 0) << apps_->log();
  }

  http::Response call(const std::string& method, const std::string& path,
                      const std::string& body = "", http::Headers headers = {}) {
    headers.emplace("content-type", "application/json");
    auto r = http::fetchSync(
        {"127.0.0.1", apps_port_},
        {.method = method, .path = path, .headers = std::move(headers), .body = body}, 10s);
    EXPECT_TRUE(r.has_value()) << method << " " << path;
    return r ? *r : http::Response{.status = 0};
  }

  json::Value getJson(const std::string& path) {
    auto r = call("GET", path);
    auto v = json::parse(r.body);
    EXPECT_TRUE(v.has_value()) << r.body;
    return v ? *v : json::Value();
  }

  // The app's tasks.
  std::vector<json::Value> tasks(const std::string& app) {
    auto v = getJson("/v2/apps" + app + "/tasks");
    return v["tasks"].asArray();
  }
  int running(const std::string& app) {
    int n = 0;
    for (const auto& t : tasks(app)) {
      n += t["state"].asString() == "TASK_RUNNING" ? 1 : 0;
    }
    return n;
  }
  bool deploymentsDone() { return getJson("/v2/deployments").size() == 0; }

  // Tasks of plateau-apps' framework that the master counts as running.
  int masterRunning() {
    auto state = json::parse(cluster_.get("/master/state"));
    int n = 0;
    if (!state) return n;
    for (const auto& f : (*state)["frameworks"].asArray()) {
      for (const auto& t : f["tasks"].asArray()) {
        n += t["state"].asString() == "TASK_RUNNING" ? 1 : 0;
      }
    }
    return n;
  }

  Cluster cluster_;
  std::vector<std::string> apps_flags_;
  std::unique_ptr<Process> apps_;
  uint16_t apps_port_ = 0;
  int starts_ = 0;
};

}  // namespace plateau::testing
