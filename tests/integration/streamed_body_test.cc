// Request bodies the server hands over as they arrive (http/streamed_body.h), on a real
// loopback server: pieces reach the handler before the body ends, whole-body requests keep their
// limit, and an answer before the body's end closes the connection.

#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.h"
#include "http/client.h"
#include "http/server.h"
#include "http/streamed_body.h"
#include "http/upload.h"
#include "tls_certs.h"

namespace plateau::testing {
namespace {

// A server on its own thread whose /stream route reads its body piece by piece; what it read so
// far is visible to the test thread.
class StreamedBodyServer : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void start(http::ServerOptions options) {
    options.max_body_bytes = 1024;
    server_ = std::make_unique<http::Server>(
        loop_,
        http::StreamingHandler{
            .streams = [](const http::Request& head) { return head.path == "/stream"; },
            .handle = [this](http::Request& request,
                             http::Responder responder) { handle(request, std::move(responder)); }},
        options);
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port);
    endpoint_ = {.host = "127.0.0.1", .port = *port, .transport = http::Transport::kPlain};
    thread_ = std::thread([this] { loop_.run(); });
  }
  void TearDown() override {
    loop_.post([this] { server_->close(); });
    loop_.stop();
    thread_.join();
  }

  void handle(http::Request& request, http::Responder responder) {
    auto body = http::streamedBody(request);
    if (!body) {
      return responder.respond(http::Response::text(200, "whole:" + request.body));
    }
    auto shared = std::make_shared<http::Responder>(std::move(responder));
    read(body, shared, request.header("x-refuse") == "yes");
  }

  // Reads the body to its end, then answers with what it got (or at once with a 400 when asked).
  void read(std::shared_ptr<http::RequestBody> body, std::shared_ptr<http::Responder> responder,
            bool refuse) {
    body->read([this, body, responder, refuse](http::BodyPiece piece) {
      std::lock_guard lock(mutex_);
      if (piece.end) {
        return responder->respond(http::Response::text(200, std::to_string(pieces_.size())));
      }
      if (!piece.error.empty()) {
        error_ = piece.error;
        return;
      }
      pieces_.push_back(piece.data);
      if (refuse) {
        return responder->respond(http::Response::text(400, "refused"));
      }
      read(body, responder, refuse);
    });
  }

  std::string received() {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& p : pieces_) {
      all += p;
    }
    return all;
  }

  static http::ClientRequest head(const std::string& path) {
    return {.method = "POST", .path = path, .headers = {}, .body = {}};
  }

  EventLoop loop_;
  std::unique_ptr<http::Server> server_;
  http::Endpoint endpoint_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> pieces_;
  std::string error_;
};

TEST_F(StreamedBodyServer, PiecesReachTheHandlerBeforeTheBodyEnds) {
  auto upload = http::BlockingUpload::open(endpoint_, head("/stream"), 5s);
  ASSERT_TRUE(upload) << upload.error().message();
  std::string sent;
  for (const std::string& piece :
       std::vector<std::string>{"first ", "second ", std::string(4096, 'x')}) {
    ASSERT_TRUE((*upload)->write(piece, 5s).isOk());
    sent += piece;
    // The handler has this piece while the request is still open.
    EXPECT_TRUE(eventually([&] { return received() == sent; }, 10s)) << received();
    EXPECT_FALSE((*upload)->answer().has_value());
  }
  auto answer = (*upload)->finish(5s);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status, 200);
  EXPECT_GE(std::stoi(answer->body), 3);
}

// The same over TLS (the server's other kind of connection).
class StreamedBodyTlsServer : public StreamedBodyServer {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/plateau-streamed-tls.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    pki_ = TestPki::create(dir);
    http::TlsConfig config;
    config.enabled = true;
    config.cert_file = pki_.node_cert;
    config.key_file = pki_.node_key;
    config.ca_file = pki_.ca;
    auto tls = http::TlsContext::create(config, http::TlsContext::Role::kServer);
    ASSERT_TRUE(tls) << tls.error().message();
    start({.tls = *tls});
    endpoint_.transport = http::Transport::kTls;
    endpoint_.tls = TestPki::client(pki_.ca);
  }
  void TearDown() override {
    StreamedBodyServer::TearDown();
    std::filesystem::remove_all(pki_.dir);
  }
  TestPki pki_;
};

TEST_F(StreamedBodyTlsServer, PiecesReachTheHandlerBeforeTheBodyEnds) {
  auto upload = http::BlockingUpload::open(endpoint_, head("/stream"), 5s);
  ASSERT_TRUE(upload) << upload.error().message();
  ASSERT_TRUE((*upload)->write("over tls", 5s).isOk());
  EXPECT_TRUE(eventually([&] { return received() == "over tls"; }, 10s)) << received();
  auto answer = (*upload)->finish(5s);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status, 200);
}

TEST_F(StreamedBodyServer, StreamedBodiesHaveNoSizeLimitButWholeOnesKeepIt) {
  auto whole = http::fetchSync(
      endpoint_,
      {.method = "POST", .path = "/whole", .headers = {}, .body = std::string(2048, 'w')}, 5s);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 413) << whole->body;
  auto small = http::fetchSync(
      endpoint_, {.method = "POST", .path = "/whole", .headers = {}, .body = "hi"}, 5s);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->body, "whole:hi");
  // 64 times the whole-body limit, in one Content-Length body: read as it comes.
  auto big = http::fetchSync(
      endpoint_,
      {.method = "POST", .path = "/stream", .headers = {}, .body = std::string(64 << 10, 's')},
      10s);
  ASSERT_TRUE(big) << big.error().message();
  EXPECT_EQ(big->status, 200) << big->body;
  EXPECT_EQ(received().size(), 64u << 10);
}

TEST_F(StreamedBodyServer, AnAnswerBeforeTheEndClosesTheConnection) {
  auto request = head("/stream");
  request.headers["x-refuse"] = "yes";
  auto upload = http::BlockingUpload::open(endpoint_, request, 5s);
  ASSERT_TRUE(upload);
  ASSERT_TRUE((*upload)->write("no", 5s).isOk());
  std::optional<Result<http::Response>> answer;
  ASSERT_TRUE(eventually([&] { return (answer = (*upload)->answer()).has_value(); }, 10s));
  ASSERT_TRUE(*answer);
  EXPECT_EQ((*answer)->status, 400);
  EXPECT_EQ((*answer)->header("connection"), "close");
  // Nothing more is taken on that connection.
  EXPECT_TRUE(eventually([&] { return !(*upload)->write("more", 1s).isOk(); }, 10s));
}

}  // namespace
}  // namespace plateau::testing
