// Agent sessions (a call for an agent counts only from the peer that registered it, with or
// without authentication), operator bearer tokens, and the audit log (docs/security.md).

#include <plateau/agent.pb.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "auth/jwt.h"
#include "common/json.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

http::ClientRequest agentCall(const internal::AgentCall& call) {
  return {.method = "POST",
          .path = "/agent/api/v1",
          .headers = {{"content-type", http::kProtobufMediaType}},
          .body = call.SerializeAsString()};
}

std::string taskState(Cluster& cluster, const std::string& task_id) {
  auto tasks = json::parse(cluster.get("/master/tasks"));
  if (!tasks || tasks->find("tasks") == nullptr) {
    return "";
  }
  for (const auto& task : (*tasks)["tasks"].asArray()) {
    if (task["id"].asString() == task_id) {
      return task["state"].asString();
    }
  }
  return "";
}

TEST(AgentSession, ForgedCallsFromAnotherConnectionAreRefusedAndChangeNothing) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("victim");
  ASSERT_TRUE(scheduler.subscribe(info));
  auto offers = scheduler.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  scheduler.launch(offers->offers().offers(0), "victim-1", "sleep 1000", "cpus:0.5;mem:64");
  auto running = scheduler.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  const std::string agent_id = running->agent_id().value();

  // Someone who knows the agent's id claims the task finished.
  internal::AgentCall forged;
  forged.set_type(internal::AgentCall::STATUS_UPDATE);
  forged.mutable_agent_id()->set_value(agent_id);
  auto* update = forged.mutable_status_update();
  update->mutable_framework_id()->set_value(scheduler.frameworkId());
  auto* status = update->mutable_status();
  status->mutable_task_id()->set_value("victim-1");
  status->set_state(v1::TASK_FINISHED);
  status->mutable_agent_id()->set_value(agent_id);
  status->set_uuid("forged-uuid-0001");
  auto refused = send(cluster.master(), agentCall(forged));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("does not carry the agent's session"), std::string::npos)
      << refused.body;
  forged.set_session("a-guess");
  EXPECT_EQ(send(cluster.master(), agentCall(forged)).status, 403);

  // Nor may it re-register as the connected agent.
  internal::AgentCall reregister;
  reregister.set_type(internal::AgentCall::REGISTER);
  reregister.mutable_register_()->mutable_agent_info()->set_hostname("impostor");
  reregister.mutable_register_()->mutable_agent_info()->mutable_id()->set_value(agent_id);
  EXPECT_EQ(send(cluster.master(), agentCall(reregister)).status, 403);

  // The scheduler hears of no change, and the master's books keep the task running.
  EXPECT_FALSE(scheduler.nextUpdate(1s));
  EXPECT_EQ(taskState(cluster, "victim-1"), "TASK_RUNNING");
  EXPECT_EQ(cluster.registeredAgents(), 1u);

  // The real agent's own calls still count: a kill goes through to TASK_KILLED.
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("victim-1");
  ASSERT_EQ(scheduler.call(kill), 202);
  auto killed = scheduler.nextUpdate();
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
}

json::Value claims(const std::string& sub, int64_t exp) {
  json::Value c(json::Object{});
  c.set("sub", sub);
  c.set("exp", exp);
  return c;
}

TEST(OperatorTokens, SignedTokensAreAcceptedExpiredAndForgedOnesGet401) {
  SecretsDir secrets;
  std::string key = secrets.write("hs256.key", "operator-token-key");
  Cluster cluster({"--authenticate_http_readwrite", "--operator_jwt_secret_key=" + key});
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  http::ClientRequest health{.method = "POST",
                             .path = "/api/v1",
                             .headers = {{"content-type", "application/json"}},
                             .body = R"({"type": "GET_HEALTH"})"};
  auto bearer = [](const std::string& token) { return "Bearer " + token; };

  EXPECT_EQ(send(cluster.master(), health,
                 bearer(auth::signHs256(claims("alice", now + 600), "operator-token-key")))
                .status,
            200);
  auto expired = send(cluster.master(), health,
                      bearer(auth::signHs256(claims("alice", now - 10), "operator-token-key")));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  auto forged = send(cluster.master(), health,
                     bearer(auth::signHs256(claims("alice", now + 600), "another-key")));
  EXPECT_EQ(forged.status, 401);
  EXPECT_NE(forged.body.find("signature is invalid"), std::string::npos) << forged.body;
  EXPECT_EQ(send(cluster.master(), health, bearer("not.a-token")).status, 401);
}

