#pragma once

// Leader detection for agents, CLIs and client libraries: follows the contenders under a zk://
// URL (Mesos's layout, see group.h) and reports the leader's data.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/event_loop.h"
#include "zookeeper/client.h"
#include "zookeeper/group.h"
#include "zookeeper/url.h"

namespace plateau::zk {

// Reports the leader's data on the loop whenever it changes; keeps going across disconnections
// and session expiries until destroyed. Callbacks may destroy the detector.
class LeaderDetector {
 public:
  // Calls `changed` on the loop with the leader's data whenever it changes (nullopt while there is
  // none, including while ZooKeeper is unreachable for longer than the session timeout). Re-creates
  // its session after expiry, forever. Does nothing until start().
  LeaderDetector(EventLoop& loop, Url url, std::chrono::milliseconds session_timeout,
                 std::function<void(std::optional<std::string>)> changed);
  ~LeaderDetector();
  LeaderDetector(const LeaderDetector&) = delete;
  LeaderDetector& operator=(const LeaderDetector&) = delete;

  void start();

 private:
  void openSession();
  void onSession(SessionEvent event);
  void armUnreachable();
  void disarmUnreachable();
  void report(std::optional<std::string> leader);

  EventLoop& loop_;
  Url url_;
  std::chrono::milliseconds session_timeout_;
  std::function<void(std::optional<std::string>)> changed_;

  std::unique_ptr<ZooKeeper> zk_;
  std::unique_ptr<GroupWatcher> group_;
  std::optional<std::optional<std::string>> reported_;
  std::optional<EventLoop::TimerId> unreachable_timer_;
  uint64_t unreachable_generation_ = 0;  // cancelled timers may still run: they check this
  std::chrono::milliseconds backoff_{0};
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // dies with this object
};

}  // namespace plateau::zk
