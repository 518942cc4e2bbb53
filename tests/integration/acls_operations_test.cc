// view_roles on the master's GET_OPERATIONS (docs/security.md): an operation is listed only to a
// principal that may view the roles of every resource it names. Real processes, JSON.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "docs_json_ops.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

TEST(AclsOperations, GetOperationsListsOnlyOperationsOnRolesThePrincipalMayView) {
  SecretsDir secrets;
  std::string credentials = secrets.write("credentials", R"({"credentials": [
    {"principal": "ops", "secret": "ops-secret"},
    {"principal": "viewer", "secret": "viewer-secret"}]})");
  Cluster cluster({"--credentials=file://" + credentials, "--authenticate_http_readwrite",
                   R"(--acls={"view_roles": [{"principals": {"values": ["viewer"]},
                                              "roles": {"values": ["test2"]}},
                                             {"principals": {"values": ["viewer"]},
                                              "roles": {"type": "NONE"}}]})"},
                  basic("ops", "ops-secret"));
  cluster.addAgent("cpus:2;mem:1024;disk:512");
  const auto master = cluster.master();
  JsonScheduler s(master);
  ASSERT_TRUE(s.subscribe(kMultiRoleSubscribe));
  auto offer = s.offerWhere(
      [](const json::Value& o) { return isString(o["allocation_info"]["role"], "test1"); });
  ASSERT_TRUE(offer);
  auto accepted = s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}}, "type": "ACCEPT",
    "accept": {{"offer_ids": [{{"value": "{}"}}], "operations": [{{
      "type": "RESERVE", "id": {{"value": "reserve-test1"}},
      "reserve": {{"resources": [{{"name": "cpus", "type": "SCALAR", "scalar": {{"value": 1}},
        "reservations": [{{"type": "DYNAMIC", "role": "test1", "principal": "my-principal"}}],
        "allocation_info": {{"role": "test1"}}}}]}}}}]}}}})",
                                     s.frameworkId(), (*offer)["id"]["value"].asString()));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  ASSERT_TRUE(s.next("UPDATE_OPERATION_STATUS"));

  http::ClientRequest list{
      .method = "POST",
      .path = "/api/v1",
      .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
      .body = R"({"type": "GET_OPERATIONS"})"};
  auto seen = send(master, list, basic("viewer", "viewer-secret"));
  EXPECT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.body.find("reserve-test1"), std::string::npos) << seen.body;
  auto all = send(master, list, basic("ops", "ops-secret"));
  EXPECT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("reserve-test1"), std::string::npos) << all.body;
}

}  // namespace
}  // namespace plateau::testing