// The audit log's lines, but for the harness's probes ("{}" to the scheduler API: UNKNOWN).
std::vector<json::Value> auditLines(const std::string& path) {
  std::vector<json::Value> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto parsed = json::parse(line);
    EXPECT_TRUE(parsed) << line;
    if (parsed && (*parsed)["call"].asString() != "UNKNOWN") {
      out.push_back(std::move(*parsed));
    }
  }
  return out;
}

TEST(AuditLog, EveryWriteCallIsOneJsonLine) {
  SecretsDir secrets;
  std::string credentials =
      secrets.write("credentials", R"({"credentials": [{"principal": "ops", "secret": "s1"},
                                          {"principal": "fw", "secret": "s2"}]})");
  std::string audit = secrets.path() + "/audit.log";
  Cluster cluster({"--credentials=" + credentials, "--authenticate_http_readwrite",
                   "--authenticate_frameworks", "--audit_log=" + audit},
                  basic("fw", "s2"));
  Scheduler scheduler(cluster.master(), http::ContentType::kJson);
  scheduler.setAuthorization(basic("fw", "s2"));
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("audited");
  info.set_principal("fw");
  ASSERT_TRUE(scheduler.subscribe(info));
  http::ClientRequest weights{
      .method = "POST",
      .path = "/api/v1",
      .headers = {{"content-type", "application/json"}},
      .body = R"({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [
                    {"role": "eng", "weight": 2.0}]}})"};
  EXPECT_EQ(send(cluster.master(), weights, basic("ops", "s1")).status, 200);
  EXPECT_EQ(send(cluster.master(), weights).status, 401);
  http::ClientRequest read{.method = "POST",
                           .path = "/api/v1",
                           .headers = {{"content-type", "application/json"}},
                           .body = R"({"type": "GET_HEALTH"})"};
  EXPECT_EQ(send(cluster.master(), read, basic("ops", "s1")).status, 200);

  std::vector<json::Value> lines;
  ASSERT_TRUE(eventually([&] {
    lines = auditLines(audit);
    return lines.size() >= 3;
  })) << lines.size();
  ASSERT_EQ(lines.size(), 3u) << "reads are not audited";
  EXPECT_EQ(lines[0]["call"].asString(), "SUBSCRIBE");
  EXPECT_EQ(lines[0]["principal"].asString(), "fw");
  EXPECT_EQ(lines[0]["outcome"].asDouble(), 200);
  EXPECT_EQ(lines[1]["call"].asString(), "UPDATE_WEIGHTS");
  EXPECT_EQ(lines[1]["principal"].asString(), "ops");
  EXPECT_EQ(lines[1]["outcome"].asDouble(), 200);
  EXPECT_TRUE(lines[1]["source"].asString().starts_with("127.0.0.1:")) << json::stringify(lines[1]);
  EXPECT_EQ(lines[2]["call"].asString(), "UPDATE_WEIGHTS");
  EXPECT_EQ(lines[2]["principal"].asString(), "");
  EXPECT_EQ(lines[2]["outcome"].asDouble(), 401);
  for (const auto& line : lines) {
    EXPECT_TRUE(line["time"].isNumber());
    EXPECT_TRUE(line.find("target") != nullptr);
  }
}

}  // namespace
}  // namespace plateau::testing
