#include "zookeeper_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace plateau::testing {

namespace fs = std::filesystem;

namespace {

// Sends a four-letter word and returns the reply ("" if nothing answers).
std::string fourLetterWord(uint16_t port, const std::string& word) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return "";
  }
  timeval tv{.tv_sec = 1, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::write(fd, word.data(), word.size()) == static_cast<ssize_t>(word.size())) {
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

}  // namespace

ZooKeeperServer::ZooKeeperServer() {
  char tmpl[] = "/tmp/plateau-zk.XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  port_ = freePort();
  std::ofstream cfg(dir_ + "/zoo.cfg");
  // preAllocSize keeps the transaction log small (the default preallocates 64 MB); forceSync=no
  // spares the disk, which is shared with builds.
  cfg << "tickTime=100\n"
      << "minSessionTimeout=200\n"
      << "maxSessionTimeout=60000\n"
      << "dataDir=" << dir_ << "/data\n"
      << "clientPort=" << port_ << "\n"
      << "clientPortAddress=127.0.0.1\n"
      << "maxClientCnxns=0\n"
      << "preAllocSize=1024\n"
      << "forceSync=no\n"
      << "admin.enableServer=false\n"
      << "4lw.commands.whitelist=*\n";
  cfg.close();
  start();
}

ZooKeeperServer::~ZooKeeperServer() {
  if (process_ && process_->running()) {
    kill();
  }
  process_.reset();
  if (!::testing::Test::HasFailure()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  } else {
    fmt::print(stderr, "ZooKeeper server directory left for inspection in {}\n", dir_);
  }
}

void ZooKeeperServer::start() {
  std::vector<std::string> argv = {"/usr/bin/java",
                                   "-Xmx256m",
                                   "-XX:+UseSerialGC",
                                   "-XX:TieredStopAtLevel=1",
                                   "-Djava.net.preferIPv4Stack=true",
                                   "-cp",
                                   "/etc/zookeeper/conf:/usr/share/java/*",
                                   "org.apache.zookeeper.server.ZooKeeperServerMain",
                                   dir_ + "/zoo.cfg"};
  process_ = std::make_unique<Process>("zookeeper", argv, dir_ + "/zookeeper.log");
  bool up =
      eventually([this] { return !process_->running() || fourLetterWord(port_, "ruok") == "imok"; },
                 30s) &&
      process_->running();
  EXPECT_TRUE(up) << "ZooKeeper did not come up on port " << port_ << ":\n" << log();
}

void ZooKeeperServer::stop() {
  if (process_ && process_->running()) {
    process_->kill(SIGTERM);
    process_->wait();
  }
}

void ZooKeeperServer::kill() {
  if (process_ && process_->running()) {
    process_->kill(SIGKILL);
    process_->wait();
  }
}

void ZooKeeperServer::restart() {
  stop();
  start();
}

bool ZooKeeperServer::running() { return process_ && process_->running(); }

std::string ZooKeeperServer::connectString() const { return fmt::format("127.0.0.1:{}", port_); }

zk::Url ZooKeeperServer::url(const std::string& path) const {
  return zk::Url{.servers = connectString(), .path = path, .credentials = std::nullopt};
}

std::string ZooKeeperServer::log() const { return process_ ? process_->log() : ""; }

}  // namespace plateau::testing
