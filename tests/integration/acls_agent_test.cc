// The agent's --acls on what its endpoints show and on its operator API (docs/security.md), with
// basic-auth principals from --http_credentials: /state, /state.json and the GET_* calls show
// each principal the frameworks, executors, tasks and containers it may view (view_frameworks,
// view_executors, view_tasks, view_containers, view_flags); the nested-container calls and
// PRUNE_IMAGES get 403 where their ACL denies them, while an allowed principal succeeds; an
// executor's token acts on its own container's nested containers only.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "auth/jwt.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/recordio.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

// viewer sees alice's frameworks, executors, tasks and containers only, no flags; it may launch
// nested containers as alice only, and may not wait, kill, remove, attach or prune. ops may do
// everything (the ACLs are permissive).
constexpr const char* kAcls = R"({
  "view_frameworks": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
                      {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "view_executors": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
                     {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "view_tasks": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
                 {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "view_containers": [{"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
                      {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "view_flags": [{"principals": {"values": ["viewer"]}, "flags": {"type": "NONE"}}],
  "launch_nested_containers_as_user": [
    {"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
    {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "launch_nested_containers_under_parent_with_user": [
    {"principals": {"type": "ANY"}, "users": {"type": "ANY"}}],
  "kill_nested_containers": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "wait_nested_containers": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "remove_nested_containers": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "attach_containers_input": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "attach_containers_output": [{"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "prune_images": [{"principals": {"values": ["viewer"]}, "images": {"type": "NONE"}}]
})";

agent_api::Call ofType(agent_api::Call::Type type) {
  agent_api::Call call;
  call.set_type(type);
  return call;
}

class AgentAclsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> flags = {
        "--acls=file://" + acls_, "--http_credentials=" + credentials_,
        "--authenticate_http_readonly", "--authenticate_http_readwrite"};
    for (auto& flag : moreFlags()) {
      flags.push_back(std::move(flag));
    }
    cluster_.addAgent("cpus:2;mem:512", flags);
  }
  virtual std::vector<std::string> moreFlags() const { return {}; }

  // Subscribes a framework running as `user` and runs one task `task_id` on it (its executor
  // and container share the task's id).
  void runTask(Scheduler& scheduler, const std::string& name, const std::string& user,
               const std::string& task_id) {
    v1::FrameworkInfo info;
    info.set_name(name);
    info.set_user(user);
    ASSERT_TRUE(scheduler.subscribe(info));
    auto offers = scheduler.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers.has_value());
    scheduler.launch(offers->offers().offers(0), task_id, "sleep 1000", "cpus:0.2;mem:32");
    auto update = scheduler.nextUpdate();
    ASSERT_TRUE(update.has_value());
    ASSERT_EQ(update->state(), v1::TASK_RUNNING) << update->message();
  }

  http::Response as(const std::string& who, http::ClientRequest request) {
    return send(cluster_.agentEndpoint(0), std::move(request), basicOf(who));
  }

  // The one container the agent runs (GET_CONTAINERS as ops), into `id`.
  void onlyContainer(v1::ContainerID* id) {
    auto listed = as("ops", jsonApiCall(ofType(agent_api::Call::GET_CONTAINERS)));
    agent_api::Response containers;
    ASSERT_TRUE(http::decode(listed.body, http::ContentType::kJson, &containers).isOk());
    ASSERT_EQ(containers.get_containers().containers_size(), 1) << listed.body;
    *id = containers.get_containers().containers(0).container_id();
  }
  SecretsDir secrets_;
  std::string credentials_ = secrets_.write("credentials", kOpsAndViewerCredentials);
  std::string acls_ = secrets_.write("acls.json", kAcls);
  Cluster cluster_;
};

TEST_F(AgentAclsTest, StateAndOperatorViewsShowEachPrincipalOnlyWhatItMayView) {
  Scheduler alice(cluster_.master(), http::ContentType::kJson);
  runTask(alice, "alice-framework", "alice", "alice-task");
  Scheduler bob(cluster_.master(), http::ContentType::kJson);
  runTask(bob, "bob-framework", "bob", "bob-task");

  for (const char* path : {"/state", "/state.json", "/slave(1)/state"}) {
    SCOPED_TRACE(path);
    auto seen = as("viewer", {.method = "GET", .path = path});
    ASSERT_EQ(seen.status, 200) << seen.body;
    EXPECT_NE(seen.body.find("alice-framework"), std::string::npos) << seen.body;
    EXPECT_NE(seen.body.find("\"alice-task\""), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find("bob-framework"), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find("bob-task"), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find("\"flags\""), std::string::npos) << seen.body;
    auto all = as("ops", {.method = "GET", .path = path});
    EXPECT_NE(all.body.find("bob-framework"), std::string::npos) << all.body;
    EXPECT_NE(all.body.find("\"bob-task\""), std::string::npos) << all.body;
    EXPECT_NE(all.body.find("\"flags\""), std::string::npos) << all.body;
  }
  // GET_FRAMEWORKS names frameworks; the others name the tasks, executors and containers (all
  // called after their task).
  for (auto type :
       {agent_api::Call::GET_STATE, agent_api::Call::GET_FRAMEWORKS, agent_api::Call::GET_EXECUTORS,
        agent_api::Call::GET_TASKS, agent_api::Call::GET_CONTAINERS}) {
    SCOPED_TRACE(agent_api::Call::Type_Name(type));
    const std::string alice_name =
        type == agent_api::Call::GET_FRAMEWORKS ? "alice-framework" : "alice-task";
    const std::string bob_name =
        type == agent_api::Call::GET_FRAMEWORKS ? "bob-framework" : "bob-task";
    auto seen = as("viewer", jsonApiCall(ofType(type)));
    ASSERT_EQ(seen.status, 200) << seen.body;
    EXPECT_NE(seen.body.find(alice_name), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find(bob_name), std::string::npos) << seen.body;
    auto all = as("ops", jsonApiCall(ofType(type)));
    EXPECT_NE(all.body.find(bob_name), std::string::npos) << all.body;
  }
  // With show_nested too, and Mesos's /containers endpoint.
  auto nested = ofType(agent_api::Call::GET_CONTAINERS);
  nested.mutable_get_containers()->set_show_nested(true);
  auto seen = as("viewer", jsonApiCall(nested));
  EXPECT_NE(seen.body.find("alice-task"), std::string::npos) << seen.body;
  EXPECT_EQ(seen.body.find("bob-task"), std::string::npos) << seen.body;
  auto containers = as("viewer", {.method = "GET", .path = "/containers"});
  EXPECT_EQ(containers.status, 200);
  EXPECT_NE(containers.body.find("alice-task"), std::string::npos) << containers.body;
  EXPECT_EQ(containers.body.find("bob-task"), std::string::npos) << containers.body;
}

TEST_F(AgentAclsTest, NestedContainerCallsAndPruneImagesGet403WhereTheirAclDenies) {
  Scheduler alice(cluster_.master(), http::ContentType::kJson);
  runTask(alice, "alice-framework", "alice", "sleeper");
  v1::ContainerID id;
  ASSERT_NO_FATAL_FAILURE(onlyContainer(id.mutable_parent()));
  id.set_value("child");

  auto launch = [&](const std::string& user) {
    agent_api::Call call = ofType(agent_api::Call::LAUNCH_NESTED_CONTAINER);
    *call.mutable_launch_nested_container()->mutable_container_id() = id;
    auto* command = call.mutable_launch_nested_container()->mutable_command();
    command->set_value("sleep 1000");
    if (!user.empty()) {
      command->set_user(user);
    }
    return jsonApiCall(call);
  };
  auto refused = as("viewer", launch("root"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("'launch_nested_containers_as_user' (users 'root')"),
            std::string::npos)
      << refused.body;
  // Without a user of its own the container runs as its parent's: alice, whom viewer may use.
  auto launched = as("viewer", launch(""));
  ASSERT_EQ(launched.status, 200) << launched.body;

  auto control = [&](agent_api::Call::Type type) {
    agent_api::Call call = ofType(type);
    switch (type) {
      case agent_api::Call::ATTACH_CONTAINER_OUTPUT:
        *call.mutable_attach_container_output()->mutable_container_id() = id;
        break;
      case agent_api::Call::KILL_NESTED_CONTAINER:
        *call.mutable_kill_nested_container()->mutable_container_id() = id;
        break;
      case agent_api::Call::WAIT_NESTED_CONTAINER:
        *call.mutable_wait_nested_container()->mutable_container_id() = id;
        break;
      default:
        *call.mutable_remove_nested_container()->mutable_container_id() = id;
    }
    return jsonApiCall(call);
  };
  for (auto [type, acl] :
       {std::pair{agent_api::Call::ATTACH_CONTAINER_OUTPUT, "attach_containers_output"},
        std::pair{agent_api::Call::KILL_NESTED_CONTAINER, "kill_nested_containers"},
        std::pair{agent_api::Call::WAIT_NESTED_CONTAINER, "wait_nested_containers"},
        std::pair{agent_api::Call::REMOVE_NESTED_CONTAINER, "remove_nested_containers"}}) {
    SCOPED_TRACE(acl);
    auto denied = as("viewer", control(type));
    EXPECT_EQ(denied.status, 403) << denied.body;
    EXPECT_NE(denied.body.find(fmt::format("'{}' (users 'alice')", acl)), std::string::npos)
        << denied.body;
  }
  // ATTACH_CONTAINER_INPUT streams its request: refused once its first record is read.
  agent_api::Call input = ofType(agent_api::Call::ATTACH_CONTAINER_INPUT);
  input.mutable_attach_container_input()->set_type(
      agent_api::Call::AttachContainerInput::CONTAINER_ID);
  *input.mutable_attach_container_input()->mutable_container_id() = id;
  auto attach = as("viewer", {.method = "POST",
                              .path = "/api/v1",
                              .headers = {{"content-type", "application/recordio"},
                                          {"message-content-type", "application/json"},
                                          {"accept", "application/json"}},
                              .body = recordio::encode(toJson(input))});
  EXPECT_EQ(attach.status, 403) << attach.body;
  EXPECT_NE(attach.body.find("'attach_containers_input'"), std::string::npos) << attach.body;

  // ops may: kill, then wait (answers once the container has ended), then remove.
  EXPECT_EQ(as("ops", control(agent_api::Call::KILL_NESTED_CONTAINER)).status, 200);
  EXPECT_EQ(as("ops", control(agent_api::Call::WAIT_NESTED_CONTAINER)).status, 200);
  EXPECT_EQ(as("ops", control(agent_api::Call::REMOVE_NESTED_CONTAINER)).status, 200);

  auto prune = as("viewer", jsonApiCall(ofType(agent_api::Call::PRUNE_IMAGES)));
  EXPECT_EQ(prune.status, 403);
  EXPECT_NE(prune.body.find("'prune_images'"), std::string::npos) << prune.body;
  EXPECT_NE(as("ops", jsonApiCall(ofType(agent_api::Call::PRUNE_IMAGES))).status, 403);
}

// With executor authentication, an executor's token (MESOS_EXECUTOR_AUTHENTICATION_TOKEN, made
// here with the agent's key) is held to Mesos's implicit rule on the operator API.
class AgentAclsWithExecutorTokens : public AgentAclsTest {
 protected:
  std::vector<std::string> moreFlags() const override {
    return {"--authenticate_http_executors", "--jwt_secret_key=" + key_file_};
  }
  std::string token(const std::string& framework_id, const std::string& container_id) const {
    json::Value claims(json::Object{});
    claims.set("fid", framework_id);
    claims.set("eid", "sleeper");
    claims.set("cid", container_id);
    return "Bearer " + auth::signHs256(claims, kKey);
  }

  static constexpr const char* kKey = "a-32-byte-key-for-executor-token";
  std::string key_file_ = secrets_.write("executor.key", kKey);
};

TEST_F(AgentAclsWithExecutorTokens, AnExecutorsTokenActsOnlyOnItsOwnContainersNestedContainers) {
  Scheduler alice(cluster_.master(), http::ContentType::kJson);
  runTask(alice, "alice-framework", "alice", "sleeper");
  v1::ContainerID parent;
  ASSERT_NO_FATAL_FAILURE(onlyContainer(&parent));

  agent_api::Call launch = ofType(agent_api::Call::LAUNCH_NESTED_CONTAINER);
  *launch.mutable_launch_nested_container()->mutable_container_id()->mutable_parent() = parent;
  launch.mutable_launch_nested_container()->mutable_container_id()->set_value("child");
  launch.mutable_launch_nested_container()->mutable_command()->set_value("sleep 1000");
  auto other = send(cluster_.agentEndpoint(0), jsonApiCall(launch),
                    token(alice.frameworkId(), "another-container"));
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_NE(other.body.find("The token of container 'another-container'"), std::string::npos)
      << other.body;
  auto own = send(cluster_.agentEndpoint(0), jsonApiCall(launch),
                  token(alice.frameworkId(), parent.value()));
  EXPECT_EQ(own.status, 200) << own.body;
  // Never a standalone container's (a container without a parent), its own container included.
  for (const std::string& target : {std::string("alone"), parent.value()}) {
    agent_api::Call wait = ofType(agent_api::Call::WAIT_CONTAINER);
    wait.mutable_wait_container()->mutable_container_id()->set_value(target);
    auto refused = send(cluster_.agentEndpoint(0), jsonApiCall(wait),
                        token(alice.frameworkId(), parent.value()));
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(refused.body.find("does not authorize calls on standalone container '" + target),
              std::string::npos)
        << refused.body;
  }
}

}  // namespace
}  // namespace plateau::testing
