// The per-client bounds on a real master (docs/security.md, "Per-client limits"): a client
// flooding the state endpoints (from 127.0.0.2) is answered 429 with Retry-After past its burst
// while another address, /health and another principal go through, each refusal counted in the
// master's and the agent's metrics; and an agent held to a tiny --agent_call_qps still delivers
// every status update, resending what was refused.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "common/json.h"
#include "common/task_state.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

// The master's counter of requests answered 429 by the per-client bounds.
double requestsLimited(Cluster& cluster) {
  auto metrics = json::parse(cluster.get("/metrics/snapshot"));
  return metrics ? (*metrics)["master/requests_limited"].asDouble() : -1;
}

http::Endpoint from(http::Endpoint endpoint, const std::string& source) {
  endpoint.source = source;
  return endpoint;
}

// What `n` requests in a row got: how many were served (200), and the last refusal (status 0
// when none); any other status is recorded as `unexpected`.
struct Flood {
  int served = 0;
  int unexpected = 0;
  http::Response refused;
};

Flood flood(const http::Endpoint& from, const http::ClientRequest& request, int n) {
  Flood result;
  for (int i = 0; i < n; i++) {
    http::Response r = send(from, request);
    if (r.status == 200) {
      result.served++;
    } else if (r.status == 429) {
      result.refused = r;
    } else {
      result.unexpected++;
    }
  }
  return result;
}

TEST(ClientLimitsTest, FloodFromOneAddressIsRefusedPastItsBurstWhileOthersAreServed) {
  Cluster cluster({"--client_request_qps=2", "--client_request_capacity=10"});
  const http::Endpoint flooder = from(cluster.master(), "127.0.0.2");
  http::ClientRequest state{.method = "GET", .path = "/master/state"};

  auto start = std::chrono::steady_clock::now();
  Flood result = flood(flooder, state, 40);
  ASSERT_EQ(result.unexpected, 0);
  const int served = result.served;
  const http::Response& refused = result.refused;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The burst, plus what the rate refilled meanwhile.
  EXPECT_GE(served, 10);
  EXPECT_LE(served, 10 + static_cast<int>(2 * elapsed) + 1);
  ASSERT_EQ(refused.status, 429);
  EXPECT_GE(std::stoi(refused.header("retry-after")), 1);
  EXPECT_NE(refused.body.find("Too many requests from address 127.0.0.2"), std::string::npos)
      << refused.body;
  EXPECT_NE(refused.body.find("--client_request_qps"), std::string::npos) << refused.body;

  // The operator API counts against the same client; /health never does.
  http::ClientRequest health_call{.method = "POST",
                                  .path = "/api/v1",
                                  .headers = {{"content-type", "application/json"}},
                                  .body = R"({"type": "GET_HEALTH"})"};
  EXPECT_EQ(send(flooder, health_call).status, 429);
  EXPECT_EQ(send(flooder, {.method = "GET", .path = "/health"}).status, 200);
  // Another address is served as if nothing happened.
  EXPECT_EQ(send(cluster.master(), state).status, 200);
  EXPECT_EQ(send(cluster.master(), health_call).status, 200);
  EXPECT_GE(requestsLimited(cluster), 31);
  // After Retry-After the flooder is served again.
  EXPECT_TRUE(eventually([&] { return send(flooder, state).status == 200; }, 5s));
}

