// The agent operator calls about operations and resource providers, against a real master,
// agent and framework: GET_OPERATIONS lists the offer operations the agent holds until their
// framework acknowledges them; the agent has no resource providers and answers the others as a
// Mesos agent without any (docs/compatibility.md).

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "docs_json_ops.h"
#include "harness.h"
#include "integration/auth_helpers.h"
#include "operation_helpers.h"

namespace plateau::testing {
namespace {

// The operation ids the agent's GET_OPERATIONS lists, with their latest state.
std::map<std::string, std::string> agentOperations(const http::Endpoint& agent) {
  std::map<std::string, std::string> out;
  auto r = post(agent, "/api/v1", R"({"type": "GET_OPERATIONS"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(isString(r.json["type"], "GET_OPERATIONS")) << r.body;
  for (const auto& op : r.json["get_operations"]["operations"].asArray()) {
    out[op["info"]["id"]["value"].asString()] = op["latest_status"]["state"].asString();
  }
  return out;
}

TEST(AgentResourceProviders, GetOperationsListsWhatTheAgentHoldsUntilAcknowledged) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  const auto agent = cluster.agentEndpoint(0);
  EXPECT_TRUE(agentOperations(agent).empty());

  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(operationsFramework("ops")));
  auto offer = offerWhere(s, [](const v1::Offer& o) { return hasUnreserved(o, "cpus"); });
  ASSERT_TRUE(offer);
  ASSERT_EQ(acceptWith(s, *offer, {reserve("r1", "cpus:0.5", "ops")}), 202);
  auto finished = operationUpdates(s, 1);
  ASSERT_EQ(finished["r1"].state(), v1::OPERATION_FINISHED) << finished["r1"].DebugString();

  // Finished but not acknowledged: the agent still holds it, as the master does.
  EXPECT_EQ(agentOperations(agent),
            (std::map<std::string, std::string>{{"r1", "OPERATION_FINISHED"}}));
  auto listed = post(agent, "/api/v1", R"({"type": "GET_OPERATIONS"})");
  const auto& op = listed.json["get_operations"]["operations"][0];
  EXPECT_TRUE(isString(op["framework_id"]["value"], s.frameworkId())) << listed.body;
  EXPECT_TRUE(isString(op["info"]["type"], "RESERVE")) << listed.body;
  EXPECT_TRUE(isString(op["latest_status"]["agent_id"]["value"], finished["r1"].agent_id().value()))
      << listed.body;

  ASSERT_EQ(acknowledgeOperation(s, finished["r1"]), 202);
  EXPECT_TRUE(eventually([&] { return agentOperations(agent).empty(); }));
}

constexpr const char* kStorage = R"({"type": "org.apache.mesos.rp.local.storage", "name": "lvm"})";
constexpr const char* kRemoveStorage = R"({"type": "REMOVE_RESOURCE_PROVIDER_CONFIG",
    "remove_resource_provider_config": {"type": "org.apache.mesos.rp.local.storage",
                                        "name": "lvm"}})";

// POSTs `body` to the agent's operator API: the answer must have `status` and mention `text`.
void expectAnswer(const http::Endpoint& agent, const std::string& body, int status,
                  const std::string& text) {
  auto r = post(agent, "/api/v1", body);
  EXPECT_EQ(r.status, status) << body << ": " << r.body;
  EXPECT_NE(r.body.find(text), std::string::npos) << body << ": " << r.body;
}

