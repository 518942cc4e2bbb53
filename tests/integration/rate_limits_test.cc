// --rate_limits on a real master (docs/security.md, "Rate limits"): a principal over its qps
// has its calls spaced out, up to its capacity, then answered 429 with Retry-After and Mesos's
// "capacity exceeded" message; meanwhile another principal's calls and /health go through.

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "integration/auth_helpers.h"

namespace plateau::testing {
namespace {

constexpr const char* kCredentials = R"({"credentials": [
  {"principal": "flood", "secret": "flood-secret"},
  {"principal": "calm", "secret": "calm-secret"},
  {"principal": "ops", "secret": "ops-secret"},
  {"principal": "ops2", "secret": "ops2-secret"}]})";

// "flood" and "ops" get one call a second with one waiting; everyone else is not limited.
constexpr const char* kLimits = R"({"limits": [
  {"principal": "flood", "qps": 1, "capacity": 1},
  {"principal": "ops", "qps": 1, "capacity": 1},
  {"principal": "calm"}]})";

v1::FrameworkInfo framework(const std::string& principal) {
  v1::FrameworkInfo info;
  info.set_name("rate-limits-" + principal);
  info.set_user("nobody");
  info.set_principal(principal);
  return info;
}

http::ClientRequest revive(const Scheduler& scheduler, const std::string& authorization) {
  scheduler::Call call;
  call.set_type(scheduler::Call::REVIVE);
  call.mutable_framework_id()->set_value(scheduler.frameworkId());
  return {.method = "POST",
          .path = "/api/v1/scheduler",
          .headers = {{"content-type", "application/json"},
                      {"mesos-stream-id", scheduler.streamId()},
                      {"authorization", authorization}},
          .body = http::encode(call, http::ContentType::kJson)};
}

http::ClientRequest getHealth(const std::string& authorization) {
  return {.method = "POST",
          .path = "/api/v1",
          .headers = {{"content-type", "application/json"},
                      {"accept", "application/json"},
                      {"authorization", authorization}},
          .body = R"({"type": "GET_HEALTH"})"};
}

struct Outcome {
  int status = 0;
  std::string retry_after;
  std::string body;
  std::chrono::steady_clock::duration took{};
};

// Sends `count` copies of `request` at once, each on its own connection.
std::vector<Outcome> burst(const http::Endpoint& master, const http::ClientRequest& request,
                           int count) {
  std::vector<std::future<Outcome>> pending;
  for (int i = 0; i < count; i++) {
    pending.push_back(std::async(std::launch::async, [&master, request] {
      auto start = std::chrono::steady_clock::now();
      auto r = http::fetchSync(master, request, 20s);
      Outcome out;
      out.took = std::chrono::steady_clock::now() - start;
      if (r) {
        out.status = r->status;
        out.retry_after = r->header("retry-after");
        out.body = r->body;
      }
      return out;
    }));
  }
  std::vector<Outcome> outcomes;
  for (auto& p : pending) {
    outcomes.push_back(p.get());
  }
  return outcomes;
}

// Checks a burst of 6 against qps 1, capacity 1: at most two served (one at once, one a second
// later), the rest refused as Mesos words it, with a retry hint.
void expectThrottled(const std::vector<Outcome>& outcomes, int served_status,
                     const std::string& call) {
  int served = 0;
  int refused = 0;
  for (const auto& o : outcomes) {
    if (o.status == served_status) {
      served++;
    } else {
      ASSERT_EQ(o.status, 429) << o.body;
      refused++;
      EXPECT_NE(o.body.find(fmt::format("Message {} dropped: capacity(1) exceeded", call)),
                std::string::npos)
          << o.body;
      EXPECT_GE(std::stoi(o.retry_after), 1);
    }
  }
  EXPECT_GE(served, 1);
  EXPECT_LE(served, 2);
  EXPECT_GE(refused, 4);
  // The one that waited was held for its turn, one interval after the other.
  if (served == 2) {
    auto slowest =
        std::max_element(outcomes.begin(), outcomes.end(), [served_status](auto& a, auto& b) {
          return (a.status == served_status ? a.took : std::chrono::steady_clock::duration{}) <
                 (b.status == served_status ? b.took : std::chrono::steady_clock::duration{});
        });
    EXPECT_GE(slowest->took, 900ms);
  }
}

class RateLimitsTest : public ::testing::Test {
 protected:
  SecretsDir secrets_;
  std::string credentials_ = secrets_.write("credentials", kCredentials);
  std::string limits_ = secrets_.write("limits", kLimits);
};

