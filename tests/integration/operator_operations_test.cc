// Operation feedback as Mesos's scheduler API docs describe it: an offer operation with an `id`
// reports OPERATION_FINISHED (with a uuid) to its framework, which acknowledges it with
// ACKNOWLEDGE_OPERATION_STATUS; RECONCILE_OPERATIONS answers for known and unknown operations;
// the operator's GET_OPERATIONS lists the operations not yet acknowledged. Real processes, JSON.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

json::Value operations(const http::Endpoint& master) {
  auto listed = post(master, "/api/v1", R"({"type": "GET_OPERATIONS"})");
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_TRUE(isString(listed.json["type"], "GET_OPERATIONS")) << listed.body;
  return listed.json["get_operations"]["operations"];
}

TEST(OperatorOperations, FeedbackAcknowledgementReconciliationAndGetOperations) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024;disk:512");
  auto master = cluster.master();
  JsonScheduler s(master);
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  const std::string fw = s.frameworkId();
  auto offer = s.offerWhere(
      [](const json::Value& o) { return isString(o["allocation_info"]["role"], "test1"); });
  ASSERT_TRUE(offer);
  const std::string agent = (*offer)["agent_id"]["value"].asString();
  EXPECT_TRUE(operations(master).asArray().empty());

  auto accepted = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}}, "type": "ACCEPT",
    "accept": {{"offer_ids": [{{"value": "{}"}}], "operations": [{{
      "type": "RESERVE", "id": {{"value": "reserve-1"}},
      "reserve": {{"resources": [{{"name": "cpus", "type": "SCALAR", "scalar": {{"value": 1}},
        "reservations": [{{"type": "DYNAMIC", "role": "test1", "principal": "my-principal"}}],
        "allocation_info": {{"role": "test1"}}}}]}}}}]}}}})",
                                     fw, (*offer)["id"]["value"].asString()));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  auto update = s.next("UPDATE_OPERATION_STATUS");
  ASSERT_TRUE(update);
  const auto status = (*update)["update_operation_status"]["status"];
  EXPECT_TRUE(isString(status["operation_id"]["value"], "reserve-1")) << json::stringify(status);
  EXPECT_TRUE(isString(status["state"], "OPERATION_FINISHED")) << json::stringify(status);
  EXPECT_TRUE(isString(status["agent_id"]["value"], agent)) << json::stringify(status);
  ASSERT_TRUE(status["uuid"]["value"].isString()) << json::stringify(status);
  EXPECT_TRUE(isString(status["converted_resources"][0]["reservations"][0]["role"], "test1"))
      << json::stringify(status);

  auto listed = operations(master);
  ASSERT_EQ(listed.asArray().size(), 1u) << json::stringify(listed);
  EXPECT_TRUE(isString(listed[0]["framework_id"]["value"], fw));
  EXPECT_TRUE(isString(listed[0]["agent_id"]["value"], agent));
  EXPECT_TRUE(isString(listed[0]["info"]["type"], "RESERVE"));
  EXPECT_TRUE(isString(listed[0]["latest_status"]["state"], "OPERATION_FINISHED"));
  // The operation's own uuid, not its status's (as Mesos names an operation).
  EXPECT_TRUE(listed[0]["uuid"]["value"].isString());
  EXPECT_FALSE(isString(listed[0]["uuid"]["value"], status["uuid"]["value"].asString()));

  // Reconciliation: the known operation's latest state, and OPERATION_UNKNOWN for an id the
  // master never saw on a registered agent. Its answers carry no uuid.
  auto reconciled = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}}, "type": "RECONCILE_OPERATIONS",
    "reconcile_operations": {{"operations": [
      {{"operation_id": {{"value": "reserve-1"}}}},
      {{"operation_id": {{"value": "never"}}, "agent_id": {{"value": "{}"}}}}]}}}})",
                                       fw, agent));
  ASSERT_EQ(reconciled.status, 202) << reconciled.body;
  std::map<std::string, std::string> states;
  for (int i = 0; i < 2; ++i) {
    auto answer = s.next("UPDATE_OPERATION_STATUS");
    ASSERT_TRUE(answer);
    const auto& st = (*answer)["update_operation_status"]["status"];
    EXPECT_FALSE(st["uuid"].isObject()) << json::stringify(st);
    states[st["operation_id"]["value"].asString()] = st["state"].asString();
  }
  EXPECT_EQ(states["reserve-1"], "OPERATION_FINISHED");
  EXPECT_EQ(states["never"], "OPERATION_UNKNOWN");

  // A malformed acknowledgement is refused; the real one ends the operation's record.
  auto bad = s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}},
    "type": "ACKNOWLEDGE_OPERATION_STATUS", "acknowledge_operation_status": {{
      "agent_id": {{"value": "{}"}}, "uuid": "AAAA", "operation_id": {{"value": "reserve-1"}}}}}})",
                                fw, agent));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(operations(master).asArray().size(), 1u);
  auto acked = s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}},
    "type": "ACKNOWLEDGE_OPERATION_STATUS", "acknowledge_operation_status": {{
      "agent_id": {{"value": "{}"}}, "uuid": "{}", "operation_id": {{"value": "reserve-1"}}}}}})",
                                  fw, agent, status["uuid"]["value"].asString()));
  EXPECT_EQ(acked.status, 202) << acked.body;
  EXPECT_TRUE(operations(master).asArray().empty());
}

}  // namespace
}  // namespace plateau::testing
