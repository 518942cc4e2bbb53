#pragma once

// Which of several instances of a service (plateau-apps, plateau-jobs) leads: only the leader
// subscribes to the master and writes the state; the others follow who leads, so that they can
// proxy API calls to it (leader_proxy.h). Without ZooKeeper a service is its own sole leader.
// Loop thread only; callbacks run on the loop.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/event_loop.h"
#include "zookeeper/url.h"

namespace plateau::service {

class Leadership {
 public:
  struct Callbacks {
    // This instance leads now. `fence` is a ZooKeeper node that exists while it leads ("" when
    // there is none): a store's writes can check it (ZooKeeperStore::setFence).
    std::function<void(const std::string& fence)> elected;
    // This instance no longer leads (session lost, abdicated): stop acting as leader at once.
    // The instance contends again by itself.
    std::function<void(const std::string& why)> deposed;
    // The leader's API address ("host:port"), nullopt while none is known. Reported on every
    // change, this instance's own address included.
    std::function<void(std::optional<std::string> address)> leader;
  };

  virtual ~Leadership() = default;
  virtual void start(Callbacks callbacks) = 0;
  // Steps down (when leading) and contends again; another instance may win meanwhile.
  virtual void abdicate() = 0;
  virtual bool leading() const = 0;
  // For logs and /v2/info.
  virtual std::string describe() const = 0;
};

// Leads as soon as started, alone; abdicating steps down and leads again at once.
std::unique_ptr<Leadership> makeSoleLeadership(EventLoop& loop, std::string address);

// Contends under `url` (Mesos's election layout: ephemeral sequential "json.info_" nodes, whose
// data is {"address": ..., "id": ...}); contends again after losing a session, with backoff.
std::unique_ptr<Leadership> makeZooKeeperLeadership(EventLoop& loop, zk::Url url,
                                                    std::chrono::milliseconds session_timeout,
                                                    std::string address);

// The address in a contender's data, nullopt if it has none.
std::optional<std::string> addressOfContender(const std::string& data);

}  // namespace plateau::service
