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
//   (Mesos's --max_operator_event_stream_subscribers).
// Loop thread only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

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
  // `books` is what snapshots and described frameworks and agents are read from.
  OperatorFeed(Timers& timers, std::shared_ptr<spdlog::logger> log, Books books);
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

  void taskAdded(const mesos::v1::Task& task);
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

  Timers& timers_;
  std::shared_ptr<spdlog::logger> log_;
  Books books_;
  std::unordered_map<uint64_t, Subscriber> subscribers_;
  uint64_t next_subscriber_ = 0;
  size_t max_subscribers_ = 1000;
  Timers::TimerId heartbeat_timer_ = 0;  // 0 while nobody subscribes
};

}  // namespace plateau::master
