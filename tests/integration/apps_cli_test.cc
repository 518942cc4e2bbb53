// `plateau app ...` and `plateau deployment ...` against a real master, agent and plateau-apps;
// and the cross-origin headers that let the master's web UI call plateau-apps.

#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

struct CliRun {
  int exit_code;
  std::string output;
};

class AppsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:1024;disk:1024;ports:[31000-31999]");
    apps_ = std::make_unique<Process>(
        "apps",
        std::vector<std::string>{std::string(PLATEAU_BIN_DIR) + "/plateau-apps",
                                 fmt::format("--master={}", cluster_.master().toString()),
                                 "--http_address=127.0.0.1", "--http_port=0",
                                 "--work_dir=" + cluster_.dir() + "/apps",
                                 "--access_control_allow_origin=http://elsewhere:1, http://" +
                                     cluster_.master().toString()},
        cluster_.dir() + "/apps.log");
    uint16_t port = apps_->reportedPort("apps_started");
    ASSERT_NE(port, 0) << apps_->log();
    address_ = fmt::format("127.0.0.1:{}", port);
  }

  // Runs `plateau ARGS --apps=ADDRESS` (or with `env` set before the command).
  CliRun plateau(std::vector<std::string> args, std::vector<std::string> env = {},
                 bool with_address = true) {
    std::string log = cluster_.dir() + "/cli.out";
    std::remove(log.c_str());
    if (with_address) {
      args.push_back("--apps=" + address_);
    }
    args.insert(args.begin(), std::string(PLATEAU_BIN_DIR) + "/plateau");
    if (!env.empty()) {
      env.insert(env.begin(), "/usr/bin/env");
      args.insert(args.begin(), env.begin(), env.end());
    }
    Process p("plateau", args, log);
    int status = p.wait();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, p.log()};
  }

  std::string writeFile(const std::string& name, const std::string& text) {
    std::string path = cluster_.dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // The app from `plateau app list --json`, or null.
  json::Value listed(const std::string& id) {
    auto r = plateau({"app", "list", "--json"});
    auto apps = json::parse(r.output);
    if (r.exit_code != 0 || !apps || !apps->isArray()) {
      return json::Value();
    }
    for (const auto& a : apps->asArray()) {
      if (a["id"].asString() == id) {
        return a;
      }
    }
    return json::Value();
  }
  bool runningAndSettled(const std::string& id, double n) {
    auto a = listed(id);
    return a.isObject() && a["tasksRunning"].asDouble() == n && a["instances"].asDouble() == n &&
           a["deployments"].asArray().empty();
  }

  Cluster cluster_;
  std::unique_ptr<Process> apps_;
  std::string address_;
};

