// CallPipe against a real HTTP server on loopback: refusals (429, 503) are sent again until
// answered, other answers end the call; the lanes leave in their order.
#include <gtest/gtest.h>

#include "http/server.h"
#include "sim/links.h"

namespace plateau::sim {
namespace {

using namespace std::chrono_literals;

struct Served {
  EventLoop loop;
  std::vector<int> answers;  // what each request gets, in turn; 200 once they run out
  size_t requests = 0;
  http::Server server{loop, [this](http::Request&, http::Responder responder) {
                        const int status = requests < answers.size() ? answers[requests] : 200;
                        requests++;
                        http::Response response = http::Response::text(status, "x");
                        if (status == 429) {
                          response.headers["retry-after"] = "0";
                        }
                        responder.respond(std::move(response));
                      }};

  Result<int> call(LinkStats& stats) {
    auto port = server.listen("127.0.0.1", 0);
    EXPECT_TRUE(port.has_value());
    Leader leader(http::Endpoint{.host = "127.0.0.1", .port = *port});
    CallPipe pipe(loop, leader, 4, stats);
    std::optional<Result<int>> done;
    pipe.send({.method = "POST", .path = "/api", .headers = {}, .body = "call"},
              [&](Result<int> r) { done = std::move(r); });
    loop.runUntil([&] { return done.has_value(); }, 20s);
    EXPECT_TRUE(done.has_value());
    EXPECT_EQ(pipe.queued(), 0u);
    return done.value_or(Result<int>(0));
  }
};

TEST(CallPipeTest, RefusedCallsAreSentAgainUntilAnswered) {
  Served served;
  served.answers = {429, 503, 429};
  LinkStats stats;
  Result<int> status = served.call(stats);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(served.requests, 4u);
  EXPECT_EQ(stats.calls_refused, 3);
  EXPECT_EQ(stats.calls_retried, 3);
  EXPECT_EQ(stats.calls_rejected, 0);
}

TEST(CallPipeTest, OtherAnswersEndTheCall) {
  Served served;
  served.answers = {400};
  LinkStats stats;
  Result<int> status = served.call(stats);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 400);
  EXPECT_EQ(served.requests, 1u);
  EXPECT_EQ(stats.calls_refused, 0);
  EXPECT_EQ(stats.calls_rejected, 1);
}

TEST(CallPipeTest, PriorityLaneThenSchedulersLaneThenTheRest) {
  EventLoop loop;
  std::vector<std::string> bodies;  // in the order the server got them
  http::Server server{loop, [&](http::Request& request, http::Responder responder) {
                        bodies.push_back(request.body);
                        responder.respond(http::Response::text(202, ""));
                      }};
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  Leader leader(http::Endpoint{.host = "127.0.0.1", .port = *port});
  LinkStats stats;
  CallPipe pipe(loop, leader, 1, stats);  // one at a time: the rest wait in their lanes
  auto post = [](std::string body) {
    return http::ClientRequest{.method = "POST", .path = "/api", .headers = {}, .body = body};
  };
  pipe.send(post("update-1"), nullptr);  // leaves at once
  pipe.send(post("update-2"), nullptr);
  pipe.sendAhead(post("ack-1"), loop.clock().now());
  pipe.send(post("update-3"), nullptr);
  pipe.sendAhead(post("ack-2"), loop.clock().now());
  pipe.sendFirst(post("heartbeat"));
  loop.runUntil([&] { return bodies.size() == 6; }, 20s);
  EXPECT_EQ(bodies, (std::vector<std::string>{"update-1", "heartbeat", "ack-1", "ack-2", "update-2",
                                              "update-3"}));
  EXPECT_EQ(pipe.queued(), 0u);
}

}  // namespace
}  // namespace plateau::sim
