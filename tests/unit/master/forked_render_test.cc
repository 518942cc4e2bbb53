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

// A blocking loopback client that reads whole responses by their content-length.
class Client {
 public:
  explicit Client(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) { (void)!::send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }
  // Up to `bytes` more; fewer when the peer closes or nothing comes for 20 s.
  std::string read(size_t bytes) {
    std::string out;
    char buffer[1 << 16];
    while (out.size() < bytes) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 20'000) <= 0) break;
      ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, bytes - out.size()), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }
  // One whole response (head and body), or "" when it did not come whole.
  std::string response() {
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      std::string byte = read(1);
      if (byte.empty()) return "";
      head += byte;
    }
    auto at = head.find("content-length: ");
    if (at == std::string::npos) return "";
    size_t length = std::stoul(head.substr(at + 16));
    std::string body = read(length);
    return body.size() == length ? head + body : "";
  }
  bool peerClosed() {
    read(1);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

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
  void serve(const std::function<void()>& client) {
    std::atomic<bool> done{false};
    std::thread thread([&] {
      client();
      done = true;
      loop_.post([] {});  // wakes runUntil() to see it
    });
    EXPECT_TRUE(loop_.runUntil([&] { return done.load(); }, 60s));
    thread.join();
  }

  EventLoop loop_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
};

TEST_F(ForkedRenderLoopTest, TheChildWritesTheWholeResponseAndTheConnectionGoesOn) {
  const std::string head = http::responseHead(http::Response::json(kBig), true);
  serve([&] {
    Client c(port_, 16 << 10);
    ASSERT_TRUE(c.connected());
    for (int i = 0; i < 2; ++i) {
      c.send(get("/big"));
      EXPECT_EQ(c.response(), head + kBig);
      c.send(get("/health"));  // the same connection, read again once the child is done
      EXPECT_TRUE(c.response().starts_with("HTTP/1.1 200 OK\r\n"));
    }
    c.send(get("/big", true));
    EXPECT_EQ(c.response(), http::responseHead(http::Response::json(kBig), false) + kBig);
    EXPECT_TRUE(c.peerClosed());
  });
  EXPECT_NE(head.find(fmt::format("content-length: {}\r\n", kBig.size())), std::string::npos);
}

TEST_F(ForkedRenderLoopTest, ARenderThatDiesBeforeWritingIsAnswered503OnTheConnection) {
  serve([&] {
    Client c(port_);
    c.send(get("/die"));
    std::string answer = c.response();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << answer;
    c.send(get("/health"));
    EXPECT_TRUE(c.response().starts_with("HTTP/1.1 200 OK\r\n"));
  });
}

TEST_F(ForkedRenderLoopTest, AClientThatLeavesMidAnswerCostsNothingElse) {
  serve([&] {
    for (int i = 0; i < 3; ++i) {
      Client c(port_, 4 << 10);
      c.send(get("/big"));
      EXPECT_EQ(c.read(1000).size(), 1000u);
    }  // closed with most of the answer unread: the child's write fails, it exits
    Client c(port_);
    c.send(get("/big"));
    EXPECT_EQ(c.response().size(),
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
