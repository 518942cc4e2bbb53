// Back-pressure on a real loopback stream (Stream::lagging() and onDrained()): a writer that
// holds back once the reader lags stays far from the slow-reader bound, and hears when the reader
// has caught up.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "fakes/raw_connection.h"
#include "fakes/serve_client.h"
#include "http/server.h"
#include "runtime/event_loop.h"

namespace plateau::testing {
namespace {

using namespace std::chrono_literals;

constexpr size_t kBound = 1 << 20;
constexpr size_t kChunk = 64 << 10;

class StreamBackpressureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::Server>(
        loop_,
        [this](http::Request&, http::Responder responder) {
          stream_ = responder.stream(200, {{"content-type", "text/plain"}});
          opened_ = true;
        },
        http::ServerOptions{.max_stream_buffer_bytes = kBound});
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }
  void TearDown() override {
    stream_.reset();
    loop_.runUntil([] { return false; }, 50ms);  // the last posts
  }
  // Runs the loop until `client` (on its own thread) is done.
  void serve(const std::function<void()>& client) { serveClient(loop_, client); }
  // Runs `fn` on the loop and waits for it (from the client's thread).
  void onLoop(const std::function<void()>& fn) {
    std::atomic<bool> ran{false};
    loop_.post([&] {
      fn();
      ran = true;
    });
    while (!ran) {
      std::this_thread::yield();
    }
  }

  EventLoop loop_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::shared_ptr<http::Stream> stream_;  // loop thread only
  std::atomic<bool> opened_{false};
};

TEST_F(StreamBackpressureTest, AWriterThatHoldsBackWhileTheReaderLagsIsNeverCut) {
  serve([&] {
    RawConnection reader(port_, 4 << 10);
    ASSERT_TRUE(reader.connected());
    reader.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 2000 && !opened_; ++i) {
      std::this_thread::sleep_for(5ms);  // polling for the handler, bounded
    }
    ASSERT_TRUE(opened_);
    // One chunk a turn, as a master sends an OFFERS event per round, until the stream lags:
    // without lagging() the writer would go on to the bound (1 MiB unsent) and be cut.
    size_t written = 0;
    bool lagging = false;
    bool closed = false;
    std::atomic<bool> drained{false};
    for (int i = 0; i < 200 && !lagging && !closed; ++i) {
      onLoop([&] {
        stream_->write(std::string(kChunk, 'o'));
        written += kChunk;
        lagging = stream_->lagging();
        closed = stream_->closed();
        if (lagging) {
          stream_->onDrained([&] { drained = true; });
        }
      });
    }
    ASSERT_TRUE(lagging) << written << " bytes written and no lag";
    EXPECT_FALSE(closed);
    double backlog = 1;
    onLoop([&] { backlog = stream_->backlog(); });
    EXPECT_GT(backlog, 1.0 / 8);
    EXPECT_LT(backlog, 1.0 / 8 + static_cast<double>(kChunk) / kBound);  // one chunk past it
    EXPECT_FALSE(drained);
    // The reader catches up: then, and only then, the writer hears of it.
    std::string got = reader.read(written, 10s);
    EXPECT_GE(got.size(), written);
    for (int i = 0; i < 2000 && !drained; ++i) {
      std::this_thread::sleep_for(5ms);  // polling for the callback, bounded
    }
    EXPECT_TRUE(drained);
    bool open = false;
    onLoop([&] { open = !stream_->closed() && !stream_->lagging(); });
    EXPECT_TRUE(open);
  });
}

TEST_F(StreamBackpressureTest, OnDrainedOfAStreamThatDoesNotLagRunsAtTheNextTurn) {
  serve([&] {
    RawConnection reader(port_);
    reader.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 2000 && !opened_; ++i) {
      std::this_thread::sleep_for(5ms);  // polling for the handler, bounded
    }
    ASSERT_TRUE(opened_);
    std::atomic<int> drained{0};
    onLoop([&] {
      EXPECT_FALSE(stream_->lagging());
      stream_->onDrained([&] { drained++; });
      EXPECT_EQ(drained, 0);  // not inside the call
    });
    for (int i = 0; i < 2000 && drained == 0; ++i) {
      std::this_thread::sleep_for(5ms);  // polling for the callback, bounded
    }
    EXPECT_EQ(drained, 1);
  });
}

}  // namespace
}  // namespace plateau::testing
