#pragma once

// The operator API's SUBSCRIBE streams. Each subscriber's RecordIO stream opens with a snapshot
// of the books (SUBSCRIBED) and then carries every change the master reports through the
// *Added/*Updated/*Removed calls, in the order it reports them, with a HEARTBEAT at least every
// 15 seconds (as Mesos). Guarantees:
// - a change costs nothing but an emptiness check while nobody subscribes;
// - an event is encoded at most once per content type, however many subscribers there are;
// - a closed stream is dropped at once and never written to again;
// - the heartbeat timer runs only while someone subscribes;
// - at most setMaxSubscribers() streams are open: a new one beyond it closes the oldest
//   (Mesos's --max_operator_event_stream_subscribers);
// - the snapshot may be rendered off the loop (the Offload seam: a forked child, as GET_STATE),
//   from the books as they stood when the subscriber came; every change reported after that
//   is held for the subscriber, in order, and written right after the snapshot, so that no
//   change is lost or told twice. A subscriber whose held changes pass kMaxHeldBytes before
//   its snapshot is ready, or whose off-loop render failed (the child crashed or ran out of
//   time), is closed (it may subscribe again): a failed render is never redone on the loop;
// - the snapshot and the changes held behind it are written as owed bytes (http::writeOwed,
//   http/owed_write.h): a subscriber taking a large snapshot is not cut as a slow reader for them,
//   only for the live changes queued behind them.
// Loop thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

#include "http/content.h"
#include "http/server.h"
#include "master/views.h"
#include "runtime/timers.h"

namespace mesos::v1::master {
class Event;
}  // namespace mesos::v1::master

namespace plateau::master {

class OperatorFeed {
 public:
  // Runs render() elsewhere, from the state as it is now, and gives its bytes to `done` on the
  // loop later (nullopt: it failed); false when it cannot, and `done` is never called.
  using Offload = std::function<bool(const std::function<std::string()>& render,
                                     std::function<void(std::optional<std::string>)> done)>;
  static constexpr size_t kMaxHeldBytes = size_t{256} << 20;
  static constexpr size_t kHeldBlockBytes = size_t{1} << 20;

  // `books` is what snapshots and described frameworks and agents are read from; `offload`
  // (empty: none) renders snapshots off the loop.
  OperatorFeed(Timers& timers, std::shared_ptr<spdlog::logger> log, Books books,
               Offload offload = nullptr);
  ~OperatorFeed();
  OperatorFeed(const OperatorFeed&) = delete;
  OperatorFeed& operator=(const OperatorFeed&) = delete;

  // Answers `responder` with a stream that opens with the SUBSCRIBED snapshot. `view` (null:
  // everything) is what the subscriber may see: its snapshot and the task and framework events
  // leave out the rest (master/view_filter.h).
  void subscribe(http::ContentType accept, http::Responder responder,
                 std::shared_ptr<const ViewFilter> view = nullptr);
  size_t subscribers() const { return subscribers_.size(); }
  void setMaxSubscribers(size_t max) { max_subscribers_ = max; }

  void taskAdded(const Task& task);
  void taskUpdated(const mesos::v1::Task& task, const mesos::v1::TaskStatus& status);
  void agentAdded(const Agent& agent);
  void agentRemoved(const std::string& agent_id);
  void frameworkAdded(const Framework& framework);
  void frameworkUpdated(const Framework& framework);
  void frameworkRemoved(const mesos::v1::FrameworkInfo& info);

 private:
  struct Subscriber {
    std::shared_ptr<http::Stream> stream;
    http::ContentType content = http::ContentType::kJson;
    std::shared_ptr<const ViewFilter> view;  // null: sees everything
    // While its snapshot renders elsewhere: the records of the changes since, in order,
    // concatenated into blocks of about kHeldBlockBytes (written as one chunk each, so that
    // a minute of changes costs the loop a few hundred writes, not one per change).
    bool waiting_for_snapshot = false;
    std::vector<std::string> held;
    size_t held_bytes = 0;
  };
  // What an event is about, for the subscribers' views (none: everyone sees it).
  struct About {
    const mesos::v1::FrameworkInfo* framework = nullptr;
    const mesos::v1::Task* task = nullptr;  // with its framework
    bool unfiltered_only = false;           // only for subscribers who see everything
  };

  void publish(const mesos::v1::master::Event& event, const About& about);
  void publish(const mesos::v1::master::Event& event);
  static bool sees(const Subscriber& subscriber, const About& about);
  About aboutTask(const mesos::v1::Task& task) const;
  void heartbeat();
  // The subscriber's SUBSCRIBED record, from the books as they are now.
  std::string snapshot(const Subscriber& subscriber) const;
  // The offloaded snapshot is back (nullopt: it failed): written, then what was held.
  void snapshotReady(uint64_t id, std::optional<std::string> snapshot);

  Timers& timers_;
  std::shared_ptr<spdlog::logger> log_;
  Books books_;
  Offload offload_;
  std::unordered_map<uint64_t, Subscriber> subscribers_;
  uint64_t next_subscriber_ = 0;
  size_t max_subscribers_ = 1000;
  Timers::TimerId heartbeat_timer_ = 0;                         // 0 while nobody subscribes
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed
};

}  // namespace plateau::master