TEST(ClientLimitsTest, TheAgentRefusesAFloodingClientButNeverItsExecutors) {
  Cluster cluster;
  const size_t agent = cluster.addAgent(
      "cpus:1;mem:256", {"--client_request_qps=0.2", "--client_request_capacity=5"});
  // The flood comes from 127.0.0.1, the address the agent's executors call it from.
  const http::Endpoint flooder = cluster.agentEndpoint(agent);
  http::ClientRequest state{.method = "GET", .path = "/state"};
  Flood result = flood(flooder, state, 20);
  ASSERT_EQ(result.unexpected, 0);
  EXPECT_GE(result.served, 5);
  EXPECT_LT(result.served, 20);
  const http::Response& refused = result.refused;
  ASSERT_EQ(refused.status, 429);
  EXPECT_GE(std::stoi(refused.header("retry-after")), 1);
  EXPECT_NE(refused.body.find("Too many requests from address 127.0.0.1"), std::string::npos)
      << refused.body;
  // /health is open and another address is served.
  EXPECT_EQ(send(flooder, {.method = "GET", .path = "/health"}).status, 200);
  const http::Endpoint other = from(flooder, "127.0.0.2");
  EXPECT_EQ(send(other, state).status, 200);
  // Each refusal counted, in the snapshot and in Prometheus's text.
  const int refusals = 20 - result.served;
  auto metrics = json::parse(send(other, {.method = "GET", .path = "/metrics/snapshot"}).body);
  ASSERT_TRUE(metrics);
  EXPECT_EQ((*metrics)["slave/requests_limited"].asDouble(), refusals);
  std::string prometheus = send(other, {.method = "GET", .path = "/metrics"}).body;
  EXPECT_NE(prometheus.find(fmt::format("\nplateau_agent_requests_limited_total {}\n", refusals)),
            std::string::npos)
      << prometheus;
  // The executor of a task launched now subscribes and sends its updates from 127.0.0.1, whose
  // bucket is empty: it is the agent's own work, never limited, and the task runs to its end.
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("agent-client-limits");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS, 30s);
  ASSERT_TRUE(offers.has_value());
  s.launch(offers->offers().offers(0), "past-the-flood", "true", "cpus:0.1;mem:16");
  std::optional<v1::TaskStatus> update;
  do {
    update = s.nextUpdate(30s);
    ASSERT_TRUE(update.has_value());
  } while (!isTerminal(update->state()));
  EXPECT_EQ(update->state(), v1::TASK_FINISHED) << update->message();
}

TEST(ClientLimitsTest, AnAuthenticatedClientCountsUnderItsPrincipal) {
  SecretsDir secrets;
  std::string credentials = secrets.write("credentials", R"({"credentials": [
    {"principal": "flood", "secret": "flood-secret"},
    {"principal": "ops", "secret": "ops-secret"}]})");
  const std::string ops = basic("ops", "ops-secret");
  Cluster cluster({"--credentials=" + credentials, "--authenticate_http_readonly",
                   "--client_request_qps=1", "--client_request_capacity=3"},
                  ops);
  http::ClientRequest state{.method = "GET", .path = "/master/state"};
  const std::string flood = basic("flood", "flood-secret");
  int refused = 0;
  for (int i = 0; i < 10; i++) {
    refused += send(cluster.master(), state, flood).status == 429 ? 1 : 0;
  }
  EXPECT_GE(refused, 5);
  // Same address, another principal: its own bucket.
  EXPECT_EQ(send(cluster.master(), state, ops).status, 200);
  // A wrong credential is answered 401 before it is counted.
  EXPECT_EQ(send(cluster.master(), state, basic("ops", "wrong")).status, 401);
  auto limited = send(cluster.master(), state, flood);
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("principal flood"), std::string::npos) << limited.body;
}

TEST(ClientLimitsTest, AgentResendsStatusUpdatesTheMasterRefused) {
  // Two calls a second with a burst of three: a task's updates and the executor's exit come
  // faster than that, so some are refused and must be sent again.
  Cluster cluster({"--agent_call_qps=2", "--agent_call_capacity=3"});
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("client-limits");
  ASSERT_TRUE(s.subscribe(info));
  std::set<std::string> finished;
  for (int round = 0; round < 3; round++) {
    auto offers = s.next(scheduler::Event::OFFERS, 30s);
    ASSERT_TRUE(offers.has_value());
    s.launch(offers->offers().offers(0), fmt::format("t{}", round), "true", "cpus:0.1;mem:16");
  }
  while (finished.size() < 3) {
    auto update = s.nextUpdate(60s);
    ASSERT_TRUE(update.has_value()) << "finished " << finished.size() << " of 3 tasks";
    ASSERT_NE(update->state(), v1::TASK_FAILED) << update->message();
    ASSERT_NE(update->state(), v1::TASK_LOST) << update->message();
    if (update->state() == v1::TASK_FINISHED) {
      finished.insert(update->task_id().value());
    }
  }
  EXPECT_GT(requestsLimited(cluster), 0);
  EXPECT_NE(cluster.agent(0).log().find("master_call_rate_limited"), std::string::npos);
}

}  // namespace
}  // namespace plateau::testing
