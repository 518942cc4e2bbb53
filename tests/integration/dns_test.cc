// plateau-dns against a real master and agent: `dig` (Debian's dnsutils), driven by the test,
// resolves a running task's A and SRV records within a second of TASK_RUNNING and gets NXDOMAIN
// within a second of its end; leader.mesos. answers; names outside the domain are forwarded to a
// resolver on loopback; malformed packets do not stop the server.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"

namespace plateau::testing {
namespace {

// Runs dig with `args` against the server; its whole output ("" when dig is missing).
std::string dig(uint16_t port, const std::string& args) {
  std::string command = fmt::format("dig @127.0.0.1 -p {} +time=1 +tries=1 {} 2>&1", port, args);
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    return out;
  }
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) {
    out.append(buffer.data(), n);
  }
  pclose(pipe);
  return out;
}

bool haveDig() { return system("command -v dig >/dev/null 2>&1") == 0; }

// A resolver on loopback for names outside the domain: answers every A question with 192.0.2.7.
class FakeResolver {
 public:
  FakeResolver() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    timeval timeout{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeResolver() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  int queries() const { return queries_; }

 private:
  void serve() {
    while (!stop_) {
      std::array<uint8_t, 4096> buf;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n =
          recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) {
        continue;
      }
      ++queries_;
      // The question ends after its name's labels and four bytes of type and class.
      size_t end = 12;
      while (end < static_cast<size_t>(n) && buf[end] != 0) {
        end += buf[end] + 1;
      }
      end += 5;
      if (end > static_cast<size_t>(n)) {
        continue;
      }
      std::string reply(reinterpret_cast<char*>(buf.data()), end);
      reply[2] = static_cast<char>(0x81);  // QR, RD
      reply[3] = static_cast<char>(0x80);  // RA, NOERROR
      reply[6] = 0;
      reply[7] = 1;  // one answer
      reply[8] = reply[9] = reply[10] = reply[11] = 0;
      const uint8_t answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 7};
      reply.append(reinterpret_cast<const char*>(answer), sizeof(answer));
      sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

class DnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveDig()) {
      GTEST_SKIP() << "dig (dnsutils) is not installed";
    }
    cluster_.addAgent("cpus:2;mem:512;ports:[31000-31010]");
    std::string config = cluster_.dir() + "/dns.json";
    std::ofstream(config) << fmt::format(
        R"({{"masters": ["127.0.0.1:{}"], "port": 0, "httpport": 0, "listener": "127.0.0.1",
            "httplistener": "127.0.0.1", "refreshSeconds": 60, "ttl": 5,
            "resolvers": ["127.0.0.1:{}"], "externalon": true, "timeout": 2}})",
        cluster_.master().port, resolver_.port());
    dns_ = std::make_unique<Process>(
        "dns", std::vector<std::string>{PLATEAU_BIN_DIR "/plateau-dns", "--config=" + config},
        cluster_.dir() + "/dns.log");
    port_ = dns_->reportedPort("dns_started");
    ASSERT_NE(port_, 0) << dns_->log();
  }

  // True once `dig args` prints `expected`, polled for at most `within`.
  bool digShows(const std::string& args, const std::string& expected,
                std::chrono::milliseconds within) {
    return eventually([&] { return dig(port_, args).find(expected) != std::string::npos; }, within);
  }

  FakeResolver resolver_;
  Cluster cluster_;
  std::unique_ptr<Process> dns_;
  uint16_t port_ = 0;
};

v1::FrameworkInfo framework(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name(name);
  return info;
}

