// /master/state and the operator API's GET_STATE are rendered by a forked child that writes the
// HTTP response straight to the client's socket (master/forked_render.h): the answer must arrive
// whole, with a content-length that matches, and the connection must go on serving requests
// afterwards (keep-alive) or close as asked; a client that leaves mid-answer costs nothing else.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "fakes/raw_connection.h"
#include "harness.h"
#include "http/content.h"

namespace plateau::testing {
namespace {

namespace operator_api = mesos::v1::master;

constexpr size_t kTasks = 2000;

std::string getRequest(const std::string& path, bool close = false) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n{}\r\n", path,
                     close ? "Connection: close\r\n" : "");
}

size_t runningTasks(const RawConnection::Answer& answer) {
  auto state = json::parse(answer.body);
  if (!state.has_value()) return 0;
  size_t tasks = 0;
  for (const auto& framework : (*state)["frameworks"].asArray()) {
    tasks += framework["tasks"].asArray().size();
  }
  return tasks;
}

class ForkedStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string workload = cluster_.dir() + "/workload.json";
    std::ofstream(workload) << fmt::format(R"({{
      "seed": 3, "duration_seconds": 600, "drain_seconds": 1,
      "agents": [{{"count": 20, "cpus": 64, "mem": 262144}}],
      "frameworks": [{{"count": 2, "name": "long", "task": {{"cpus": 0.1, "mem": 32}},
                      "duration_seconds": 3600, "arrival_rate": 1000,
                      "max_tasks": {}}}]}})",
                                           kTasks / 2);
    sim_ = std::make_unique<Process>(
        "sim",
        std::vector<std::string>{PLATEAU_BIN_DIR "/plateau-sim", "--workload=" + workload,
                                 "--logging_level=error",
                                 fmt::format("--master=127.0.0.1:{}", cluster_.master().port)},
        cluster_.dir() + "/sim.out");
    ASSERT_TRUE(eventually(
        [&] {
          auto metrics = json::parse(cluster_.get("/metrics/snapshot"));
          return metrics.has_value() &&
                 (*metrics)["master/tasks_running"].asDouble() >= static_cast<double>(kTasks);
        },
        120s))
        << sim_->log();
  }

  Cluster cluster_;
  std::unique_ptr<Process> sim_;
};

TEST_F(ForkedStateTest, StateArrivesWholeAndTheConnectionServesTheNextRequests) {
  // A small receive buffer: the child waits on the socket while the test is not reading.
  RawConnection c(cluster_.master().port, 16 << 10);
  ASSERT_TRUE(c.connected());
  c.send(getRequest("/master/state"));
  // Meanwhile the master answers others.
  auto health = http::fetchSync(cluster_.master(), {.method = "GET", .path = "/health"}, 10s);
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    auto state = c.response();
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->head.starts_with("HTTP/1.1 200 OK\r\n")) << state->head;
    EXPECT_NE(state->head.find("content-type: application/json"), std::string::npos);
    ASSERT_EQ(state->body.size(), state->content_length);
    EXPECT_GT(state->body.size(), size_t{500'000});
    EXPECT_EQ(runningTasks(*state), kTasks);
    // The same connection, after the child's answer: the master reads it again.
    c.send(getRequest("/health"));
    auto next = c.response();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(next->head.starts_with("HTTP/1.1 200 OK\r\n")) << next->head;
    if (round == 0) {
      c.send(getRequest("/master/state"));
    }
  }

  // Asked to close: the answer says so, is whole, and the master closes the connection.
  c.send(getRequest("/master/state", true));
  auto last = c.response();
  ASSERT_TRUE(last.has_value());
  EXPECT_NE(last->head.find("connection: close\r\n"), std::string::npos) << last->head;
  ASSERT_EQ(last->body.size(), last->content_length);
  EXPECT_EQ(runningTasks(*last), kTasks);
  EXPECT_TRUE(c.peerClosed(10s));
}

TEST_F(ForkedStateTest, GetStateArrivesWholeOnAKeepAliveConnection) {
  RawConnection c(cluster_.master().port);
  ASSERT_TRUE(c.connected());
  const std::string call = R"({"type":"GET_STATE"})";
  c.send(
      fmt::format("POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Accept: application/json\r\nContent-Length: {}\r\n\r\n{}",
                  call.size(), call));
  auto answer = c.response();
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->head.starts_with("HTTP/1.1 200 OK\r\n")) << answer->head;
  ASSERT_EQ(answer->body.size(), answer->content_length);
  operator_api::Response response;
  ASSERT_TRUE(http::decode(answer->body, http::ContentType::kJson, &response).isOk());
  EXPECT_EQ(static_cast<size_t>(response.get_state().get_tasks().tasks_size()), kTasks);
  c.send(getRequest("/health"));
  auto next = c.response();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->head.starts_with("HTTP/1.1 200 OK\r\n")) << next->head;
}

TEST_F(ForkedStateTest, AClientThatLeavesMidAnswerCostsNothingElse) {
  for (int i = 0; i < 3; ++i) {
    RawConnection c(cluster_.master().port, 4 << 10);
    ASSERT_TRUE(c.connected());
    c.send(getRequest("/master/state"));
    EXPECT_EQ(c.read(1000).size(), 1000u);
  }  // closed with most of the answer unread: each child's write fails and it exits
  auto health = http::fetchSync(cluster_.master(), {.method = "GET", .path = "/health"}, 10s);
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  RawConnection c(cluster_.master().port);
  c.send(getRequest("/master/state"));
  auto state = c.response();
  ASSERT_TRUE(state.has_value());
  ASSERT_EQ(state->body.size(), state->content_length);
  EXPECT_EQ(runningTasks(*state), kTasks);
}

}  // namespace
}  // namespace plateau::testing
