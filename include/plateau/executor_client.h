#pragma once

// Plateau's v1 executor library: subscribes an executor to its agent over the Mesos v1
// executor HTTP API (protobuf), delivers events through callbacks and sends calls. It keeps
// the launched tasks and the updates the agent has not acknowledged, and resubscribes with
// them when the connection drops (as long as the framework checkpoints and the recovery
// timeout has not passed; otherwise it reports the agent as gone).

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include <mesos/v1/executor/executor.pb.h>

namespace plateau::client {

struct ExecutorOptions {
  std::string framework_id;
  std::string executor_id;
  // MESOS_EXECUTOR_AUTHENTICATION_TOKEN: sent as a bearer token on every call ("" for none).
  std::string authentication_token;
  std::string agent;  // "host:port" of the agent's executor API
  bool checkpoint = false;
  std::chrono::nanoseconds recovery_timeout = std::chrono::minutes(15);
  std::chrono::milliseconds backoff_max{2000};

  // From the MESOS_* variables an agent sets for the executors it starts (MESOS_FRAMEWORK_ID,
  // MESOS_EXECUTOR_ID, MESOS_AGENT_ENDPOINT, MESOS_CHECKPOINT, MESOS_RECOVERY_TIMEOUT,
  // MESOS_SUBSCRIPTION_BACKOFF_MAX). An error (as text) when a required one is missing.
  static std::expected<ExecutorOptions, std::string> fromEnvironment();
};

// Called one at a time on the library's callback thread.
struct ExecutorCallbacks {
  std::function<void()> connected;
  // The connection dropped; the library resubscribes while recovery is possible.
  std::function<void(const std::string& why)> disconnected;
  // The agent is gone for good (no checkpointing, or the recovery timeout passed).
  std::function<void(const std::string& why)> lost;
  // Every event, SUBSCRIBED and HEARTBEAT included.
  std::function<void(const mesos::v1::executor::Event&)> received;
};

class ExecutorClient {
 public:
  static std::expected<std::unique_ptr<ExecutorClient>, std::string> create(
      ExecutorOptions options, ExecutorCallbacks callbacks);
  // Waits briefly for queued calls to go out, then joins the threads; no callback runs once it
  // returns. May run from a callback.
  ~ExecutorClient();
  ExecutorClient(const ExecutorClient&) = delete;
  ExecutorClient& operator=(const ExecutorClient&) = delete;

  // Thread-safe. Sends `call` (framework and executor ids filled in) after earlier calls. An
  // UPDATE is kept until ACKNOWLEDGED and resent on resubscription. Calls made while
  // disconnected wait for the next subscription.
  void send(mesos::v1::executor::Call call);
  // Thread-safe: no more calls, connections or callbacks.
  void stop();

 private:
  struct Impl;
  explicit ExecutorClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace plateau::client