// ADD_ or UPDATE_RESOURCE_PROVIDER_CONFIG (`call`) with `info`.
std::string configCall(const std::string& call, const std::string& info) {
  std::string field = call;
  std::transform(field.begin(), field.end(), field.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return fmt::format(R"({{"type": "{}", "{}": {{"info": {}}}}})", call, field, info);
}

int providersListed(const http::Endpoint& agent) {
  auto r = post(agent, "/api/v1", R"({"type": "GET_RESOURCE_PROVIDERS"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(isString(r.json["type"], "GET_RESOURCE_PROVIDERS")) << r.body;
  return static_cast<int>(r.json["get_resource_providers"]["resource_providers"].size());
}

TEST(AgentResourceProviders, WithoutAConfigDirectoryTheAgentAnswersAsMesos) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  const auto agent = cluster.agentEndpoint(0);
  EXPECT_EQ(providersListed(agent), 0);
  for (const std::string call :
       {"ADD_RESOURCE_PROVIDER_CONFIG", "UPDATE_RESOURCE_PROVIDER_CONFIG"}) {
    expectAnswer(agent, fmt::format(R"({{"type": "{}"}})", call), 400, "_resource_provider_config");
    expectAnswer(agent, configCall(call, kStorage), 500, "--resource_provider_config_dir");
    expectAnswer(agent, configCall(call, R"({"type": "x.y", "name": "z"})"), 400,
                 "Unknown local resource provider type 'x.y'");
  }
  expectAnswer(agent, kRemoveStorage, 500, "--resource_provider_config_dir");
  expectAnswer(agent, R"({"type": "MARK_RESOURCE_PROVIDER_GONE",
      "mark_resource_provider_gone": {"resource_provider_id": {"value": "rp-1"}}})",
               404, "rp-1");
  expectAnswer(agent, R"({"type": "MARK_RESOURCE_PROVIDER_GONE"})", 400,
               "mark_resource_provider_gone");
}

TEST(AgentResourceProviders, WithAConfigDirectoryNothingIsLaunchedAndRemovingIsANoOp) {
  Cluster cluster;
  const std::string dir = cluster.dir() + "/rp-configs";
  std::filesystem::create_directories(dir);
  cluster.addAgent("cpus:1;mem:256", {"--resource_provider_config_dir=" + dir});
  const auto agent = cluster.agentEndpoint(0);

  expectAnswer(agent, configCall("ADD_RESOURCE_PROVIDER_CONFIG", kStorage), 400,
               "no storage local resource provider");
  expectAnswer(agent,
               configCall("UPDATE_RESOURCE_PROVIDER_CONFIG",
                          R"({"type": "org.apache.mesos.rp.local.storage", "name": "lvm",
                              "id": {"value": "x"}})"),
               400, "'ResourceProviderInfo.id' must not be set");
  expectAnswer(agent, kRemoveStorage, 200, "");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  EXPECT_EQ(providersListed(agent), 0);
}

// viewer may neither change resource provider configs nor mark one gone; ops may (no entry).
constexpr const char* kProviderAcls = R"({
  "modify_resource_provider_configs": [
    {"principals": {"values": ["viewer"]}, "resource_providers": {"type": "NONE"}}],
  "mark_resource_providers_gone": [
    {"principals": {"values": ["viewer"]}, "resource_providers": {"type": "NONE"}}]})";

TEST(AgentResourceProviders, TheirAclsGuardTheConfigAndGoneCalls) {
  SecretsDir secrets;
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256",
                   {"--acls=file://" + secrets.write("acls.json", kProviderAcls),
                    "--http_credentials=" + secrets.write("credentials", kOpsAndViewerCredentials),
                    "--authenticate_http_readwrite"});
  const std::string gone = R"({"type": "MARK_RESOURCE_PROVIDER_GONE",
      "mark_resource_provider_gone": {"resource_provider_id": {"value": "rp-1"}}})";
  for (const std::string& body :
       {std::string(kRemoveStorage), gone, configCall("ADD_RESOURCE_PROVIDER_CONFIG", kStorage)}) {
    http::ClientRequest request{.method = "POST",
                                .path = "/api/v1",
                                .headers = {{"content-type", "application/json"}},
                                .body = body};
    EXPECT_EQ(send(cluster.agentEndpoint(0), request, basicOf("viewer")).status, 403) << body;
    EXPECT_NE(send(cluster.agentEndpoint(0), request, basicOf("ops")).status, 403) << body;
  }
}

}  // namespace
}  // namespace plateau::testing
