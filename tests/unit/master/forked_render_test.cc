#include "master/forked_render.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/fake_http.h"
#include "fakes/raw_connection.h"
#include "fakes/serve_client.h"
#include "http/server.h"
#include "http/socket_loan.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;

TEST(ForkedRenderTest, AResponseSurvivesTheWireBetweenChildAndParent) {
  http::Response in = http::Response::json(R"({"slaves":[],"note":"a:b\nc"})");
  in.headers["x-extra"] = "value: with colon";
  http::Response out;
  ASSERT_TRUE(ForkedRender::decode(ForkedRender::encode(in), out));
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.body, in.body);
}

TEST(ForkedRenderTest, AnEmptyBodyAndAnErrorStatus) {
  http::Response out;
  ASSERT_TRUE(ForkedRender::decode(ForkedRender::encode(http::Response::text(503, "")), out));
  EXPECT_EQ(out.status, 503);
  EXPECT_EQ(out.body, "");
}

TEST(ForkedRenderTest, ATruncatedOrGarbledAnswerIsRefused) {
  http::Response out;
  EXPECT_FALSE(ForkedRender::decode("", out));
  EXPECT_FALSE(ForkedRender::decode("200", out));
  EXPECT_FALSE(ForkedRender::decode("abc\n\n", out));
  EXPECT_FALSE(ForkedRender::decode("99\n\nbody", out));
  EXPECT_FALSE(ForkedRender::decode("200\ncontent-type:x\n", out));  // no blank line
  EXPECT_FALSE(ForkedRender::decode("200\nno colon here\n\n", out));
}

using plateau::testing::RawConnection;

// One whole response (head and body), or "" when it did not come whole.
std::string whole(RawConnection& c) {
  auto answer = c.response();
  return answer && answer->whole() ? answer->head + answer->body : "";
}

std::string get(const std::string& path, bool close = false) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n{}\r\n", path,
                     close ? "Connection: close\r\n" : "");
}

const std::string kBig(4 << 20, 'x');  // far more than a socket holds: the child waits on it

// A real server on the loop whose /big and /die are forked renders, as the master's /state.
class ForkedRenderLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::Server>(
        loop_, [this](http::Request& request, http::Responder responder) {
          std::function<http::Response()> render = [] { return http::Response::json(kBig); };
          if (request.path == "/die") {
            render = []() -> http::Response { ::_exit(7); };
          }
          if (request.path == "/health" || !ForkedRender::respond(loop_, render, responder)) {
            responder.respond(http::Response::text(200, "ok"));
          }
        });
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }
  void TearDown() override {
    ForkedRender::waitForRenders(10s);
    loop_.runUntil([] { return false; }, 50ms);  // the last posts
  }
  // Runs the loop until `client` (on its own thread) is done.
  void serve(const std::function<void()>& client) { testing::serveClient(loop_, client); }

  EventLoop loop_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
};

TEST_F(ForkedRenderLoopTest, TheChildWritesTheWholeResponseAndTheConnectionGoesOn) {
  const std::string head = http::responseHead(http::Response::json(kBig), true);
  serve([&] {
    RawConnection c(port_, 16 << 10);
    ASSERT_TRUE(c.connected());
    for (int i = 0; i < 2; ++i) {
      c.send(get("/big"));
      EXPECT_EQ(whole(c), head + kBig);
      c.send(get("/health"));  // the same connection, read again once the child is done
      EXPECT_TRUE(whole(c).starts_with("HTTP/1.1 200 OK\r\n"));
    }
    c.send(get("/big", true));
    EXPECT_EQ(whole(c), http::responseHead(http::Response::json(kBig), false) + kBig);
    EXPECT_TRUE(c.peerClosed(20s));
  });
  EXPECT_NE(head.find(fmt::format("content-length: {}\r\n", kBig.size())), std::string::npos);
}

TEST_F(ForkedRenderLoopTest, ARenderThatDiesBeforeWritingIsAnswered503OnTheConnection) {
  serve([&] {
    RawConnection c(port_);
    c.send(get("/die"));
    std::string answer = whole(c);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << answer;
    c.send(get("/health"));
    EXPECT_TRUE(whole(c).starts_with("HTTP/1.1 200 OK\r\n"));
  });
}

TEST_F(ForkedRenderLoopTest, AClientThatLeavesMidAnswerCostsNothingElse) {
  serve([&] {
    for (int i = 0; i < 3; ++i) {
      RawConnection c(port_, 4 << 10);
      c.send(get("/big"));
      EXPECT_EQ(c.read(1000).size(), 1000u);
    }  // closed with most of the answer unread: the child's write fails, it exits
    RawConnection c(port_);
    c.send(get("/big"));
    EXPECT_EQ(whole(c).size(),
              http::responseHead(http::Response::json(kBig), true).size() + kBig.size());
  });
}

TEST_F(ForkedRenderLoopTest, WithoutALentSocketTheResponseComesThroughTheLoop) {
  auto exchange = std::make_shared<testing::FakeExchange>();
  const std::string body(1 << 20, 'z');
  http::Responder responder(exchange);
  auto render = [&body] {
    http::Response response = http::Response::json(body);
    response.headers["x-from"] = "child";
    return response;
  };
  ASSERT_TRUE(ForkedRender::respond(loop_, render, responder));
  EXPECT_TRUE(loop_.runUntil([&] { return exchange->response().has_value(); }, 20s));
  ASSERT_TRUE(exchange->response().has_value());
  EXPECT_EQ(exchange->response()->status, 200);
  EXPECT_EQ(exchange->response()->header("x-from"), "child");
  EXPECT_EQ(exchange->response()->body, body);
}

TEST_F(ForkedRenderLoopTest, RunHandsTheBytesBackOnTheLoop) {
  std::optional<std::optional<std::string>> got;
  ASSERT_TRUE(ForkedRender::run(
      loop_, [] { return std::string(3 << 20, 'r'); },
      [&](std::optional<std::string> bytes) { got.emplace(std::move(bytes)); }));
  EXPECT_TRUE(loop_.runUntil([&] { return got.has_value(); }, 20s));
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->size(), size_t{3} << 20);
}

}  // namespace
}  // namespace plateau::master
