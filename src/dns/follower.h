#pragma once

// Keeps a ClusterState current from the leading master's operator API: one SUBSCRIBE event
// stream (client::Subscription: found through the detector, re-subscribed with backoff after any
// failure or leader change), GET_MASTER for the leader after each subscription, and a full
// GET_STATE every `refreshSeconds` as a resync. While no master answers, the last state stays.
//
// Loop-thread only; `changed` runs on the loop after anything naming depends on may have changed.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "client/master_detector.h"
#include "client/subscription.h"
#include "dns/cluster_state.h"
#include "dns/config.h"
#include "dns/dns_metrics.h"
#include "runtime/event_loop.h"

namespace plateau::dns {

class StateFollower {
 public:
  // `detector`, `metrics` and `config` must outlive the follower.
  StateFollower(EventLoop& loop, const Config& config, client::MasterDetector& detector,
                DnsMetrics& metrics, std::shared_ptr<spdlog::logger> log,
                std::function<void()> changed);
  ~StateFollower();

  void start();
  const ClusterState& state() const { return state_; }
  bool subscribed() const { return subscription_.isSubscribed(); }

 private:
  Result<size_t> onChunk(recordio::Decoder& decoder, std::string_view chunk);
  void onEvent(const json::Value& event);
  void fetchLeader();
  void resync();
  void call(const std::string& type, std::function<void(const json::Value&)> done);

  EventLoop& loop_;
  const Config& config_;
  DnsMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void()> changed_;
  ClusterState state_;
  client::Subscription subscription_;
  Timers::TimerId resync_timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A detector over Mesos-DNS's `masters` list: each attempt tries the next master in turn (a
// master that does not lead redirects to the one that does); it never reports a change itself.
std::unique_ptr<client::MasterDetector> mastersListDetector(EventLoop& loop,
                                                            std::vector<std::string> masters);

}  // namespace plateau::dns
