// plateau-dns with masters elected through a real ZooKeeper: leader.mesos. and
// _leader._tcp.mesos. follow a failover (the old leader killed), through the `zk` setting.

#include <array>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ha_cluster.h"

namespace plateau::testing {
namespace {

std::string digAt(uint16_t port, const std::string& args) {
  std::string command = fmt::format("dig @127.0.0.1 -p {} +time=1 +tries=1 {} 2>&1", port, args);
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer;
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) {
      out.append(buffer.data(), n);
    }
    pclose(pipe);
  }
  return out;
}

TEST(DnsFailover, LeaderRecordsFollowTheElectedMaster) {
  if (system("command -v dig >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "dig (dnsutils) is not installed";
  }
  HaCluster cluster(2);
  int first = -1;
  ASSERT_TRUE(eventually([&] { return (first = cluster.leader()) >= 0; }, 30s));
  char tmpl[] = "/tmp/plateau-dns-ha.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string config = dir + "/dns.json";
  std::ofstream(config) << fmt::format(
      R"({{"zk": "{}", "port": 0, "httpon": false, "listener": "127.0.0.1",
          "externalon": false}})",
      cluster.zkUrl());
  Process dns("dns", {PLATEAU_BIN_DIR "/plateau-dns", "--config=" + config}, dir + "/dns.log");
  uint16_t port = dns.reportedPort("dns_started");
  ASSERT_NE(port, 0) << dns.log();

  auto leaderPort = [&] { return digAt(port, "_leader._tcp.mesos. SRV +short"); };
  std::string expected = fmt::format("{} leader.mesos.", cluster.endpoint(first).port);
  EXPECT_TRUE(eventually([&] { return leaderPort().find(expected) != std::string::npos; }, 10s))
      << leaderPort() << dns.log();
  EXPECT_NE(digAt(port, "leader.mesos. +short").find("127.0.0.1"), std::string::npos);

  cluster.master(first).kill(SIGKILL);
  int second = -1;
  ASSERT_TRUE(eventually(
      [&] {
        second = cluster.leader();
        return second >= 0 && second != first;
      },
      30s));
  auto elected = std::chrono::steady_clock::now();
  expected = fmt::format("{} leader.mesos.", cluster.endpoint(second).port);
  EXPECT_TRUE(eventually([&] { return leaderPort().find(expected) != std::string::npos; }, 10s))
      << leaderPort() << dns.log();
  std::cout << "[ figure ] _leader._tcp followed the new leader "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - elected)
                   .count()
            << " ms after it answered as leader\n";
  std::error_code ec;
  if (!::testing::Test::HasFailure()) {
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace
}  // namespace plateau::testing
