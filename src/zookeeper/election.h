#pragma once

// Leader election among masters, in Mesos's ZooKeeper layout (see group.h): tools that find a
// Mesos leader under a zk:// URL find ours.

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

// One candidacy: an ephemeral sequential "<url.path>/json.info_" node holding `data` (the
// MasterInfo as JSON). Callbacks run on the loop and may destroy the contender.
class LeaderContender {
 public:
  struct Callbacks {
    std::function<void()> elected;                           // we lead now
    std::function<void(const std::string& why)> lost;        // stop leading at once
    std::function<void(std::optional<std::string>)> leader;  // leader's data; nullopt: none
  };

  // Does nothing until start().
  LeaderContender(EventLoop& loop, Url url, std::chrono::milliseconds session_timeout,
                  std::string data, Callbacks callbacks);
  // Withdraws: closes the session, so the node goes away at once.
  ~LeaderContender();
  LeaderContender(const LeaderContender&) = delete;
  LeaderContender& operator=(const LeaderContender&) = delete;

  // Opens a session and contends. `lost` ends the candidacy, whether it led or not: the session
  // expired, it stayed disconnected for the session timeout, or its node vanished; nothing is
  // reported after `lost` until start() is called again, which contends with a fresh session.
  void start();
  // Whether this contender leads now (between `elected` and `lost`).
  bool leading() const { return elected_; }
  // The full path of this contender's node once created ("" before): a leader's writes can be
  // fenced on its existence.
  std::string nodePath() const { return node_.empty() ? "" : url_.path + "/" + node_; }

 private:
  void onSession(SessionEvent event);
  void contend();
  void adoptOrCreate();
  void createNode();
  void onView(GroupWatcher::View view);
  void retry(std::function<void()> step);
  void lose(const std::string& why);
  void disarmDisconnect();

  EventLoop& loop_;
  Url url_;
  std::chrono::milliseconds session_timeout_;
  std::string data_;
  Callbacks callbacks_;

  std::unique_ptr<ZooKeeper> zk_;
  std::unique_ptr<GroupWatcher> group_;
  std::string node_;         // our node's name once created
  bool contending_ = false;  // creating our node
  bool uncertain_ = false;   // a create failed in a way that may have created the node
  bool elected_ = false;
  std::optional<std::optional<std::string>> reported_leader_;
  std::optional<EventLoop::TimerId> disconnect_timer_;
  uint64_t disconnect_generation_ = 0;  // cancelled timers may still run: they check this
  std::chrono::milliseconds backoff_{0};
  std::shared_ptr<char> alive_;  // replaced per session: callbacks of an old one are dropped
};

}  // namespace plateau::zk
