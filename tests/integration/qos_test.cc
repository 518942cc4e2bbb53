// The QoS controller end to end: an agent with Mesos's fixed resource estimator and load QoS
// controller runs a task on revocable cpus and one on its own cpus; the revocable resources show
// in /master/state, GET_AGENTS and both daemons' metrics; once the load the agent reads (a file
// the test writes: --load_average_file) passes the threshold, the revocable task's executor is
// preempted (TASK_LOST, REASON_CONTAINER_PREEMPTED) and the other task keeps running.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "docs_json_ops.h"
#include "harness.h"
#include "revocable_offers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kModules =
    R"(--modules={"libraries": [{"file": "libfixed_resource_estimator.so", "modules": [)"
    R"({"name": "org_apache_mesos_FixedResourceEstimator",)"
    R"( "parameters": [{"key": "resources", "value": "cpus:4"}]}]},)"
    R"( {"file": "libload_qos_controller.so", "modules": [)"
    R"({"name": "org_apache_mesos_LoadQoSController",)"
    R"( "parameters": [{"key": "load_threshold_5min", "value": "5"}]}]}]})";

// Replaces the load file at once (a rename), so the agent never reads half of it.
void writeLoad(const fs::path& file, const std::string& text) {
  const fs::path next = file.string() + ".next";
  std::ofstream(next) << text << "\n";
  fs::rename(next, file);
}

double metric(const http::Endpoint& daemon, const std::string& key) {
  auto snapshot = json::parse(send(daemon, "GET", "/metrics/snapshot", "").body);
  if (!snapshot || (*snapshot)[key].isNull()) {
    ADD_FAILURE() << "no metric " << key;
    return -1;
  }
  return (*snapshot)[key].asDouble();
}

// Offers until they hold the 4 revocable cpus; then both tasks on them.
void launchBoth(Scheduler& s) {
  std::vector<v1::Offer> held = holdRevocableOffers(s, 4);
  ASSERT_FALSE(held.empty());
  scheduler::Call accept = acceptWith(held, {sleepingTask("best-effort", held[0].agent_id(), true),
                                             sleepingTask("regular", held[0].agent_id(), false)});
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  for (int i = 0; i < 2; ++i) {
    auto running = s.nextUpdate();
    ASSERT_TRUE(running);
    ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  }
}

// The master's state of task `id`.
std::string masterTaskState(Cluster& cluster, const std::string& id) {
  auto state = json::parse(cluster.get("/master/state"));
  for (const auto& task : (*state)["frameworks"][0]["tasks"].asArray()) {
    if (task["id"].asString() == id) {
      return task["state"].asString();
    }
  }
  return "";
}

TEST(QosController, RevocableResourcesShowAndARevocableTaskIsPreemptedAboveTheLoad) {
  Cluster cluster;
  const fs::path load = fs::path(cluster.dir()) / "loadavg";
  writeLoad(load, "0.10 0.20 0.30 1/100 1234");
  cluster.addAgent("cpus:1;mem:256",
                   {"--resource_estimator=org_apache_mesos_FixedResourceEstimator", kModules,
                    "--oversubscribed_resources_interval=100ms",
                    "--qos_controller=org_apache_mesos_LoadQoSController",
                    "--qos_correction_interval_min=1secs", "--load_average_file=" + load.string()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(revocableFramework("root", true)));
  ASSERT_NO_FATAL_FAILURE(launchBoth(s));

  // As Mesos shows them: "<name>_revocable" in the models, "revocable" in the full lists and
  // GET_AGENTS' total, the revocable gauges of both daemons.
  auto state = json::parse(cluster.get("/master/state"));
  const json::Value& agent = (*state)["slaves"][0];
  EXPECT_EQ(agent["resources"]["cpus_revocable"].asDouble(), 4);
  EXPECT_EQ(agent["resources"]["cpus"].asDouble(), 1);
  EXPECT_GE(agent["used_resources"]["cpus"].asDouble(), 0.5);  // and the executors' own
  EXPECT_LT(agent["used_resources"]["cpus"].asDouble(), 1);
  EXPECT_GE(agent["used_resources"]["cpus_revocable"].asDouble(), 1);
  auto agents = post(cluster.master(), "/api/v1", R"({"type": "GET_AGENTS"})");
  double listed_revocable = 0;
  for (const auto& r : agents.json["get_agents"]["agents"][0]["total_resources"].asArray()) {
    listed_revocable += r["revocable"].isObject() ? r["scalar"]["value"].asDouble() : 0;
  }
  EXPECT_EQ(listed_revocable, 4);
  EXPECT_EQ(metric(cluster.master(), "master/cpus_revocable_total"), 4);
  EXPECT_GE(metric(cluster.master(), "master/cpus_revocable_used"), 1);
  EXPECT_EQ(metric(cluster.master(), "master/cpus_total"), 1);
  EXPECT_EQ(metric(cluster.agentEndpoint(0), "slave/cpus_revocable_total"), 4);
  EXPECT_GE(metric(cluster.agentEndpoint(0), "slave/cpus_revocable_used"), 1);
  EXPECT_EQ(metric(cluster.agentEndpoint(0), "slave/executors_preempted"), 0);

  // The 5-minute load passes its threshold: the revocable task's executor goes.
  writeLoad(load, "9.00 5.10 0.30 1/100 1234");
  auto lost = s.nextUpdate();
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->task_id().value(), "best-effort");
  EXPECT_EQ(lost->state(), v1::TASK_LOST);
  EXPECT_EQ(lost->reason(), v1::TaskStatus::REASON_CONTAINER_PREEMPTED);
  EXPECT_EQ(lost->source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(metric(cluster.agentEndpoint(0), "slave/executors_preempted"), 1);
  // Corrections go on while the load stays high; the regular task is never one of them.
  const auto corrections = [&] {
    const std::string log = cluster.agent(0).log();
    size_t n = 0;
    for (size_t at = log.find("qos_overloaded"); at != std::string::npos;
         at = log.find("qos_overloaded", at + 1)) {
      ++n;
    }
    return n;
  };
  const size_t seen = corrections();
  ASSERT_TRUE(eventually([&] { return corrections() >= seen + 2; }));
  EXPECT_EQ(masterTaskState(cluster, "regular"), "TASK_RUNNING");
  EXPECT_EQ(metric(cluster.agentEndpoint(0), "slave/executors_preempted"), 1);
}

}  // namespace
}  // namespace plateau::testing
