// The command executor's allowance, as Mesos's agent gives it (cpus 0.1, mem 32 on top of its
// task): in the executor's resources on the agent, in its container's limits, and nowhere in
// the master's accounting or its offers.

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

std::map<std::string, double> scalars(
    const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  std::map<std::string, double> out;
  for (const auto& r : resources) {
    if (r.has_scalar()) {
      out[r.name()] += r.scalar().value();
    }
  }
  return out;
}

json::Value getJson(const http::Endpoint& endpoint, const std::string& path) {
  auto r = http::fetchSync(endpoint, {.method = "GET", .path = path}, 10s);
  if (!r || r->status != 200) {
    ADD_FAILURE() << path << ": " << (r ? r->body : r.error().message());
    return json::Value();
  }
  auto parsed = json::parse(r->body);
  EXPECT_TRUE(parsed.has_value()) << path << ": " << r->body;
  return parsed ? *parsed : json::Value();
}

// Launches a command task on the whole of `offer`, the rest of it refused for no time, so that
// the next allocation offers it again.
void launchCommandTask(Scheduler& s, const v1::Offer& offer, const std::string& task_id,
                       const std::string& resources_text) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = op->mutable_launch()->add_task_infos();
  task->set_name(task_id);
  task->mutable_task_id()->set_value(task_id);
  *task->mutable_agent_id() = offer.agent_id();
  *task->mutable_resources() = resources(resources_text);
  task->mutable_command()->set_value("sleep 1000");
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

TEST(CommandExecutorAllowance, AgentShowsItAndTheMasterNeverCountsIt) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("nobody");
  info.set_name("allowance");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const v1::Offer first = offers->offers().offers(0);
  std::map<std::string, double> left = scalars(first.resources());
  ASSERT_EQ(left["cpus"], 2);
  ASSERT_EQ(left["mem"], 512);
  left["cpus"] -= 0.5;
  left["mem"] -= 32;
  launchCommandTask(s, first, "allowed", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running && running->state() == v1::TASK_RUNNING)
      << (running ? running->DebugString() : "no update");

  // The master offers what is left of the agent after the task alone, as before the allowance.
  auto again = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->offers().offers_size(), 1);
  EXPECT_EQ(scalars(again->offers().offers(0).resources()), left);
  json::Value master = getJson(cluster.master(), "/master/state");
  const json::Value& used = master["slaves"][0]["used_resources"];
  EXPECT_DOUBLE_EQ(used["cpus"].asDouble(), 0.5) << json::stringify(used);
  EXPECT_DOUBLE_EQ(used["mem"].asDouble(), 32) << json::stringify(used);
  json::Value snapshot = getJson(cluster.master(), "/metrics/snapshot");
  EXPECT_DOUBLE_EQ(snapshot["master/cpus_used"].asDouble(), 0.5);
  EXPECT_DOUBLE_EQ(snapshot["master/mem_used"].asDouble(), 32);

  // The agent: GET_EXECUTORS has the allowance as the executor's own resources, in the task's
  // role; /state's executor resources are its own and its task's.
  auto executors = callApi<agent_api::Response>(
      cluster.agentEndpoint(0), callOfType<agent_api::Call>(agent_api::Call::GET_EXECUTORS),
      http::ContentType::kJson);
  ASSERT_EQ(executors.response.get_executors().executors_size(), 1) << executors.body;
  const v1::ExecutorInfo& executor_info =
      executors.response.get_executors().executors(0).executor_info();
  EXPECT_EQ(scalars(executor_info.resources()),
            (std::map<std::string, double>{{"cpus", 0.1}, {"mem", 32}}))
      << executors.body;
  for (const auto& r : executor_info.resources()) {
    EXPECT_EQ(r.allocation_info().role(), "*") << executors.body;
  }
  json::Value state = getJson(cluster.agentEndpoint(0), "/state");
  const json::Value& executor = state["frameworks"][0]["executors"][0];
  EXPECT_DOUBLE_EQ(executor["resources"]["cpus"].asDouble(), 0.6) << json::stringify(executor);
  EXPECT_DOUBLE_EQ(executor["resources"]["mem"].asDouble(), 64) << json::stringify(executor);
  EXPECT_EQ(executor["role"].asString(), "*") << json::stringify(executor);

  // The container's limits: task plus allowance (the containerizer's own figures, with or
  // without cgroups).
  ASSERT_TRUE(eventually([&] {
    json::Value stats = getJson(cluster.agentEndpoint(0), "/monitor/statistics");
    return stats.isArray() && stats.asArray().size() == 1 &&
           stats[0]["statistics"].find("mem_limit_bytes") != nullptr;
  }));
  json::Value stats = getJson(cluster.agentEndpoint(0), "/monitor/statistics");
  EXPECT_DOUBLE_EQ(stats[0]["statistics"]["cpus_limit"].asDouble(), 0.6);
  EXPECT_EQ(stats[0]["statistics"]["mem_limit_bytes"].toUint64(), 64u << 20);
}

}  // namespace
}  // namespace plateau::testing