TEST_F(DnsTest, TaskNamesAppearWithinASecondOfRunningAndGoWithinASecondOfTheEnd) {
  Scheduler s(cluster_.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("dnsfw")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "web", "sleep 1000", "cpus:0.1;mem:32;ports:[31005-31006]");
  std::optional<v1::TaskStatus> running;
  while (auto update = s.nextUpdate()) {
    if (update->state() == v1::TASK_RUNNING) {
      running = update;
      break;
    }
  }
  ASSERT_TRUE(running) << "the task never ran";
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(digShows("web.dnsfw.mesos. A +noall +answer", "127.0.0.1", 1000ms))
      << dig(port_, "web.dnsfw.mesos. A") << dns_->log();
  auto visible = std::chrono::steady_clock::now() - started;
  std::cout << "[ figure ] A record visible "
            << std::chrono::duration_cast<std::chrono::milliseconds>(visible).count()
            << " ms after the scheduler saw TASK_RUNNING\n";

  std::string srv = dig(port_, "_web._tcp.dnsfw.mesos. SRV");
  EXPECT_NE(srv.find("status: NOERROR"), std::string::npos) << srv;
  EXPECT_NE(srv.find("31005 web-"), std::string::npos) << srv;
  EXPECT_NE(srv.find("31006 web-"), std::string::npos) << srv;
  EXPECT_NE(srv.find(".dnsfw.slave.mesos."), std::string::npos) << srv;
  EXPECT_NE(srv.find("flags: qr aa rd ra"), std::string::npos) << srv;
  EXPECT_NE(dig(port_, "web.dnsfw.slave.mesos. +short").find("127.0.0.1"), std::string::npos);
  EXPECT_NE(dig(port_, "slave.mesos. +short").find("127.0.0.1"), std::string::npos);

  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("web");
  kill.mutable_kill()->mutable_agent_id()->CopyFrom(running->agent_id());
  EXPECT_EQ(s.call(kill), 202);
  std::optional<v1::TaskStatus> ended;
  while (auto update = s.nextUpdate()) {
    if (update->state() != v1::TASK_RUNNING) {
      ended = update;
      break;
    }
  }
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->state(), v1::TASK_KILLED);
  EXPECT_TRUE(digShows("web.dnsfw.mesos. A", "status: NXDOMAIN", 1000ms))
      << dig(port_, "web.dnsfw.mesos. A");
  // SRV names without records are NOERROR and empty, as in Mesos-DNS.
  std::string gone = dig(port_, "_web._tcp.dnsfw.mesos. SRV");
  EXPECT_NE(gone.find("status: NOERROR"), std::string::npos) << gone;
  EXPECT_NE(gone.find("ANSWER: 0"), std::string::npos) << gone;
}

TEST_F(DnsTest, LeaderSoaNsAndForwardedNamesAnswer) {
  EXPECT_TRUE(digShows("leader.mesos. +short", "127.0.0.1", 5000ms)) << dns_->log();
  std::string leader = dig(port_, "_leader._tcp.mesos. SRV +short");
  EXPECT_NE(leader.find(fmt::format("{} leader.mesos.", cluster_.master().port)), std::string::npos)
      << leader;
  EXPECT_NE(dig(port_, "master0.mesos. +short").find("127.0.0.1"), std::string::npos);
  std::string soa = dig(port_, "mesos. SOA");
  EXPECT_NE(soa.find("ns1.mesos. root.ns1.mesos."), std::string::npos) << soa;
  std::string ns = dig(port_, "mesos. NS");
  EXPECT_NE(ns.find("NS\tns1.mesos."), std::string::npos) << ns;
  // Over TCP as well.
  EXPECT_NE(dig(port_, "+tcp leader.mesos. +short").find("127.0.0.1"), std::string::npos);
  // Outside the domain: forwarded to the loopback resolver.
  std::string external = dig(port_, "www.example.org. A +short");
  EXPECT_NE(external.find("192.0.2.7"), std::string::npos) << external;
  EXPECT_GE(resolver_.queries(), 1);
}

TEST_F(DnsTest, MalformedPacketsDoNotStopTheServer) {
  ASSERT_TRUE(digShows("leader.mesos. +short", "127.0.0.1", 5000ms)) << dns_->log();
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port_);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::minstd_rand random(20260101);
  std::cout << "[ seed ] 20260101\n";
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(static_cast<size_t>(random() % 600), '\0');
    for (auto& c : bytes) {
      c = static_cast<char>(random());
    }
    if (i % 3 == 0 && bytes.size() > 3) {
      bytes[2] = 0;  // a query header with garbage after it
    }
    sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  close(fd);
  // TCP: a length prefix promising more than comes, then the connection closed.
  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in tcp_to = to;
  if (connect(tcp, reinterpret_cast<sockaddr*>(&tcp_to), sizeof(tcp_to)) == 0) {
    const char partial[] = {0x40, 0x00, 0x12, 0x34, 0x01};
    EXPECT_EQ(write(tcp, partial, sizeof(partial)), static_cast<ssize_t>(sizeof(partial)));
  }
  close(tcp);
  EXPECT_TRUE(dns_->running());
  EXPECT_TRUE(digShows("leader.mesos. +short", "127.0.0.1", 2000ms)) << dns_->log();
  EXPECT_TRUE(digShows("+tcp leader.mesos. +short", "127.0.0.1", 2000ms)) << dns_->log();
}

TEST(DnsConfig, BadConfigIsAnErrorNamingTheField) {
  Cluster cluster;
  std::string config = cluster.dir() + "/bad.json";
  std::ofstream(config) << R"({"masters": ["127.0.0.1:5050"], "ttl": "sixty"})";
  Process dns("dns", {PLATEAU_BIN_DIR "/plateau-dns", "--config=" + config},
              cluster.dir() + "/bad.log");
  int status = dns.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_NE(dns.log().find("config field 'ttl'"), std::string::npos) << dns.log();
}

}  // namespace
}  // namespace plateau::testing
