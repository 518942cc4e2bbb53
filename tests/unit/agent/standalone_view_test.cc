// view_standalone_containers on the agent's GET_CONTAINERS answer (Agent::
// hideStandaloneContainers): the standalone containers and those nested in them (the entries
// without an executor) are left out for a principal who may not view them; the executors'
// containers stay, whatever that ACL says.

#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "auth/view_filter.h"

namespace plateau::agent {
namespace {

namespace agent_api = mesos::v1::agent;

agent_api::Response listed() {
  agent_api::Response response;
  response.set_type(agent_api::Response::GET_CONTAINERS);
  auto* containers = response.mutable_get_containers();
  auto* executor = containers->add_containers();
  executor->mutable_container_id()->set_value("executor-container");
  executor->mutable_executor_id()->set_value("executor");
  executor->mutable_framework_id()->set_value("framework");
  containers->add_containers()->mutable_container_id()->set_value("alone");
  auto* nested = containers->add_containers();
  nested->mutable_container_id()->set_value("child");
  nested->mutable_container_id()->mutable_parent()->set_value("alone");
  return response;
}

auth::ViewFilter filterOf(const char* acls, const std::string& principal) {
  auto parsed = auth::Authorizer::parse(acls, "test", nullptr);
  EXPECT_TRUE(parsed) << parsed.error().message();
  return auth::ViewFilter(std::make_shared<const auth::Authorizer>(std::move(*parsed)), principal);
}

constexpr const char* kAcls = R"({
  "view_standalone_containers": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
                                 {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}]})";

TEST(StandaloneViewTest, LeavesOutStandaloneContainersForWhomMayNotViewThem) {
  agent_api::Response seen = listed();
  Agent::hideStandaloneContainers(filterOf(kAcls, "viewer"), &seen);
  ASSERT_EQ(seen.get_containers().containers_size(), 1);
  EXPECT_EQ(seen.get_containers().containers(0).container_id().value(), "executor-container");

  agent_api::Response anonymous = listed();
  Agent::hideStandaloneContainers(filterOf(kAcls, ""), &anonymous);
  EXPECT_EQ(anonymous.get_containers().containers_size(), 1);
}

TEST(StandaloneViewTest, ShowsThemToWhomMayAndWithoutAcls) {
  agent_api::Response ops = listed();
  Agent::hideStandaloneContainers(filterOf(kAcls, "ops"), &ops);
  EXPECT_EQ(ops.get_containers().containers_size(), 3);
  agent_api::Response open = listed();
  Agent::hideStandaloneContainers(auth::ViewFilter(), &open);
  EXPECT_EQ(open.get_containers().containers_size(), 3);
}

}  // namespace
}  // namespace plateau::agent
