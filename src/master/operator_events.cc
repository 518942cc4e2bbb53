// The operator API's SUBSCRIBE: a RecordIO stream that opens with a snapshot (SUBSCRIBED)
// and then carries every change to tasks, agents and frameworks, with HEARTBEATs between.
// The master calls the on*() hooks where its books change; they return at once while
// nobody subscribes.

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/recordio.h"
#include "master/master.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

// As Mesos: operator subscribers hear from the master at least every 15 seconds.
constexpr std::chrono::seconds kOperatorHeartbeat{15};

}  // namespace

void Master::subscribeOperator(http::ContentType accept, http::Responder responder) {
  uint64_t id = next_operator_subscriber_++;
  OperatorSubscriber& subscriber = operator_subscribers_[id];
  subscriber.content = accept;
  subscriber.stream = responder.stream(
      200, {{"content-type", http::mediaType(accept)}, {"cache-control", "no-cache"}});
  subscriber.stream->onClosed([this, id] { operator_subscribers_.erase(id); });

  operator_api::Event event;
  event.set_type(operator_api::Event::SUBSCRIBED);
  auto* subscribed = event.mutable_subscribed();
  getState(books(), subscribed->mutable_get_state());
  subscribed->set_heartbeat_interval_seconds(
      std::chrono::duration<double>(kOperatorHeartbeat).count());
  subscriber.stream->write(recordio::encode(http::encode(event, accept)));
  log_->info("operator_subscribed subscriber={} subscribers={}", id, operator_subscribers_.size());

  if (operator_heartbeat_timer_ == 0) {
    operator_heartbeat_timer_ = timers_.every(kOperatorHeartbeat, [this] {
      if (operator_subscribers_.empty()) {
        timers_.cancel(operator_heartbeat_timer_);
        operator_heartbeat_timer_ = 0;
        return;
      }
      operator_api::Event heartbeat;
      heartbeat.set_type(operator_api::Event::HEARTBEAT);
      publish(heartbeat);
    });
  }
}

void Master::publish(const operator_api::Event& event) {
  // Encoded at most once per content type, however many subscribers there are.
  std::optional<std::string> encoded[2];
  // write() may close a stream and run onClosed, which erases from the map: collect first.
  std::vector<std::pair<std::shared_ptr<http::Stream>, const std::string*>> writes;
  for (auto& [id, subscriber] : operator_subscribers_) {
    auto& record = encoded[subscriber.content == http::ContentType::kJson ? 0 : 1];
    if (!record) {
      record = recordio::encode(http::encode(event, subscriber.content));
    }
    writes.emplace_back(subscriber.stream, &*record);
  }
  for (auto& [stream, record] : writes) {
    if (!stream->closed()) {
      stream->write(*record);
    }
  }
}

void Master::onTaskAdded(const v1::Task& task) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::TASK_ADDED);
  *event.mutable_task_added()->mutable_task() = task;
  publish(event);
}

void Master::onTaskUpdated(const v1::Task& task, const v1::TaskStatus& status) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::TASK_UPDATED);
  auto* updated = event.mutable_task_updated();
  *updated->mutable_framework_id() = task.framework_id();
  *updated->mutable_status() = status;
  updated->mutable_status()->clear_data();
  updated->set_state(task.state());
  publish(event);
}

void Master::onAgentAdded(const Agent& agent) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::AGENT_ADDED);
  describeAgent(books(), agent, event.mutable_agent_added()->mutable_agent());
  publish(event);
}

void Master::onAgentRemoved(const std::string& agent_id) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::AGENT_REMOVED);
  event.mutable_agent_removed()->mutable_agent_id()->set_value(agent_id);
  publish(event);
}

void Master::onFrameworkAdded(const Framework& framework) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::FRAMEWORK_ADDED);
  auto* described = event.mutable_framework_added()->mutable_framework();
  describeFramework(books(), framework, described);
  // Offers and allocations never travel on the event stream, as in Mesos.
  described->clear_offers();
  described->clear_allocated_resources();
  described->clear_offered_resources();
  publish(event);
}

void Master::onFrameworkUpdated(const Framework& framework) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::FRAMEWORK_UPDATED);
  auto* described = event.mutable_framework_updated()->mutable_framework();
  describeFramework(books(), framework, described);
  described->clear_offers();
  described->clear_allocated_resources();
  described->clear_offered_resources();
  publish(event);
}

void Master::onFrameworkRemoved(const v1::FrameworkInfo& info) {
  if (operator_subscribers_.empty()) {
    return;
  }
  operator_api::Event event;
  event.set_type(operator_api::Event::FRAMEWORK_REMOVED);
  *event.mutable_framework_removed()->mutable_framework_info() = info;
  publish(event);
}

}  // namespace plateau::master
