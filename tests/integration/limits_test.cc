// The HTTP server's limits on a real master: oversized request lines, headers and bodies get
// 414/431/413; idle connections are closed; connections beyond the limit get 503; an operator
// SUBSCRIBE stream whose reader stops reading is cut at its buffer bound while /health stays fast.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/raw_connection.h"
#include "harness.h"
#include "tls_certs.h"

namespace plateau::testing {
namespace {

std::string statusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

long rssKib(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(LimitsTest, OversizedRequestsGetTheirStatus) {
  Cluster cluster;
  uint16_t port = cluster.master().port;
  {
    RawConnection c(port);
    c.send(fmt::format("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", std::string(9000, 'a')));
    EXPECT_EQ(statusLine(c.readAll(5s)), "HTTP/1.1 414 URI Too Long");
  }
  {
    RawConnection c(port);
    c.send(fmt::format("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                       std::string(70 * 1024, 'b')));
    EXPECT_EQ(statusLine(c.readAll(5s)), "HTTP/1.1 431 Request Header Fields Too Large");
  }
  {
    RawConnection c(port);
    c.send(
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 17000000\r\n\r\n{");
    std::string answer = c.readAll(5s);
    EXPECT_EQ(statusLine(answer), "HTTP/1.1 413 Request Entity Too Large");
    EXPECT_NE(answer.find("16777216"), std::string::npos) << answer;
  }
  // A large legitimate body (4 MiB) is read and judged on its content, not its size.
  auto r = http::fetchSync(cluster.master(),
                           {.method = "POST",
                            .path = "/api/v1/scheduler",
                            .headers = {{"content-type", "application/json"}},
                            .body = std::string(4 << 20, ' ') + "{}"},
                           10s);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->status, 400);
}

TEST(LimitsTest, IdleAndSlowRequestsAreClosed) {
  ScopedEnv env(std::map<std::string, std::string>{{"PLATEAU_HTTP_REQUEST_TIMEOUT", "300ms"}});
  Cluster cluster;
  RawConnection idle(cluster.master().port);
  RawConnection slow(cluster.master().port);
  slow.send("GET /health HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  bool closed = false;
  idle.readAll(5s, &closed);
  EXPECT_TRUE(closed);
  slow.readAll(5s, &closed);
  EXPECT_TRUE(closed);
  auto health = http::fetchSync(cluster.master(), {.method = "GET", .path = "/health"}, 5s);
  EXPECT_TRUE(health && health->status == 200);
}

TEST(LimitsTest, ConnectionsBeyondTheLimitGet503) {
  ScopedEnv env(std::map<std::string, std::string>{{"PLATEAU_HTTP_MAX_CONNECTIONS", "8"}});
  Cluster cluster;
  std::vector<std::unique_ptr<RawConnection>> held;
  std::string refused;
  for (int i = 0; i < 20 && refused.empty(); i++) {
    held.push_back(std::make_unique<RawConnection>(cluster.master().port));
    bool closed = false;
    std::string answer = held.back()->readAll(200ms, &closed);
    if (closed) refused = answer;
  }
  EXPECT_EQ(statusLine(refused), "HTTP/1.1 503 Service Unavailable");
  EXPECT_LE(held.size(), 9u);
  held.clear();
  EXPECT_TRUE(eventually([&] {
    auto r = http::fetchSync(cluster.master(), {.method = "GET", .path = "/health"}, 1s);
    return r && r->status == 200;
  }));
}

TEST(LimitsTest, SlowSubscribeReaderIsCutWhileHealthStaysFast) {
  ScopedEnv env(std::map<std::string, std::string>{{"PLATEAU_HTTP_MAX_STREAM_BUFFER", "1MB"}});
  Cluster cluster;
  RawConnection reader(cluster.master().port, 4096);
  std::string body = R"({"type":"SUBSCRIBE"})";
  reader.send(
      fmt::format("POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Accept: application/json\r\nContent-Length: {}\r\n\r\n{}",
                  body.size(), body));
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("flood");
  ASSERT_TRUE(s.subscribe(info));
  info.mutable_id()->set_value(s.frameworkId());
  long rss_before = rssKib(cluster.masterProcess().pid());
  std::chrono::nanoseconds worst_health{0};
  size_t sent_bytes = 0;
  int calls = 0;
  auto cut = [&] {
    return cluster.masterProcess().log().find("http_stream_reader_too_slow") != std::string::npos;
  };
  for (; calls < 300 && !cut(); calls++) {
    // Each update is a FRAMEWORK_UPDATED event of ~256 KiB on the operator stream.
    auto* label = info.mutable_labels()->mutable_labels();
    label->Clear();
    auto* pad = label->Add();
    pad->set_key("pad");
    pad->set_value(std::string(256 << 10, static_cast<char>('a' + calls % 26)));
    scheduler::Call update;
    update.set_type(scheduler::Call::UPDATE_FRAMEWORK);
    *update.mutable_update_framework()->mutable_framework_info() = info;
    ASSERT_EQ(s.call(update), 200) << s.lastResponse().body;
    sent_bytes += pad->value().size();
    auto start = std::chrono::steady_clock::now();
    auto health = http::fetchSync(cluster.master(), {.method = "GET", .path = "/health"}, 5s);
    worst_health = std::max(worst_health, std::chrono::steady_clock::now() - start);
    ASSERT_TRUE(health && health->status == 200);
  }
  ASSERT_TRUE(cut()) << "the slow reader was never cut after " << calls << " updates";
  bool closed = false;
  std::string received = reader.readAll(10s, &closed);
  EXPECT_TRUE(closed);
  long rss_after = rssKib(cluster.masterProcess().pid());
  fmt::print(
      "slow reader: cut after {} updates ({} KiB of events produced), reader got {} KiB; "
      "master RSS {} -> {} KiB; worst /health {:.1f} ms\n",
      calls, sent_bytes >> 10, received.size() >> 10, rss_before, rss_after,
      std::chrono::duration<double, std::milli>(worst_health).count());
  EXPECT_LT(worst_health, 1s);
  // The master holds at most the bound (plus one event) for the reader, never the whole flood.
  EXPECT_LT(rss_after - rss_before, 64 * 1024);
}

}  // namespace
}  // namespace plateau::testing