TEST_F(AppsCliTest, AddsScalesShowsRestartsAndRemovesAnApp) {
  std::string file = writeFile("hello.json", R"({"id": "/demo/hello", "cmd": "sleep 3600",
    "cpus": 0.1, "mem": 16, "instances": 2, "backoffSeconds": 0})");
  auto added = plateau({"app", "add", file});
  ASSERT_EQ(added.exit_code, 0) << added.output;
  EXPECT_TRUE(std::regex_search(added.output,
                                std::regex(R"(Created app /demo/hello \(deployment [0-9a-f-]+\))")))
      << added.output;
  ASSERT_TRUE(eventually([&] { return runningAndSettled("/demo/hello", 2); }, 30s)) << apps_->log();

  auto table = plateau({"app", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(std::regex_search(table.output, std::regex(R"(ID\s+RUNNING\s+STAGED\s+HEALTHY)")))
      << table.output;
  EXPECT_TRUE(std::regex_search(table.output, std::regex(R"(/demo/hello\s+2/2\s+0\s+0/0\s+0\.1)")))
      << table.output;

  auto shown = plateau({"app", "show", "demo/hello"});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("instances   2 (2 running"), std::string::npos) << shown.output;
  std::smatch task;
  ASSERT_TRUE(std::regex_search(
      shown.output, task, std::regex(R"((demo_hello\.\S+)\s+TASK_RUNNING\s+-\s+\S+\s+31\d\d\d)")))
      << shown.output;
  EXPECT_NE(shown.output.find("versions    "), std::string::npos) << shown.output;

  auto scaled = plateau({"app", "scale", "/demo/hello", "3"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.output;
  EXPECT_NE(scaled.output.find("Scaling app /demo/hello to 3 instances (deployment "),
            std::string::npos)
      << scaled.output;
  ASSERT_TRUE(eventually([&] { return runningAndSettled("/demo/hello", 3); }, 30s)) << apps_->log();

  // A restart replaces every task: none of the old ids remain once it settles.
  std::string old_task = task[1];
  auto restarted = plateau({"app", "restart", "/demo/hello", "--json"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  auto change = json::parse(restarted.output);
  ASSERT_TRUE(change && change->isObject()) << restarted.output;
  EXPECT_FALSE((*change)["deploymentId"].asString().empty()) << restarted.output;
  ASSERT_TRUE(eventually(
      [&] {
        auto s = plateau({"app", "show", "/demo/hello"});
        return runningAndSettled("/demo/hello", 3) && s.output.find(old_task) == std::string::npos;
      },
      60s))
      << apps_->log();

  // The address from the environment when --apps is not given.
  auto from_env = plateau({"app", "list"}, {"PLATEAU_APPS=" + address_}, false);
  EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
  EXPECT_NE(from_env.output.find("/demo/hello"), std::string::npos) << from_env.output;

  auto removed = plateau({"app", "remove", "/demo/hello"});
  ASSERT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_NE(removed.output.find("Removing app /demo/hello"), std::string::npos) << removed.output;
  ASSERT_TRUE(eventually([&] { return !listed("/demo/hello").isObject(); }, 30s));
  // Its tasks end on the master too: 2 + 1 + 3 launched, all killed.
  CliRun tasks;
  ASSERT_TRUE(eventually(
      [&] {
        tasks = plateau({"task", "list", "--json", "--master=" + cluster_.master().toString()}, {},
                        false);
        auto parsed = json::parse(tasks.output);
        if (!parsed || !parsed->isArray() || parsed->size() != 6) {
          return false;
        }
        for (const auto& t : parsed->asArray()) {
          if (t["state"].asString() != "TASK_KILLED") {
            return false;
          }
        }
        return true;
      },
      30s))
      << tasks.output;
}

TEST_F(AppsCliTest, ServiceErrorsAreShownWithANonZeroExit) {
  std::string bad = writeFile("bad.json", R"({"id": "/bad", "cmd": "sleep 1", "cpus": -1})");
  auto invalid = plateau({"app", "add", bad});
  EXPECT_EQ(invalid.exit_code, 1) << invalid.output;
  EXPECT_NE(invalid.output.find("plateau-apps answered HTTP 422: Object is not valid"),
            std::string::npos)
      << invalid.output;
  EXPECT_NE(invalid.output.find("/cpus: "), std::string::npos) << invalid.output;

  std::string broken = writeFile("broken.json", "{\"id\": ");
  auto unparsable = plateau({"app", "add", broken});
  EXPECT_EQ(unparsable.exit_code, 1);
  EXPECT_NE(unparsable.output.find("HTTP 400"), std::string::npos) << unparsable.output;

  auto missing = plateau({"app", "show", "/nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("HTTP 404: App '/nope' does not exist"), std::string::npos)
      << missing.output;

  auto no_file = plateau({"app", "add", cluster_.dir() + "/absent.json"});
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_NE(no_file.output.find("cannot read"), std::string::npos) << no_file.output;

  auto unreachable = plateau({"app", "list", "--apps=127.0.0.1:1"}, {}, false);
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.output.find("cannot reach plateau-apps at 127.0.0.1:1"), std::string::npos)
      << unreachable.output;

  // An app larger than the agent waits; its deployment holds it (409), until cancelled.
  std::string big = writeFile("big.json",
                              R"({"id": "/big", "cmd": "sleep 3600", "cpus": 1.5, "mem": 16,
                                  "instances": 2})");
  ASSERT_EQ(plateau({"app", "add", big}).exit_code, 0);
  auto deployments = plateau({"deployment", "list"});
  ASSERT_EQ(deployments.exit_code, 0) << deployments.output;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(deployments.output, id, std::regex(R"(\n(\S+)\s+/big\s)")))
      << deployments.output;
  auto held = plateau({"app", "scale", "/big", "1"});
  EXPECT_EQ(held.exit_code, 1) << held.output;
  EXPECT_NE(held.output.find("HTTP 409"), std::string::npos) << held.output;
  EXPECT_NE(held.output.find("held by deployment " + id[1].str()), std::string::npos)
      << held.output;

  auto cancelled = plateau({"deployment", "cancel", id[1], "--force"});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.output;
  EXPECT_NE(cancelled.output.find("stopped"), std::string::npos) << cancelled.output;
  ASSERT_TRUE(eventually([&] {
    auto r = plateau({"deployment", "list", "--json"});
    return r.exit_code == 0 && r.output.find(id[1].str()) == std::string::npos;
  }));
  auto again = plateau({"deployment", "cancel", id[1]});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("HTTP 404"), std::string::npos) << again.output;
}

TEST_F(AppsCliTest, TheApiAllowsCrossOriginCallsFromTheListedOriginsOnly) {
  auto endpoint = http::Endpoint::parse(address_);
  ASSERT_TRUE(endpoint);
  std::string origin = "http://" + cluster_.master().toString();
  auto list = http::fetchSync(
      *endpoint, {.method = "GET", .path = "/v2/apps", .headers = {{"origin", origin}}}, 5s);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(list->header("access-control-allow-origin"), origin);
  EXPECT_EQ(list->header("vary"), "Origin");

  auto preflight = [&](const std::string& from) {
    return http::fetchSync(*endpoint,
                           {.method = "OPTIONS",
                            .path = "/v2/apps/demo",
                            .headers = {{"origin", from},
                                        {"access-control-request-method", "PUT"},
                                        {"access-control-request-headers", "content-type"}}},
                           5s);
  };
  auto allowed = preflight(origin);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 204);
  EXPECT_EQ(allowed->header("access-control-allow-origin"), origin);
  EXPECT_NE(allowed->header("access-control-allow-methods").find("PUT"), std::string::npos);
  EXPECT_NE(allowed->header("access-control-allow-headers").find("content-type"),
            std::string::npos);

  // Errors carry it too, so that the UI can read Marathon's message.
  auto missing = http::fetchSync(
      *endpoint, {.method = "GET", .path = "/v2/apps/nope", .headers = {{"origin", origin}}}, 5s);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->header("access-control-allow-origin"), origin);

  // Another origin is not allowed: no header, and its preflight is not approved.
  auto other = http::fetchSync(
      *endpoint, {.method = "GET", .path = "/v2/apps", .headers = {{"origin", "http://evil:80"}}},
      5s);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->header("access-control-allow-origin"), "");
  auto refused = preflight("http://evil:80");
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->status, 204);
  EXPECT_EQ(refused->header("access-control-allow-origin"), "");

  // A value that is no origin is a flag error naming the flag.
  Process bad(
      "apps-bad",
      {std::string(PLATEAU_BIN_DIR) + "/plateau-apps", "--master=" + cluster_.master().toString(),
       "--http_port=0", "--access_control_allow_origin=not an origin"},
      cluster_.dir() + "/apps-bad.log");
  int status = bad.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(bad.log().find("--access_control_allow_origin"), std::string::npos) << bad.log();
}

}  // namespace
}  // namespace plateau::testing
