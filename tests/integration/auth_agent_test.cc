// The agent's authentication (docs/security.md): its read-only and read-write realms, and the
// executor realm where each executor proves itself with the token the agent gave it.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "auth/jwt.h"
#include "common/json.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

http::ClientRequest executorSubscribe(const std::string& framework_id,
                                      const std::string& executor_id) {
  return {.method = "POST",
          .path = "/api/v1/executor",
          .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
          .body = fmt::format(R"({{"type": "SUBSCRIBE", "framework_id": {{"value": "{}"}},
                                  "executor_id": {{"value": "{}"}}, "subscribe": {{}}}})",
                              framework_id, executor_id)};
}

TEST(AgentAuth, RealmsRefuseStrangersAndExecutorsUseTheirTokens) {
  SecretsDir secrets;
  std::string credentials = secrets.write(
      "http_credentials", R"({"credentials": [{"principal": "ops", "secret": "agent-ops"}]})");
  std::string key = secrets.write("jwt.key", "executor-signing-key");
  Cluster cluster;
  size_t i = cluster.addAgent("cpus:2;mem:512",
                              {"--http_credentials=" + credentials, "--authenticate_http_readonly",
                               "--authenticate_http_readwrite", "--authenticate_http_executors",
                               "--jwt_secret_key=" + key});
  const auto agent = cluster.agentEndpoint(i);

  EXPECT_EQ(send(agent, {.method = "GET", .path = "/health"}).status, 200);
  auto state = send(agent, {.method = "GET", .path = "/state"});
  EXPECT_EQ(state.status, 401);
  EXPECT_EQ(state.header("www-authenticate"), "Basic realm=\"mesos-agent-readonly\"");
  EXPECT_EQ(send(agent, {.method = "GET", .path = "/state"}, basic("ops", "wrong")).status, 401);
  EXPECT_EQ(send(agent, {.method = "GET", .path = "/state"}, basic("ops", "agent-ops")).status,
            200);
  http::ClientRequest health{.method = "POST",
                             .path = "/api/v1",
                             .headers = {{"content-type", "application/json"}},
                             .body = R"({"type": "GET_HEALTH"})"};
  auto rw = send(agent, health);
  EXPECT_EQ(rw.status, 401);
  EXPECT_EQ(rw.header("www-authenticate"), "Basic realm=\"mesos-agent-readwrite\"");
  EXPECT_EQ(send(agent, health, basic("ops", "agent-ops")).status, 200);

  // The built-in executor sends its token: the task runs.
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("tokens");
  ASSERT_TRUE(scheduler.subscribe(info));
  auto offers = scheduler.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  scheduler.launch(offers->offers().offers(0), "token-1", "sleep 1000", "cpus:0.5;mem:64");
  auto running = scheduler.nextUpdate();
  ASSERT_TRUE(running);
  EXPECT_EQ(running->state(), v1::TASK_RUNNING) << running->message();

  // Without a token, or with a token of another executor, the executor API refuses.
  auto call = executorSubscribe(scheduler.frameworkId(), "token-1");
  auto missing = send(agent, call);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.header("www-authenticate"), "Bearer realm=\"mesos-agent-executor\"");
  json::Value other(json::Object{});
  other.set("fid", scheduler.frameworkId());
  other.set("eid", "someone-else");
  other.set("cid", "c");
  auto foreign = send(agent, call, "Bearer " + auth::signHs256(other, "executor-signing-key"));
  EXPECT_EQ(foreign.status, 403) << foreign.body;
  EXPECT_EQ(send(agent, call, "Bearer " + auth::signHs256(other, "not-the-key")).status, 401);

  // As in Mesos, an executor's token also opens the agent's other realms (its operator API).
  EXPECT_EQ(send(agent, health, "Bearer " + auth::signHs256(other, "executor-signing-key")).status,
            200);
  EXPECT_EQ(send(agent, health, "Bearer " + auth::signHs256(other, "not-the-key")).status, 401);
}

TEST(AgentAuth, ExecutorAuthenticationNeedsAKey) {
  SecretsDir secrets;
  std::vector<std::string> argv = {
      std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1", "--port=0",
      "--work_dir=" + secrets.path() + "/work", "--authenticate_http_executors"};
  Process agent("agent", argv, secrets.path() + "/agent.log");
  agent.wait();
  EXPECT_NE(agent.log().find("'--jwt_secret_key' must be given"), std::string::npos) << agent.log();
}

}  // namespace
}  // namespace plateau::testing
