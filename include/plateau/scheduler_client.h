#pragma once

// Plateau's v1 scheduler library: keeps one framework subscribed to the leading master over
// the Mesos v1 scheduler HTTP API (protobuf), delivers its events through callbacks and sends
// its calls. It detects the master (host:port, http://, file://, zk:// once HA exists),
// follows redirects to the leader, and after a lost connection, a missed heartbeat or a
// master failover reconnects with backoff and subscribes again with the framework's id.

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <mesos/v1/scheduler/scheduler.pb.h>

namespace plateau::client {

struct SchedulerOptions {
  // Where the master is: "host:port", "http://host:port", "file:///path" or "zk://...".
  std::string master;
  // Subscribed with; its id is set from SUBSCRIBED, so resubscriptions fail over.
  mesos::v1::FrameworkInfo framework;
  std::vector<std::string> suppressed_roles;
  // Reconnection backoff doubles from min to max; each wait is drawn from [half of it, all of
  // it] so that many schedulers failing together do not retry in lockstep.
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
  // Seeds those draws (0: a seed from the OS); a fixed seed replays the same waits.
  uint64_t seed = 0;
  // HTTP Basic credentials sent with every call (a master with --authenticate_http_frameworks
  // requires them); an empty principal sends none.
  std::string principal;
  std::string secret;
};

// Called one at a time on the library's callback thread, never on the caller's thread.
struct SchedulerCallbacks {
  // The subscription stream to a master is open (SUBSCRIBED follows as an event).
  std::function<void()> connected;
  // The stream was lost; the library is reconnecting.
  std::function<void(const std::string& why)> disconnected;
  // Every event, SUBSCRIBED and HEARTBEAT included. After an ERROR event the library stops:
  // the master has refused or removed the framework.
  std::function<void(const mesos::v1::scheduler::Event&)> received;
};

class SchedulerClient {
 public:
  // Starts connecting at once. An error (as text) for a master string no detector accepts.
  static std::expected<std::unique_ptr<SchedulerClient>, std::string> create(
      SchedulerOptions options, SchedulerCallbacks callbacks);

  // Stops (as stop(false)), waits briefly for queued calls to go out, and joins the threads.
  // No callback runs once it returns. May run from a callback.
  ~SchedulerClient();
  SchedulerClient(const SchedulerClient&) = delete;
  SchedulerClient& operator=(const SchedulerClient&) = delete;

  // Thread-safe. Sends `call` with the framework id filled in, after the calls sent before it.
  // A call made while not subscribed is dropped and `dropped` (if any) runs on the callback
  // thread, as Mesos drops calls while disconnected.
  void send(mesos::v1::scheduler::Call call, std::function<void()> dropped = nullptr);

  // Thread-safe. Sends TEARDOWN first when `teardown` (and subscribed), then closes the
  // stream and stops reconnecting; no callback runs afterwards.
  void stop(bool teardown);

  // The framework id the master assigned (empty before the first SUBSCRIBED). Thread-safe.
  std::string frameworkId() const;

 private:
  struct Impl;
  explicit SchedulerClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace plateau::client
