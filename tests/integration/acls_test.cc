// The master's authorization by --acls (docs/security.md), with basic-auth principals from a
// --credentials file: a framework whose role is not allowed gets its ERROR event; run_tasks
// decides which user a framework's tasks may run as (TASK_ERROR otherwise); an operator
// without the ACL gets 403 while one with it succeeds; the state endpoints show each principal
// only what it may view (reservations by view_roles too); a bad --acls file does not start.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

constexpr const char* kCredentials = R"({"credentials": [
  {"principal": "ops", "secret": "ops-secret"},
  {"principal": "viewer", "secret": "viewer-secret"},
  {"principal": "fw", "secret": "fw-secret"},
  {"principal": "other", "secret": "other-secret"}]})";

// ops may do everything; viewer sees only alice's frameworks and tasks and changes nothing;
// fw and other run tasks as alice and no one else; no framework registers in role "finance".
constexpr const char* kAcls = R"({
  "register_frameworks": [
    {"principals": {"type": "NONE"}, "roles": {"values": ["finance"]}, "comment": "x"}],
  "run_tasks": [
    {"principals": {"values": ["fw", "other"]}, "users": {"values": ["alice"]}},
    {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}],
  "view_frameworks": [
    {"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
    {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "view_tasks": [
    {"principals": {"values": ["viewer"]}, "users": {"values": ["alice"]}},
    {"principals": {"values": ["viewer"]}, "users": {"type": "NONE"}}],
  "update_weights": [
    {"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}],
  "teardown_frameworks": [
    {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "framework_principals": {"type": "NONE"}}],
  "view_roles": [
    {"principals": {"values": ["viewer"]}, "roles": {"values": ["eng"]}},
    {"principals": {"values": ["viewer"]}, "roles": {"type": "NONE"}}],
  "view_flags": [
    {"principals": {"values": ["ops"]}, "flags": {"type": "ANY"}},
    {"principals": {"type": "ANY"}, "flags": {"type": "NONE"}}],
  "launch_rockets": []
})";

v1::FrameworkInfo framework(const std::string& name, const std::string& principal,
                            const std::string& user, const std::string& role = "*") {
  v1::FrameworkInfo info;
  info.set_name(name);
  info.set_user(user);
  info.set_principal(principal);
  info.set_role(role);
  return info;
}

http::ClientRequest operatorCall(const std::string& json) {
  return {.method = "POST",
          .path = "/api/v1",
          .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
          .body = json};
}

// Subscribes `scheduler` as `info`, launches one task running as `user` on its first offer and
// returns the task's first update.
std::optional<v1::TaskStatus> firstUpdateAs(Scheduler& scheduler, const v1::FrameworkInfo& info,
                                            const std::string& task_id, const std::string& user) {
  if (!scheduler.subscribe(info)) {
    ADD_FAILURE() << "cannot subscribe " << info.name();
    return std::nullopt;
  }
  auto offers = scheduler.next(scheduler::Event::OFFERS);
  if (!offers) {
    ADD_FAILURE() << "no offers for " << info.name();
    return std::nullopt;
  }
  scheduler.launch(offers->offers().offers(0), task_id, "sleep 1000", "cpus:0.1;mem:32", user);
  return scheduler.nextUpdate();
}

class AclsTest : public ::testing::Test {
 protected:
  SecretsDir secrets_;
  std::string credentials_ = secrets_.write("credentials", kCredentials);
  std::string acls_ = secrets_.write("acls.json", kAcls);
  std::vector<std::string> flags_ = {
      "--credentials=file://" + credentials_,  "--authenticate_http_readonly",
      "--authenticate_http_readwrite",         "--authenticate_http_frameworks",
      "--http_framework_authenticators=basic", "--acls=file://" + acls_};
};

TEST_F(AclsTest, AFrameworkWhoseRoleIsNotAllowedGetsTheErrorEvent) {
  Cluster cluster(flags_, basic("ops", "ops-secret"));
  EXPECT_TRUE(eventually([&] {
    return cluster.masterProcess().log().find("'launch_rockets' ignored") != std::string::npos;
  })) << cluster.masterProcess().log();
  Scheduler refused(cluster.master(), http::ContentType::kJson);
  refused.setAuthorization(basic("fw", "fw-secret"));
  EXPECT_FALSE(refused.subscribe(framework("finance-fw", "fw", "alice", "finance")));
  auto error = refused.next(scheduler::Event::ERROR, 5s);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error().message(), "Not authorized to use roles '{ finance }'");

  Scheduler allowed(cluster.master(), http::ContentType::kJson);
  allowed.setAuthorization(basic("fw", "fw-secret"));
  EXPECT_TRUE(allowed.subscribe(framework("eng-fw", "fw", "alice", "eng")));
  // A principal that is not the framework's is still Mesos's 400, before any ACL.
  Scheduler impostor(cluster.master(), http::ContentType::kJson);
  impostor.setAuthorization(basic("other", "other-secret"));
  EXPECT_FALSE(impostor.subscribe(framework("impostor", "fw", "alice")));
}

TEST_F(AclsTest, RunTasksDecidesWhichUserAFrameworkMayRunTasksAs) {
  Cluster cluster(flags_, basic("ops", "ops-secret"));
  cluster.addAgent("cpus:2;mem:512");
  Scheduler refused(cluster.master(), http::ContentType::kJson);
  refused.setAuthorization(basic("other", "other-secret"));
  auto error = firstUpdateAs(refused, framework("other-fw", "other", "alice"), "as-bob", "bob");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->state(), v1::TASK_ERROR);
  EXPECT_EQ(error->reason(), v1::TaskStatus::REASON_TASK_UNAUTHORIZED);
  EXPECT_EQ(error->message(), "Not authorized to launch as user 'bob'");
  refused.close();

  Scheduler allowed(cluster.master(), http::ContentType::kJson);
  allowed.setAuthorization(basic("fw", "fw-secret"));
  // The framework's user (bob) is not allowed, but the command's user (alice) is.
  auto running = firstUpdateAs(allowed, framework("fw", "fw", "bob"), "as-alice", "alice");
  ASSERT_TRUE(running.has_value());
  EXPECT_NE(running->state(), v1::TASK_ERROR) << running->message();
  EXPECT_TRUE(running->state() == v1::TASK_STARTING || running->state() == v1::TASK_RUNNING)
      << v1::TaskState_Name(running->state());
}

TEST_F(AclsTest, AnOperatorWithoutTheAclGets403WhileOneWithItSucceeds) {
  Cluster cluster(flags_, basic("ops", "ops-secret"));
  const auto master = cluster.master();
  auto weights = operatorCall(
      R"({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [{"role": "eng",
      "weight": 2.0}]}})");
  auto refused = send(master, weights, basic("viewer", "viewer-secret"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("Principal 'viewer' is not authorized by the ACLs for "
                              "'update_weights' (roles 'eng')"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(send(master, weights, basic("ops", "ops-secret")).status, 200);

  // The flags: the operator call, the endpoint, and the "flags" of /master/state.
  auto flags = operatorCall(R"({"type": "GET_FLAGS"})");
  EXPECT_EQ(send(master, flags, basic("viewer", "viewer-secret")).status, 403);
  EXPECT_EQ(send(master, flags, basic("ops", "ops-secret")).status, 200);
  EXPECT_EQ(
      send(master, {.method = "GET", .path = "/flags"}, basic("viewer", "viewer-secret")).status,
      403);
  auto state =
      send(master, {.method = "GET", .path = "/master/state"}, basic("viewer", "viewer-secret"));
  EXPECT_EQ(state.status, 200);
  EXPECT_EQ(state.body.find("\"flags\""), std::string::npos);
  EXPECT_NE(send(master, {.method = "GET", .path = "/master/state"}, basic("ops", "ops-secret"))
                .body.find("\"flags\""),
            std::string::npos);

  // Teardown, by the framework's principal: viewer may not, ops may.
  Scheduler scheduler(master, http::ContentType::kJson);
  scheduler.setAuthorization(basic("fw", "fw-secret"));
  ASSERT_TRUE(scheduler.subscribe(framework("victim", "fw", "alice")));
  auto teardown = operatorCall(
      fmt::format(R"({{"type": "TEARDOWN", "teardown": {{"framework_id": {{"value": "{}"}}}}}})",
                  scheduler.frameworkId()));
  EXPECT_EQ(send(master, teardown, basic("viewer", "viewer-secret")).status, 403);
  EXPECT_EQ(send(master,
                 {.method = "POST",
                  .path = "/master/teardown",
                  .headers = {{"content-type", "application/x-www-form-urlencoded"}},
                  .body = "frameworkId=" + scheduler.frameworkId()},
                 basic("viewer", "viewer-secret"))
                .status,
            403);
  EXPECT_EQ(send(master, teardown, basic("ops", "ops-secret")).status, 200);
}

TEST_F(AclsTest, StateEndpointsShowEachPrincipalOnlyWhatItMayView) {
  Cluster cluster(flags_, basic("ops", "ops-secret"));
  cluster.addAgent("cpus:2;mem:512");
  const auto master = cluster.master();
  // fw's framework runs as alice, other's as bob; both tasks run as alice (run_tasks).
  Scheduler alice(master, http::ContentType::kJson);
  alice.setAuthorization(basic("fw", "fw-secret"));
  ASSERT_TRUE(
      firstUpdateAs(alice, framework("alice-framework", "fw", "alice"), "alice-task", "alice")
          .has_value());
  // bob's framework runs a task as alice: viewer may view alice's tasks, but not bob's
  // framework, so not its task either.
  Scheduler bob(master, http::ContentType::kJson);
  bob.setAuthorization(basic("other", "other-secret"));
  auto bob_update =
      firstUpdateAs(bob, framework("bob-framework", "other", "bob"), "bob-task", "alice");
  ASSERT_TRUE(bob_update.has_value());
  EXPECT_NE(bob_update->state(), v1::TASK_ERROR) << bob_update->message();

  const std::string viewer = basic("viewer", "viewer-secret");
  const std::string ops = basic("ops", "ops-secret");
  for (const char* path : {"/master/state", "/master/frameworks", "/master/state-summary"}) {
    SCOPED_TRACE(path);
    auto seen = send(master, {.method = "GET", .path = path}, viewer);
    EXPECT_EQ(seen.status, 200);
    EXPECT_NE(seen.body.find("alice-framework"), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find("bob-framework"), std::string::npos) << seen.body;
    auto all = send(master, {.method = "GET", .path = path}, ops);
    EXPECT_NE(all.body.find("bob-framework"), std::string::npos) << all.body;
  }
  auto frameworks = send(master, operatorCall(R"({"type": "GET_FRAMEWORKS"})"), viewer);
  EXPECT_EQ(frameworks.status, 200);
  EXPECT_NE(frameworks.body.find("alice-framework"), std::string::npos);
  EXPECT_EQ(frameworks.body.find("bob-framework"), std::string::npos);

  for (const auto& request :
       {operatorCall(R"({"type": "GET_TASKS"})"), operatorCall(R"({"type": "GET_STATE"})"),
        http::ClientRequest{.method = "GET", .path = "/master/tasks"}}) {
    SCOPED_TRACE(request.path + " " + request.body);
    auto seen = send(master, request, viewer);
    EXPECT_EQ(seen.status, 200);
    EXPECT_NE(seen.body.find("alice-task"), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find("bob-task"), std::string::npos) << seen.body;
    EXPECT_NE(send(master, request, ops).body.find("bob-task"), std::string::npos);
  }
  // The operator event stream: its snapshot leaves bob's framework and task out too.
  auto subscribe = operatorCall(R"({"type": "SUBSCRIBE"})");
  subscribe.headers["authorization"] = viewer;
  auto stream = http::BlockingStream::open(master, std::move(subscribe), 10s);
  ASSERT_TRUE(stream.has_value());
  std::string snapshot;
  EXPECT_TRUE(eventually([&] {
    if (auto data = (*stream)->read(1s)) {
      snapshot += *data;
    }
    return snapshot.find("heartbeat_interval_seconds") != std::string::npos;
  }));
  EXPECT_NE(snapshot.find("alice-task"), std::string::npos) << snapshot;
  EXPECT_EQ(snapshot.find("bob-task"), std::string::npos) << snapshot;
  EXPECT_EQ(snapshot.find("bob-framework"), std::string::npos) << snapshot;
}

TEST_F(AclsTest, ReservationsShowOnlyToThoseWhoMayViewTheirRole) {
  Cluster cluster(flags_, basic("ops", "ops-secret"));
  cluster.addAgent("cpus:1;cpus(eng):0.5;cpus(finance):0.5;mem:512");
  const auto master = cluster.master();
  const std::string viewer = basic("viewer", "viewer-secret");
  const std::string ops = basic("ops", "ops-secret");
  for (const auto& request :
       {http::ClientRequest{.method = "GET", .path = "/master/state"},
        http::ClientRequest{.method = "GET", .path = "/master/slaves"},
        operatorCall(R"({"type": "GET_AGENTS"})"), operatorCall(R"({"type": "GET_STATE"})")}) {
    SCOPED_TRACE(request.path + " " + request.body);
    auto seen = send(master, request, viewer);
    EXPECT_EQ(seen.status, 200);
    EXPECT_NE(seen.body.find("\"eng\""), std::string::npos) << seen.body;
    EXPECT_EQ(seen.body.find("finance"), std::string::npos) << seen.body;
    auto all = send(master, request, ops);
    EXPECT_NE(all.body.find("\"finance\""), std::string::npos) << all.body;
  }
}

TEST_F(AclsTest, TheAgentGuardsItsFlagsAndSandboxesByItsOwnAcls) {
  std::string agent_acls = secrets_.write("agent-acls.json", R"({
    "view_flags": [{"principals": {"values": ["ops"]}, "flags": {"type": "ANY"}},
                   {"principals": {"type": "ANY"}, "flags": {"type": "NONE"}}],
    "access_sandboxes": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
                         {"principals": {"type": "ANY"}, "users": {"type": "NONE"}}]})");
  Cluster cluster(flags_, basic("ops", "ops-secret"));
  cluster.addAgent("cpus:2;mem:512",
                   {"--acls=file://" + agent_acls, "--http_credentials=" + credentials_,
                    "--authenticate_http_readonly", "--authenticate_http_readwrite"});
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  scheduler.setAuthorization(basic("fw", "fw-secret"));
  auto running =
      firstUpdateAs(scheduler, framework("sandboxed", "fw", "alice"), "in-sandbox", "alice");
  ASSERT_TRUE(running.has_value());
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();

  const auto agent = cluster.agentEndpoint(0);
  const std::string viewer = basic("viewer", "viewer-secret");
  const std::string ops = basic("ops", "ops-secret");
  auto flags = send(agent, {.method = "GET", .path = "/flags"}, viewer);
  EXPECT_EQ(flags.status, 403);
  EXPECT_NE(flags.body.find("'view_flags'"), std::string::npos) << flags.body;
  EXPECT_EQ(send(agent, {.method = "GET", .path = "/flags"}, ops).status, 200);
  http::ClientRequest browse{
      .method = "GET",
      .path = "/files/browse?path=" + http::urlEncode("/frameworks/" + scheduler.frameworkId() +
                                                      "/executors/in-sandbox/runs/latest")};
  auto refused = send(agent, browse, viewer);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("'access_sandboxes'"), std::string::npos) << refused.body;
  EXPECT_EQ(send(agent, browse, ops).status, 200);
  // The same sandbox through the agent's operator API.
  auto list = operatorCall(fmt::format(
      R"({{"type": "LIST_FILES", "list_files": {{"path": "/frameworks/{}/executors/in-sandbox/runs/latest"}}}})",
      scheduler.frameworkId()));
  auto listed = send(agent, list, viewer);
  EXPECT_EQ(listed.status, 403) << listed.body;
  EXPECT_NE(listed.body.find("'access_sandboxes'"), std::string::npos) << listed.body;
  EXPECT_EQ(send(agent, list, ops).status, 200);
}

TEST_F(AclsTest, ABadAclsFileDoesNotStartAndNamesTheFile) {
  const std::string dir = secrets_.path();
  std::string broken =
      secrets_.write("broken-acls.json", "{\"run_tasks\": [\n  {\"principals\": }]}");
  std::string error = startupError({"--acls=file://" + broken}, dir);
  EXPECT_NE(error.find(broken), std::string::npos) << error;
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  std::string missing = startupError({"--acls=file://" + dir + "/nowhere.json"}, dir);
  EXPECT_NE(missing.find(dir + "/nowhere.json"), std::string::npos) << missing;
  std::string shape =
      startupError({R"(--acls={"run_tasks": [{"principals": {"type": "ANY"}}]})"}, dir);
  EXPECT_NE(shape.find("run_tasks[0] lacks its required 'users'"), std::string::npos) << shape;
}

}  // namespace
}  // namespace plateau::testing
