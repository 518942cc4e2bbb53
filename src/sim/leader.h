#pragma once

// Which master plateau-sim talks to, and when that changes, from its --master text:
//   host:port                          one master, always;
//   host:port,host:port,...            several masters: when the current one cannot be reached
//                                      (or answers as a standby), the next one is tried;
//   zk://host:port[,host:port]/path    the leader the masters elect in ZooKeeper, followed as
//                                      agents and frameworks follow it (client/master_detector.h).
// Every change is told to the listeners, in order, on the loop thread, so that the simulated
// agents and frameworks re-register with the new leader. Loop thread only.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/detector.h"
#include "common/status.h"
#include "http/client.h"
#include "runtime/event_loop.h"

namespace plateau::sim {

// Answers everyone who asks about one key with a single probe at a time: the first ask starts
// `probe`, later asks wait for its answer, and an ask after an answer starts a new probe. The
// answer may come at once or later; it is dropped once this is destroyed. Pure.
class SharedProbes {
 public:
  using Probe = std::function<void(const std::string& key, std::function<void(bool)> answer)>;
  explicit SharedProbes(Probe probe) : probe_(std::move(probe)) {}
  ~SharedProbes() { *alive_ = false; }
  SharedProbes(const SharedProbes&) = delete;
  SharedProbes& operator=(const SharedProbes&) = delete;

  void ask(const std::string& key, std::function<void(bool)> done);
  // Keys with a probe on the way.
  size_t inFlight() const { return waiting_.size(); }

 private:
  Probe probe_;
  std::map<std::string, std::vector<std::function<void(bool)>>> waiting_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class Leader {
 public:
  // InvalidArgument for text that is none of the forms above.
  static Result<std::unique_ptr<Leader>> create(EventLoop& loop, std::string_view master);
  // One fixed master.
  explicit Leader(http::Endpoint master);
  ~Leader();
  Leader(const Leader&) = delete;
  Leader& operator=(const Leader&) = delete;

  // Whether a leader is known (at once, except with ZooKeeper before its first answer).
  bool known() const { return current_.has_value(); }
  // The master to talk to now (only when known()).
  const http::Endpoint& current() const { return *current_; }
  // How many times the leader changed since the first one was known.
  int changes() const { return changes_; }
  // Whether changes come from ZooKeeper (zk://): then a master that cannot be reached is
  // replaced by the next leader the masters elect, and onChange() tells when.
  bool elected() const { return detector_ != nullptr; }

  // A call to `tried` got no answer, or was refused as by a standby: with a list, the next
  // master becomes current (if `tried` still is); otherwise nothing changes.
  void unreachable(const http::Endpoint& tried);
  // With ZooKeeper: `done(true)` once `master` answers HTTP at all (any status), `done(false)`
  // when it cannot be reached (no answer within 2 s); one probe (GET /health) at a time per
  // master, however many ask. The simulated agents ask this before registering again with the
  // leader they lost: 10,000 plateau-agents would each rebuild their registration against a
  // dead leader on their own CPU, but here one process would pay for all of them, and its loop
  // would hold ZooKeeper's news of the next leader behind that work. Without ZooKeeper,
  // `done(true)` at once.
  void whenReachable(const http::Endpoint& master, std::function<void(bool reachable)> done);
  // `listener` runs after every change of current().
  void onChange(std::function<void()> listener) { listeners_.push_back(std::move(listener)); }
  void clearListeners() { listeners_.clear(); }

 private:
  Leader() = default;
  void detect();
  void set(std::optional<http::Endpoint> leader);

  std::vector<http::Endpoint> list_;  // several masters: tried in turn
  size_t next_ = 0;
  std::unique_ptr<client::MasterDetector> detector_;  // zk://
  client::MasterDetector::Leader detected_;           // what the detector said last
  std::optional<http::Endpoint> current_;
  int changes_ = 0;
  std::vector<std::function<void()>> listeners_;
  std::unique_ptr<SharedProbes> probes_;  // zk://: GET /health, by master
};

}  // namespace plateau::sim