TEST_F(RateLimitsTest, APrincipalOverItsRateGets429WhileOthersAndHealthGoThrough) {
  Cluster cluster({"--credentials=" + credentials_, "--authenticate_http_frameworks",
                   "--http_framework_authenticators=basic", "--authenticate_http_readwrite",
                   "--rate_limits=" + limits_},
                  basic("ops2", "ops2-secret"));
  const auto master = cluster.master();
  Scheduler flood(master, http::ContentType::kJson);
  flood.setAuthorization(basic("flood", "flood-secret"));
  ASSERT_TRUE(flood.subscribe(framework("flood")));
  Scheduler calm(master, http::ContentType::kJson);
  calm.setAuthorization(basic("calm", "calm-secret"));
  ASSERT_TRUE(calm.subscribe(framework("calm")));

  // While the flood's calls wait or are refused, the others' are served at once.
  auto flooding = std::async(std::launch::async, [&] {
    return burst(master, revive(flood, basic("flood", "flood-secret")), 6);
  });
  ASSERT_TRUE(eventually([&] {
    return cluster.get("/metrics/snapshot").find("\"master/dropped_messages\":0") ==
           std::string::npos;
  })) << "no call of the flood was refused";
  for (int i = 0; i < 5; i++) {
    EXPECT_EQ(send(master, revive(calm, basic("calm", "calm-secret"))).status, 202);
    EXPECT_EQ(send(master, {.method = "GET", .path = "/health"}).status, 200);
    EXPECT_EQ(send(master, getHealth(basic("ops2", "ops2-secret"))).status, 200);
  }
  expectThrottled(flooding.get(), 202, "REVIVE");

  // The operator API, per authenticated principal.
  expectThrottled(burst(master, getHealth(basic("ops", "ops-secret")), 6), 200, "GET_HEALTH");
  EXPECT_EQ(send(master, getHealth(basic("ops2", "ops2-secret"))).status, 200);
}

TEST_F(RateLimitsTest, FrameworksWithoutALimitShareTheAggregateDefault) {
  std::string limits =
      secrets_.write("aggregate",
                     R"({"limits": [{"principal": "calm"}], "aggregate_default_qps": 1,
          "aggregate_default_capacity": 1})");
  // No authentication: the principal is the one the framework subscribed with.
  Cluster cluster({"--rate_limits=" + limits});
  const auto master = cluster.master();
  Scheduler anonymous(master, http::ContentType::kJson);
  v1::FrameworkInfo info = framework("");
  info.clear_principal();
  ASSERT_TRUE(anonymous.subscribe(info));
  Scheduler calm(master, http::ContentType::kJson);
  ASSERT_TRUE(calm.subscribe(framework("calm")));

  expectThrottled(burst(master, revive(anonymous, ""), 6), 202, "REVIVE");
  EXPECT_EQ(send(master, revive(calm, "")).status, 202);
  // Operators without a principal share the aggregate too (once its queue has drained).
  ASSERT_TRUE(eventually([&] { return send(master, getHealth("")).status == 200; }));
  expectThrottled(burst(master, getHealth(""), 6), 200, "GET_HEALTH");
}

// Mesos's frameworks/<principal>/messages_received and messages_processed: every scheduler call
// of the principal is received; those refused past the capacity are never processed.
TEST_F(RateLimitsTest, EachFrameworkPrincipalCountsItsMessagesReceivedAndProcessed) {
  Cluster cluster({"--rate_limits=" + limits_});
  const auto master = cluster.master();
  Scheduler flood(master, http::ContentType::kJson);
  ASSERT_TRUE(flood.subscribe(framework("flood")));
  auto outcomes = burst(master, revive(flood, ""), 6);
  const auto refused =
      std::count_if(outcomes.begin(), outcomes.end(), [](auto& o) { return o.status == 429; });
  EXPECT_GE(refused, 4);
  auto value = [](const json::Value& snapshot, const std::string& key) {
    const json::Value* v = snapshot.find(key);
    return v != nullptr && v->isNumber() ? v->asDouble() : -1.0;
  };
  auto snapshot = json::parse(cluster.get("/metrics/snapshot"));
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ(value(*snapshot, "frameworks/flood/messages_received"), 7);  // SUBSCRIBE, 6 REVIVEs
  EXPECT_EQ(value(*snapshot, "frameworks/flood/messages_processed"),
            7 - static_cast<double>(refused));
  EXPECT_EQ(value(*snapshot, "frameworks/calm/messages_received"), -1);  // no framework of it
}

TEST_F(RateLimitsTest, ABadValueDoesNotStartTheMaster) {
  std::string bad = secrets_.write("bad", R"({"limits": [{"principal": "a", "qps": -1}]})");
  std::vector<std::string> argv = {
      std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--ip=127.0.0.1", "--port=0",
      "--work_dir=" + secrets_.path() + "/work", "--rate_limits=" + bad};
  Process master("master", argv, secrets_.path() + "/refused.log");
  ASSERT_EQ(master.reportedPort("master_started", 5s), 0);
  int status = master.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(master.log().find("--rate_limits: limits[0]: qps must be a positive number"),
            std::string::npos)
      << master.log();
}

}  // namespace
}  // namespace plateau::testing
