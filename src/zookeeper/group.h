#pragma once

// Mesos's leader-election layout under a ZooKeeper path: each contender owns an ephemeral
// sequential node "json.info_<10-digit sequence>" whose data describes it; the lowest sequence
// leads. Other children ("log_replicas", legacy "info_" nodes) are not contenders.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/event_loop.h"
#include "zookeeper/client.h"

namespace plateau::zk {

inline constexpr std::string_view kContenderPrefix = "json.info_";

// The contender nodes among `children`, lowest sequence (the leader) first.
std::vector<std::string> contenders(const std::vector<std::string>& children);

// Follows the contenders under one path of one session: lists them (watching the list) and reads
// the leader's data, again after every change, retrying errors with backoff. Watches the children
// list rather than each contender's predecessor: at a handful of masters the herd is small, and
// every contender learns the current leader this way.
class GroupWatcher {
 public:
  struct View {
    std::vector<std::string> contenders;     // sorted, leader first
    std::optional<std::string> leader_data;  // data of contenders.front(); nullopt when empty
  };

  // `on_view` runs on the loop with every view read; `zk` must outlive this object.
  GroupWatcher(EventLoop& loop, ZooKeeper& zk, std::string path, std::function<void(View)> on_view);
  ~GroupWatcher();
  GroupWatcher(const GroupWatcher&) = delete;
  GroupWatcher& operator=(const GroupWatcher&) = delete;

  // Reads the group now (e.g. after a reconnection), and after every change from then on.
  void refresh();

 private:
  void onChildren(Result<std::vector<std::string>> children);
  void onMissingPath();
  void retry();

  EventLoop& loop_;
  ZooKeeper& zk_;
  std::string path_;
  std::function<void(View)> on_view_;
  bool in_flight_ = false;
  bool again_ = false;
  bool children_watch_ = false;
  bool exists_watch_ = false;
  bool retry_scheduled_ = false;
  std::chrono::milliseconds backoff_{0};
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace plateau::zk
