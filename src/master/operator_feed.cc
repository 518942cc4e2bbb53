#include "master/operator_feed.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include <mesos/v1/master/master.pb.h>

#include "common/recordio.h"
#include "http/owed_write.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

// As Mesos: operator subscribers hear from the master at least every 15 seconds.
constexpr std::chrono::seconds kHeartbeat{15};

// Offers and allocations never travel on the event stream, as in Mesos.
void withoutOffers(operator_api::Response::GetFrameworks::Framework* framework) {
  framework->clear_offers();
  framework->clear_allocated_resources();
  framework->clear_offered_resources();
}

}  // namespace

OperatorFeed::OperatorFeed(Timers& timers, std::shared_ptr<spdlog::logger> log, Books books,
                           Offload offload)
    : timers_(timers), log_(std::move(log)), books_(books), offload_(std::move(offload)) {}

OperatorFeed::~OperatorFeed() {
  *alive_ = false;
  if (heartbeat_timer_ != 0) {
    timers_.cancel(heartbeat_timer_);
  }
  for (auto& [id, subscriber] : subscribers_) {
    // The stream may outlive the feed (or die with it): its end must not reach the feed.
    subscriber.stream->onClosed([] {});
  }
}

void OperatorFeed::subscribe(http::ContentType accept, http::Responder responder,
                             std::shared_ptr<const ViewFilter> view) {
  uint64_t id = next_subscriber_++;
  Subscriber& subscriber = subscribers_[id];
  subscriber.content = accept;
  subscriber.view = view != nullptr && !view->showsAll() ? std::move(view) : nullptr;
  subscriber.stream = responder.stream(
      200, {{"content-type", http::mediaType(accept)}, {"cache-control", "no-cache"}});
  subscriber.stream->onClosed([this, id] { subscribers_.erase(id); });

  // The snapshot is of the books as they are now. When it renders elsewhere, every change from
  // now on is held for this subscriber and written after it (publish(), snapshotReady()).
  auto render = [this, &subscriber] { return snapshot(subscriber); };
  auto ready = [this, alive = std::weak_ptr<bool>(alive_), id](std::optional<std::string> bytes) {
    if (auto live = alive.lock(); live && *live) {
      snapshotReady(id, std::move(bytes));
    }
  };
  subscriber.waiting_for_snapshot = true;
  if (!offload_ || !offload_(render, std::move(ready))) {
    subscriber.waiting_for_snapshot = false;
    http::writeOwed(*subscriber.stream, snapshot(subscriber));
  }
  log_->info("operator_subscribed subscriber={} subscribers={}", id, subscribers_.size());
  while (subscribers_.size() > max_subscribers_) {
    // Ids grow with time: the smallest is the oldest. close() runs onClosed, which erases it.
    auto oldest = std::ranges::min_element(subscribers_, {}, [](const auto& e) { return e.first; });
    log_->info("operator_subscriber_closed subscriber={} reason=max_subscribers", oldest->first);
    auto stream = oldest->second.stream;
    subscribers_.erase(oldest);
    stream->close();
  }

  if (heartbeat_timer_ == 0) {
    heartbeat_timer_ = timers_.every(kHeartbeat, [this] { heartbeat(); });
  }
}

std::string OperatorFeed::snapshot(const Subscriber& subscriber) const {
  operator_api::Event event;
  event.set_type(operator_api::Event::SUBSCRIBED);
  auto* subscribed = event.mutable_subscribed();
  Books books = books_;
  books.view = subscriber.view.get();
  getState(books, subscribed->mutable_get_state());
  subscribed->set_heartbeat_interval_seconds(std::chrono::duration<double>(kHeartbeat).count());
  return recordio::encode(http::encode(event, subscriber.content));
}

void OperatorFeed::snapshotReady(uint64_t id, std::optional<std::string> snapshot) {
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) {
    return;  // closed meanwhile
  }
  Subscriber& subscriber = it->second;
  subscriber.waiting_for_snapshot = false;
  std::vector<std::string> held = std::move(subscriber.held);
  subscriber.held.clear();
  subscriber.held_bytes = 0;
  // A write may close the stream and erase the subscriber: only the stream is used below.
  std::shared_ptr<http::Stream> stream = subscriber.stream;
  if (!snapshot) {
    // The child crashed or ran out of time, which at this size means the snapshot is too big to
    // render on the loop without holding it for seconds: the subscriber is closed instead, and
    // may subscribe again (the held changes go with it; nothing was written to the stream).
    log_->warn("operator_snapshot_failed subscriber={} closed=true", id);
    subscribers_.erase(it);
    stream->close();
    return;
  }
  http::writeOwed(*stream, std::move(*snapshot));
  for (std::string& block : held) {
    if (stream->closed()) {
      return;
    }
    http::writeOwed(*stream, std::move(block));
  }
}

void OperatorFeed::heartbeat() {
  if (subscribers_.empty()) {
    timers_.cancel(heartbeat_timer_);
    heartbeat_timer_ = 0;
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::HEARTBEAT);
  publish(event);
}

