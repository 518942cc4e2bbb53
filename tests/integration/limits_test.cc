// The HTTP server's limits on a real master: oversized request lines, headers and bodies get
// 414/431/413; idle connections are closed; connections beyond the limit get 503; an operator
// SUBSCRIBE stream whose reader stops reading is cut at its buffer bound while /health stays fast,
// but never for a snapshot larger than that bound that it is still taking.

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

// The operator SUBSCRIBE snapshot is owed to the reader: a snapshot over the stream buffer bound,
// still queued while the reader takes it, neither cuts the stream itself nor counts against the
// changes behind it (the 424,289-task run's stream was cut this way, mid-snapshot); the changes
// queued behind it are still bounded.
TEST(LimitsTest, ASnapshotOverTheStreamBoundIsOwedAndChangesBehindItAreBounded) {
  ScopedEnv env(std::map<std::string, std::string>{{"PLATEAU_HTTP_MAX_STREAM_BUFFER", "1MB"}});
  Cluster cluster;
  // A framework whose labels make the snapshot about 6 MiB.
  Scheduler big(cluster.master(), http::ContentType::kProtobuf);
  v1::FrameworkInfo big_info;
  big_info.set_user("root");
  big_info.set_name("big");
  for (int i = 0; i < 24; i++) {
    auto* label = big_info.mutable_labels()->add_labels();
    label->set_key(fmt::format("big-{}", i));
    label->set_value(std::string(256 << 10, 'x'));
  }
  ASSERT_TRUE(big.subscribe(big_info));
  Scheduler small(cluster.master(), http::ContentType::kProtobuf);
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("small");
  ASSERT_TRUE(small.subscribe(info));
  info.mutable_id()->set_value(small.frameworkId());

  // Two subscribers that stop reading once their snapshots have begun to arrive: from there on
  // the rest of each (about 6 MiB) is queued in the master.
  RawConnection taker(cluster.master().port, 4096);
  RawConnection stopped(cluster.master().port, 4096);
  std::string body = R"({"type":"SUBSCRIBE"})";
  std::string received[2];
  RawConnection* readers[2] = {&taker, &stopped};
  for (int r = 0; r < 2; r++) {
    readers[r]->send(
        fmt::format("POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Accept: application/json\r\nContent-Length: {}\r\n\r\n{}",
                    body.size(), body));
    for (int i = 0; i < 200 && received[r].find("SUBSCRIBED") == std::string::npos; i++) {
      received[r] += readers[r]->read(1024, 100ms);
    }
    ASSERT_NE(received[r].find("SUBSCRIBED"), std::string::npos) << received[r].substr(0, 300);
  }
  auto cut = [&] {
    return cluster.masterProcess().log().find("http_stream_reader_too_slow") != std::string::npos;
  };
  auto update = [&](const std::string& key, size_t bytes) {
    auto* label = info.mutable_labels()->mutable_labels();
    label->Clear();
    auto* mark = label->Add();
    mark->set_key(key);
    mark->set_value(std::string(bytes, 'y'));
    scheduler::Call call;
    call.set_type(scheduler::Call::UPDATE_FRAMEWORK);
    *call.mutable_update_framework()->mutable_framework_info() = info;
    return small.call(call);
  };
  // Small changes behind the owed snapshots: under the bound, so neither stream is cut.
  for (int i = 0; i < 20; i++) {
    ASSERT_EQ(update(fmt::format("mark-{}", i), 16), 200) << small.lastResponse().body;
  }
  auto health = http::fetchSync(cluster.master(), {.method = "GET", .path = "/health"}, 5s);
  ASSERT_TRUE(health && health->status == 200);
  EXPECT_FALSE(cut()) << "cut for a snapshot it was still taking";
  // The taker reads on: its whole snapshot, then the changes.
  for (int i = 0; i < 300 && received[0].find("\"mark-19\"") == std::string::npos; i++) {
    received[0] += taker.read(size_t{1} << 20, 100ms);
  }
  for (int i = 0; i < 24; i++) {
    EXPECT_NE(received[0].find(fmt::format("\"big-{}\"", i)), std::string::npos) << i;
  }
  EXPECT_NE(received[0].find("\"mark-19\""), std::string::npos);
  EXPECT_GT(received[0].size(), size_t{6} << 20);
  // Large changes behind the other's unread snapshot are bounded: cut once they pass 1 MB (the
  // taker reads them as they come).
  int calls = 0;
  for (; calls < 40 && !cut(); calls++) {
    ASSERT_EQ(update(fmt::format("flood-{}", calls), 256 << 10), 200);
    taker.read(size_t{1} << 20, 20ms);
  }
  EXPECT_TRUE(cut()) << "never cut after " << calls << " changes of 256 KiB";
  EXPECT_LE(calls, 12);
  bool closed = false;
  stopped.readAll(10s, &closed);
  EXPECT_TRUE(closed);
  taker.readAll(500ms, &closed);
  EXPECT_FALSE(closed) << "the reader that kept up was cut";
}

}  // namespace
}  // namespace plateau::testing
