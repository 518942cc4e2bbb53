#pragma once

// A real standalone ZooKeeper server (Debian's `zookeeper` package) for integration tests: its own
// temporary directory and config, a free loopback port, killed on destruction.

#include <cstdint>
#include <memory>
#include <string>

#include "harness.h"
#include "zookeeper/url.h"

namespace plateau::testing {

// tickTime is 100 ms, so sessions of 200 ms to 60 s are granted as asked. Starting the JVM takes
// a second or two: share one server per test suite.
class ZooKeeperServer {
 public:
  // Starts the server and waits until it answers "ruok"; the test fails if it does not.
  ZooKeeperServer();
  ~ZooKeeperServer();
  ZooKeeperServer(const ZooKeeperServer&) = delete;
  ZooKeeperServer& operator=(const ZooKeeperServer&) = delete;

  // Stops it gracefully (SIGTERM) and waits for the JVM to exit.
  void stop();
  // SIGKILLs it and waits for the JVM to exit: sessions stay open on disk, as after a crash.
  void kill();
  // Starts it again (stopping it first if needed) on the same port and data directory.
  void restart();
  bool running();

  // "127.0.0.1:<port>".
  std::string connectString() const;
  // zk://127.0.0.1:<port><path>.
  zk::Url url(const std::string& path) const;
  const std::string& dir() const { return dir_; }
  std::string log() const;

 private:
  void start();

  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace plateau::testing
