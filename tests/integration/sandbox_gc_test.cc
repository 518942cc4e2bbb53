// Sandbox garbage collection on a real agent (--gc_delay, --gc_disk_headroom,
// --disk_watch_interval): a finished task's sandbox stays until its delay has passed, then goes;
// a restarted agent collects the sandboxes an earlier run left; with
// --gc_non_executor_container_sandboxes, so do ended standalone containers'.

#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "roles_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

// The sandbox of the agent's first completed executor ("" until there is one).
std::string completedSandbox(Cluster& cluster, size_t agent) {
  auto state =
      http::fetchSync(cluster.agentEndpoint(agent), {.method = "GET", .path = "/state"}, 5s);
  if (!state || state->status != 200) {
    return "";
  }
  auto doc = json::parse(state->body);
  if (!doc) {
    return "";
  }
  for (const char* list : {"frameworks", "completed_frameworks"}) {
    const json::Value* frameworks = doc->find(list);
    if (frameworks == nullptr || !frameworks->isArray()) {
      continue;
    }
    for (const auto& framework : frameworks->asArray()) {
      const json::Value* done = framework.find("completed_executors");
      if (done != nullptr && done->isArray() && !done->asArray().empty()) {
        return done->asArray()[0]["directory"].asString();
      }
    }
  }
  return "";
}

// Runs one short task to its end on the cluster's only agent; returns its sandbox once its
// executor has completed.
std::string runToCompletion(Cluster& cluster, const std::string& name) {
  Scheduler s(cluster.master(), http::ContentType::kJson);
  if (!s.subscribe(frameworkInfo(name, {"*"}))) {
    return "";
  }
  auto offers = s.next(scheduler::Event::OFFERS);
  if (!offers) {
    return "";
  }
  s.launch(offers->offers().offers(0), name, "echo done", "cpus:0.1;mem:32");
  std::optional<v1::TaskStatus> end;
  eventually([&] {
    auto update = s.nextUpdate(1s);
    if (update && update->state() != v1::TASK_RUNNING && update->state() != v1::TASK_STARTING) {
      end = update;
    }
    return end.has_value();
  });
  if (!end || end->state() != v1::TASK_FINISHED) {
    return "";
  }
  std::string sandbox;
  eventually([&] { return !(sandbox = completedSandbox(cluster, 0)).empty(); });
  return sandbox;
}

TEST(SandboxGc, AFinishedTasksSandboxStaysUntilGcDelayThenGoes) {
  Cluster cluster;
  // The disk watch (every minute by default) does not come into it: the sandbox goes when its
  // 8 seconds are up (the unit tests cover the disk usage rule).
  cluster.addAgent("cpus:1;mem:256", {"--gc_delay=8secs"});
  std::string sandbox = runToCompletion(cluster, "gc-short");
  ASSERT_FALSE(sandbox.empty()) << cluster.agent(0).log();
  EXPECT_TRUE(fs::exists(fs::path(sandbox) / "stdout")) << sandbox;
  ASSERT_TRUE(eventually([&] { return !fs::exists(sandbox); }, 30s)) << cluster.agent(0).log();
  // Logged once removed.
  EXPECT_TRUE(eventually([&] {
    return cluster.agent(0).log().find("sandbox_removed path=" + sandbox) != std::string::npos;
  }));
  // The runs/ and executor folders it left empty went with it.
  EXPECT_FALSE(fs::exists(fs::path(sandbox).parent_path().parent_path()));
}

TEST(SandboxGc, TheDiskWatchRemovesEarlyWhenTheDiskIsPastTheHeadroom) {
  Cluster cluster;
  // A headroom of 1: any disk usage is past it, so the next disk check removes every ended
  // sandbox whatever --gc_delay says.
  cluster.addAgent("cpus:1;mem:256",
                   {"--gc_delay=1weeks", "--gc_disk_headroom=1", "--disk_watch_interval=1secs"});
  std::string sandbox = runToCompletion(cluster, "gc-disk");
  ASSERT_FALSE(sandbox.empty()) << cluster.agent(0).log();
  ASSERT_TRUE(eventually([&] { return !fs::exists(sandbox); }, 20s)) << cluster.agent(0).log();
  EXPECT_TRUE(eventually(
      [&] { return cluster.agent(0).log().find("sandbox_gc_pruned") != std::string::npos; }));
}

TEST(SandboxGc, ARestartedAgentCollectsWhatTheEarlierOneLeft) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");  // Mesos's default: a week
  std::string sandbox = runToCompletion(cluster, "gc-left");
  ASSERT_FALSE(sandbox.empty()) << cluster.agent(0).log();
  ASSERT_TRUE(fs::exists(fs::path(sandbox) / "stdout"));
  cluster.restartAgent(0, SIGKILL, {"--gc_delay=1secs"});
  EXPECT_TRUE(eventually([&] { return !fs::exists(sandbox); }, 20s)) << cluster.agent(0).log();
}

// LAUNCH_CONTAINER of a standalone container `id` running `shell` (JSON, as a client sends it).
int launchStandalone(Cluster& cluster, const std::string& id, const std::string& shell) {
  std::string body = fmt::format(
      R"({{"type": "LAUNCH_CONTAINER", "launch_container": {{"container_id": {{"value": "{}"}}, )"
      R"("command": {{"value": "{}"}}, "resources": [)"
      R"({{"name": "cpus", "type": "SCALAR", "scalar": {{"value": 0.1}}}}, )"
      R"({{"name": "mem", "type": "SCALAR", "scalar": {{"value": 32}}}}]}}}})",
      id, shell);
  auto r = http::fetchSync(cluster.agentEndpoint(0),
                           {.method = "POST",
                            .path = "/api/v1",
                            .headers = {{"content-type", "application/json"}},
                            .body = body},
                           5s);
  return r ? r->status : 0;
}

TEST(SandboxGc, EndedStandaloneContainersSandboxesGoWhenAsked) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256", {"--gc_non_executor_container_sandboxes", "--gc_delay=2secs",
                                      "--disk_watch_interval=1secs"});
  ASSERT_EQ(launchStandalone(cluster, "ended", "echo bye"), 200);
  ASSERT_EQ(launchStandalone(cluster, "running", "sleep 1000"), 200);
  fs::path containers = fs::path(cluster.dir()) / "agent0" / "containers";
  ASSERT_TRUE(fs::exists(containers / "running")) << cluster.agent(0).log();
  EXPECT_TRUE(eventually([&] { return !fs::exists(containers / "ended"); }, 20s))
      << cluster.agent(0).log();
  // Checked at the same disk watches, the running one's sandbox stays.
  EXPECT_TRUE(fs::exists(containers / "running" / "stdout"));
}

}  // namespace
}  // namespace plateau::testing
