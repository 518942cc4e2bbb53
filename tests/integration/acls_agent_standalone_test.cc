// The agent's --acls on what it shows of roles and on its standalone containers
// (docs/security.md): view_roles leaves the reservations of roles a principal may not view out of
// /state (and /state.json, /slave(1)/state) and GET_AGENT; LAUNCH/WAIT/KILL/REMOVE_CONTAINER on a
// container without a parent get 403 where the *_standalone_containers ACLs deny them, and the
// calls on containers nested in a standalone container are checked with no user, as Mesos's
// agent checks them.

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include <set>

#include "common/json.h"
#include "integration/api_call.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

// viewer sees role web (not eng), and may not launch, wait on, kill or remove standalone
// containers, nor launch nested containers in one; ops may do everything.
constexpr const char* kAcls = R"({
  "view_roles": [{"principals": {"values": ["viewer"]}, "roles": {"values": ["web"]}},
                 {"principals": {"values": ["viewer"]}, "roles": {"type": "NONE"}}],
  "launch_standalone_containers": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
                                   {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}],
  "wait_standalone_containers": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "kill_standalone_containers": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "remove_standalone_containers": [
    {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "launch_nested_containers_under_parent_with_user": [
    {"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
    {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}]
})";

class AgentStandaloneAclsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:512;cpus(web):0.5;cpus(eng):0.5",
                      {"--acls=file://" + acls_, "--http_credentials=" + credentials_,
                       "--authenticate_http_readonly", "--authenticate_http_readwrite"});
  }

  http::Response as(const std::string& who, http::ClientRequest request) {
    return send(cluster_.agentEndpoint(0), std::move(request), basicOf(who));
  }

  SecretsDir secrets_;
  std::string credentials_ = secrets_.write("credentials", kOpsAndViewerCredentials);
  std::string acls_ = secrets_.write("acls.json", kAcls);
  Cluster cluster_;
};

// The roles a resource list names (its innermost reservation's, else its legacy role).
std::set<std::string> rolesOf(const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  std::set<std::string> roles;
  for (const auto& r : resources) {
    roles.insert(r.reservations_size() > 0 ? r.reservations(r.reservations_size() - 1).role()
                                           : r.role());
  }
  return roles;
}

TEST_F(AgentStandaloneAclsTest, StateAndGetAgentLeaveOutTheReservationsOfRolesNotViewable) {
  for (const char* path : {"/state", "/state.json", "/slave(1)/state"}) {
    SCOPED_TRACE(path);
    auto seen = as("viewer", {.method = "GET", .path = path});
    ASSERT_EQ(seen.status, 200) << seen.body;
    auto state = json::parse(seen.body);
    ASSERT_TRUE(state.has_value());
    const json::Value& reserved = (*state)["reserved_resources"];
    EXPECT_NE(reserved.find("web"), nullptr) << seen.body;
    EXPECT_EQ(reserved.find("eng"), nullptr) << seen.body;
    auto all = json::parse(as("ops", {.method = "GET", .path = path}).body);
    ASSERT_TRUE(all.has_value());
    EXPECT_NE((*all)["reserved_resources"].find("eng"), nullptr);
  }
  auto get_agent = callOfType<agent_api::Call>(agent_api::Call::GET_AGENT);
  agent_api::Response seen;
  auto answer = as("viewer", jsonApiCall(get_agent));
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_TRUE(http::decode(answer.body, http::ContentType::kJson, &seen).isOk());
  EXPECT_EQ(rolesOf(seen.get_agent().agent_info().resources()),
            (std::set<std::string>{"*", "web"}));
  agent_api::Response all;
  ASSERT_TRUE(
      http::decode(as("ops", jsonApiCall(get_agent)).body, http::ContentType::kJson, &all).isOk());
  EXPECT_EQ(rolesOf(all.get_agent().agent_info().resources()),
            (std::set<std::string>{"*", "web", "eng"}));
}

agent_api::Call containerCall(agent_api::Call::Type type, const v1::ContainerID& id) {
  agent_api::Call call = callOfType<agent_api::Call>(type);
  switch (type) {
    case agent_api::Call::LAUNCH_CONTAINER: {
      auto* launch = call.mutable_launch_container();
      *launch->mutable_container_id() = id;
      launch->mutable_command()->set_value("sleep 1000");
      for (auto [name, value] : {std::pair{"cpus", 0.1}, std::pair{"mem", 32.0}}) {
        auto* r = id.has_parent() ? nullptr : launch->add_resources();  // a standalone one's own
        if (r != nullptr) {
          r->set_name(name);
          r->set_type(v1::Value::SCALAR);
          r->mutable_scalar()->set_value(value);
        }
      }
      break;
    }
    case agent_api::Call::WAIT_CONTAINER:
      *call.mutable_wait_container()->mutable_container_id() = id;
      break;
    case agent_api::Call::KILL_CONTAINER:
      *call.mutable_kill_container()->mutable_container_id() = id;
      break;
    default:
      *call.mutable_remove_container()->mutable_container_id() = id;
  }
  return call;
}

TEST_F(AgentStandaloneAclsTest, StandaloneContainerCallsGet403WhereTheirAclDenies) {
  v1::ContainerID alone;
  alone.set_value("alone");
  auto refused = as("viewer", jsonApiCall(containerCall(agent_api::Call::LAUNCH_CONTAINER, alone)));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("Principal 'viewer' is not authorized by the ACLs for "
                              "'launch_standalone_containers'"),
            std::string::npos)
      << refused.body;
  auto launched = as("ops", jsonApiCall(containerCall(agent_api::Call::LAUNCH_CONTAINER, alone)));
  ASSERT_EQ(launched.status, 200) << launched.body;

  // A nested container in it is checked with no user: viewer's 'alice' entry does not match it.
  v1::ContainerID child;
  *child.mutable_parent() = alone;
  child.set_value("child");
  auto nested = as("viewer", jsonApiCall(containerCall(agent_api::Call::LAUNCH_CONTAINER, child)));
  EXPECT_EQ(nested.status, 403) << nested.body;
  EXPECT_NE(nested.body.find("'launch_nested_containers_under_parent_with_user'"),
            std::string::npos)
      << nested.body;
  EXPECT_EQ(as("ops", jsonApiCall(containerCall(agent_api::Call::LAUNCH_CONTAINER, child))).status,
            200);

  for (auto [type, acl] :
       {std::pair{agent_api::Call::WAIT_CONTAINER, "wait_standalone_containers"},
        std::pair{agent_api::Call::KILL_CONTAINER, "kill_standalone_containers"},
        std::pair{agent_api::Call::REMOVE_CONTAINER, "remove_standalone_containers"}}) {
    SCOPED_TRACE(acl);
    auto denied = as("viewer", jsonApiCall(containerCall(type, alone)));
    EXPECT_EQ(denied.status, 403) << denied.body;
    EXPECT_NE(denied.body.find(std::string("'") + acl + "'"), std::string::npos) << denied.body;
  }
  // ops may: kill, wait (answered once it has ended), remove.
  for (auto type : {agent_api::Call::KILL_CONTAINER, agent_api::Call::WAIT_CONTAINER,
                    agent_api::Call::REMOVE_CONTAINER}) {
    SCOPED_TRACE(agent_api::Call::Type_Name(type));
    auto done = as("ops", jsonApiCall(containerCall(type, alone)));
    EXPECT_EQ(done.status, 200) << done.body;
  }
}

}  // namespace
}  // namespace plateau::testing
