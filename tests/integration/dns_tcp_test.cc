// plateau-dns's DNS-over-TCP bound (docs/tls.md): a client that pipelines queries and never
// reads the answers is disconnected once it leaves too much unread, instead of growing the
// server's memory; other clients are still answered.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"

namespace plateau::testing {
namespace {

// One question for `name` (type A, class IN) with the two-byte TCP length prefix.
std::string framedQuery(uint16_t id, const std::string& name) {
  std::string q = {
      static_cast<char>(id >> 8), static_cast<char>(id & 0xff), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    std::string label = name.substr(start, dot - start);
    q += static_cast<char>(label.size());
    q += label;
    start = dot == std::string::npos ? name.size() : dot + 1;
  }
  q += std::string("\0\0\1\0\1", 5);
  return std::string{static_cast<char>(q.size() >> 8), static_cast<char>(q.size() & 0xff)} + q;
}

int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends all of `data` (waiting while the peer's buffers are full); false once the peer has
// closed the connection.
bool sendAll(int fd, const std::string& data, std::chrono::steady_clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size() && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return false;
    }
  }
  return true;
}

TEST(DnsTcp, AReaderThatNeverReadsIsCutAndOthersAreStillAnswered) {
  char tmpl[] = "/tmp/plateau-dns-tcp.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string config = dir + "/dns.json";
  std::ofstream(config) << R"({"masters": ["127.0.0.1:1"], "port": 0, "httpport": 0,
      "listener": "127.0.0.1", "httplistener": "127.0.0.1", "externalon": false})";
  Process dns("dns", {PLATEAU_BIN_DIR "/plateau-dns", "--config=" + config}, dir + "/dns.log");
  uint16_t port = dns.reportedPort("dns_started");
  ASSERT_NE(port, 0) << dns.log();

  int flood = connectTo(port);
  ASSERT_GE(flood, 0);
  // Queries back to back, never reading: far more answers than any buffer on the way holds.
  std::string batch;
  for (int i = 0; i < 1000; i++) {
    batch += framedQuery(static_cast<uint16_t>(i), "nothing-here.mesos");
  }
  bool cut = false;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!cut && std::chrono::steady_clock::now() < deadline) {
    cut = !sendAll(flood, batch, deadline);
  }
  ::close(flood);
  EXPECT_TRUE(cut) << "the server kept taking queries whose answers were never read";
  EXPECT_TRUE(eventually([&] {
    return dns.log().find("dns_tcp_reader_too_slow") != std::string::npos;
  })) << dns.log();

  // Another client asks and reads: answered.
  int other = connectTo(port);
  ASSERT_GE(other, 0);
  std::string query = framedQuery(7, "nothing-here.mesos");
  ASSERT_EQ(::send(other, query.data(), query.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(query.size()));
  char answer[2 + 512];
  ssize_t n = ::recv(other, answer, sizeof(answer), 0);
  ::close(other);
  ASSERT_GE(n, 4);
  EXPECT_EQ(static_cast<uint8_t>(answer[2]), 0);  // our id, 7
  EXPECT_EQ(static_cast<uint8_t>(answer[3]), 7);
  EXPECT_TRUE(dns.running());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace plateau::testing