bool OperatorFeed::sees(const Subscriber& subscriber, const About& about) {
  if (about.unfiltered_only) {
    return subscriber.view == nullptr || subscriber.view->showsAll();
  }
  if (subscriber.view == nullptr || about.framework == nullptr) {
    return true;
  }
  return about.task != nullptr ? subscriber.view->task(*about.task, *about.framework)
                               : subscriber.view->framework(*about.framework);
}

void OperatorFeed::publish(const operator_api::Event& event) { publish(event, About{}); }

void OperatorFeed::publish(const operator_api::Event& event, const About& about) {
  std::optional<std::string> encoded[2];  // by content type: JSON, protobuf
  // write() may close a stream and run onClosed, which erases from the map: collect first.
  std::vector<std::pair<std::shared_ptr<http::Stream>, const std::string*>> writes;
  std::vector<std::pair<uint64_t, std::shared_ptr<http::Stream>>> overflowing;
  for (auto& [id, subscriber] : subscribers_) {
    if (!sees(subscriber, about)) {
      continue;
    }
    auto& record = encoded[subscriber.content == http::ContentType::kJson ? 0 : 1];
    if (!record) {
      record = recordio::encode(http::encode(event, subscriber.content));
    }
    if (subscriber.waiting_for_snapshot) {
      if (subscriber.held.empty() || subscriber.held.back().size() >= kHeldBlockBytes) {
        subscriber.held.emplace_back().reserve(kHeldBlockBytes + record->size());
      }
      subscriber.held.back() += *record;
      subscriber.held_bytes += record->size();
      if (subscriber.held_bytes > kMaxHeldBytes) {
        overflowing.emplace_back(id, subscriber.stream);
      }
      continue;
    }
    writes.emplace_back(subscriber.stream, &*record);
  }
  for (auto& [stream, record] : writes) {
    if (!stream->closed()) {
      stream->write(*record);
    }
  }
  for (auto& [id, stream] : overflowing) {
    log_->warn("operator_subscriber_closed subscriber={} reason=held_changes_over_{}_bytes", id,
               kMaxHeldBytes);
    stream->close();  // runs onClosed, which erases it
  }
}

OperatorFeed::About OperatorFeed::aboutTask(const mesos::v1::Task& task) const {
  const Framework* framework = books_.frameworks.find(task.framework_id().value());
  return {.framework = framework == nullptr ? nullptr : &framework->info, .task = &task};
}

void OperatorFeed::taskAdded(const Task& task) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::TASK_ADDED);
  task.copyInfo(event.mutable_task_added()->mutable_task());
  publish(event, aboutTask(event.task_added().task()));
}

void OperatorFeed::taskUpdated(const mesos::v1::Task& task, const mesos::v1::TaskStatus& status) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::TASK_UPDATED);
  auto* updated = event.mutable_task_updated();
  *updated->mutable_framework_id() = task.framework_id();
  *updated->mutable_status() = status;
  updated->mutable_status()->clear_data();
  updated->set_state(task.state());
  publish(event, aboutTask(task));
}

void OperatorFeed::agentAdded(const Agent& agent) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::AGENT_ADDED);
  describeAgent(books_, agent, event.mutable_agent_added()->mutable_agent());
  publish(event, About{.unfiltered_only = true});
  // The others see only the reservations of roles they may view (view_roles): one event each.
  std::vector<std::pair<std::shared_ptr<http::Stream>, std::string>> writes;
  for (auto& [id, subscriber] : subscribers_) {
    if (subscriber.view == nullptr || subscriber.view->showsAll()) {
      continue;
    }
    Books books = books_;
    books.view = subscriber.view.get();
    event.mutable_agent_added()->Clear();
    describeAgent(books, agent, event.mutable_agent_added()->mutable_agent());
    writes.emplace_back(subscriber.stream,
                        recordio::encode(http::encode(event, subscriber.content)));
  }
  for (auto& [stream, record] : writes) {  // a write may close a stream: collected first
    if (!stream->closed()) {
      stream->write(record);
    }
  }
}

void OperatorFeed::agentRemoved(const std::string& agent_id) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::AGENT_REMOVED);
  event.mutable_agent_removed()->mutable_agent_id()->set_value(agent_id);
  publish(event);
}

void OperatorFeed::frameworkAdded(const Framework& framework) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::FRAMEWORK_ADDED);
  auto* described = event.mutable_framework_added()->mutable_framework();
  describeFramework(books_, framework, described);
  withoutOffers(described);
  publish(event, {.framework = &framework.info});
}

void OperatorFeed::frameworkUpdated(const Framework& framework) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::FRAMEWORK_UPDATED);
  auto* described = event.mutable_framework_updated()->mutable_framework();
  describeFramework(books_, framework, described);
  withoutOffers(described);
  publish(event, {.framework = &framework.info});
}

void OperatorFeed::frameworkRemoved(const mesos::v1::FrameworkInfo& info) {
  if (subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::FRAMEWORK_REMOVED);
  *event.mutable_framework_removed()->mutable_framework_info() = info;
  publish(event, {.framework = &info});
}

}  // namespace plateau::master
