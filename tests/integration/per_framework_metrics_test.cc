// Mesos's per-framework metrics of a real master (--publish_per_framework_metrics): a framework
// subscribes, launches a task through a real agent and kills it, and its series under
// master/frameworks/<encoded name>/<id>/ in /metrics/snapshot (and its labelled samples in
// /metrics) follow; the flag set to false leaves them all out; a completed framework the master
// no longer keeps takes its series with it.

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

using Snapshot = std::map<std::string, double>;

Snapshot snapshot(Cluster& cluster) {
  Snapshot out;
  auto parsed = json::parse(cluster.get("/metrics/snapshot"));
  EXPECT_TRUE(parsed.has_value());
  if (parsed) {
    for (const auto& [key, value] : parsed->asObject()) {
      out[key] = value.asDouble();
    }
  }
  return out;
}

// The keys under master/frameworks/ (Mesos's per-framework family).
size_t perFrameworkKeys(const Snapshot& s) {
  size_t n = 0;
  for (const auto& [key, value] : s) {
    n += key.starts_with("master/frameworks/") ? 1 : 0;
  }
  return n;
}

// Polls the snapshot until `key` is `value`; the last value seen otherwise (-1 when absent).
double waitFor(Cluster& cluster, const std::string& key, double value) {
  double seen = -1;
  eventually([&] {
    Snapshot s = snapshot(cluster);
    seen = s.contains(key) ? s[key] : -1;
    return seen == value;
  });
  return seen;
}

v1::FrameworkInfo framework(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name(name);
  return info;
}

TEST(PerFrameworkMetricsTest, AFrameworksSeriesFollowItsCallsEventsAndTasks) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fw metrics/it")));
  const std::string p = "master/frameworks/fw%20metrics%2Fit/" + s.frameworkId() + "/";
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "sleeper", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  EXPECT_EQ(waitFor(cluster, p + "tasks/active/task_running", 1), 1);

  Snapshot before = snapshot(cluster);
  EXPECT_EQ(before[p + "subscribed"], 1);
  EXPECT_EQ(before[p + "calls/subscribe"], 1);
  EXPECT_EQ(before[p + "calls/accept"], 1);
  EXPECT_EQ(before[p + "operations/launch"], 1);
  EXPECT_EQ(before[p + "operations"], 1);
  EXPECT_EQ(before[p + "offers/accepted"], 1);
  EXPECT_GE(before[p + "offers/sent"], 1);
  EXPECT_EQ(before[p + "events/subscribed"], 1);
  EXPECT_GE(before[p + "events/offers"], 1);
  EXPECT_GE(before[p + "events/update"], 1);
  EXPECT_GE(before[p + "events"], before[p + "events/subscribed"] + before[p + "events/offers"] +
                                      before[p + "events/update"]);
  EXPECT_EQ(before[p + "tasks/terminal/task_killed"], 0);
  ASSERT_TRUE(before.contains(p + "roles/*/suppressed"));
  EXPECT_EQ(before[p + "roles/*/suppressed"], 0);

  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("sleeper");
  *kill.mutable_kill()->mutable_agent_id() = running->agent_id();
  ASSERT_EQ(s.call(kill), 202);
  auto killed = s.nextUpdate();
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
  EXPECT_EQ(waitFor(cluster, p + "tasks/terminal/task_killed", 1), 1);
  Snapshot after = snapshot(cluster);
  EXPECT_EQ(after[p + "tasks/active/task_running"], 0);
  EXPECT_EQ(after[p + "calls/kill"], 1);
  EXPECT_GE(after[p + "calls/acknowledge"], 1);  // nextUpdate() acknowledged the updates
  EXPECT_GT(after[p + "calls"], before[p + "calls"]);

  // /metrics has the same, labelled.
  std::string prometheus = cluster.get("/metrics");
  std::string labels = "framework_id=\"" + s.frameworkId() + "\",framework_name=\"fw metrics/it\"";
  EXPECT_NE(prometheus.find("plateau_master_framework_subscribed{" + labels + "} 1\n"),
            std::string::npos)
      << prometheus;
  EXPECT_NE(prometheus.find("plateau_master_framework_tasks_terminal_total{" + labels +
                            ",state=\"TASK_KILLED\"} 1\n"),
            std::string::npos);

  scheduler::Call suppress;
  suppress.set_type(scheduler::Call::SUPPRESS);
  ASSERT_EQ(s.call(suppress), 202);
  EXPECT_EQ(waitFor(cluster, p + "roles/*/suppressed", 1), 1);

  // Torn down, it is completed: its series stay (as in Mesos) with nothing subscribed.
  scheduler::Call teardown;
  teardown.set_type(scheduler::Call::TEARDOWN);
  ASSERT_EQ(s.call(teardown), 202);
  EXPECT_EQ(waitFor(cluster, p + "subscribed", 0), 0);
  EXPECT_EQ(snapshot(cluster)[p + "tasks/terminal/task_killed"], 1);
}

TEST(PerFrameworkMetricsTest, ACompletedFrameworkTheMasterDropsTakesItsSeries) {
  Cluster cluster({"--max_completed_frameworks=0"});
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("short-lived")));
  const std::string p = "master/frameworks/short-lived/" + s.frameworkId() + "/";
  EXPECT_EQ(waitFor(cluster, p + "subscribed", 1), 1);
  scheduler::Call teardown;
  teardown.set_type(scheduler::Call::TEARDOWN);
  ASSERT_EQ(s.call(teardown), 202);
  EXPECT_TRUE(eventually([&] { return perFrameworkKeys(snapshot(cluster)) == 0; }));
}

TEST(PerFrameworkMetricsTest, PublishingOffLeavesThemOut) {
  Cluster cluster({"--publish_per_framework_metrics=false"});
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("quiet")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.declineAll(*offers, 60);
  EXPECT_EQ(waitFor(cluster, "master/messages_decline_offers", 1), 1);  // the call was handled
  EXPECT_EQ(perFrameworkKeys(snapshot(cluster)), 0u);
  EXPECT_EQ(cluster.get("/metrics").find("plateau_master_framework_subscribed"), std::string::npos);
}

}  // namespace
}  // namespace plateau::testing
