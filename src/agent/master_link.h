#pragma once

// The agent's link to the master: registration, the event stream, heartbeats, and coming back
// after anything breaks it. Guarantees:
//  - at most one subscription (a REGISTER call whose response streams the master's events) is
//    open at a time, and only while a master is known;
//  - the stream ends when the master closes or refuses it, when it carries something that is
//    not an AgentEvent, when the master answers a call with 404 while the agent is registered
//    (it forgot the agent), when a new master is elected, and when six heartbeat periods pass
//    without a byte from the master (hung, or the network between is);
//  - after the stream ends, REGISTER is sent again after a backoff that doubles from 100 ms up to
//    the registration backoff limit (a retry scheduled earlier and still pending may come
//    first); REGISTERED resets it. With a jitter seed each wait is a draw from [half the
//    backoff, the backoff], so that the agents of a cluster do not all come back to a new
//    master in the same instant;
//  - while registered, a HEARTBEAT call goes out every period the master named (5 s when it
//    named none, at least 100 ms);
//  - every event other than REGISTERED and HEARTBEAT reaches the agent, in the order it came;
//  - a call the master answers 429 (rate limited) is sent again after 1 s, doubling up to 30 s,
//    for as long as the link stays registered (docs/security.md, "Per-client limits");
//  - every call carries the session secret of the last REGISTERED (and REGISTER too, so that a
//    master still holding the old stream open lets the agent back).
// It knows nothing of HTTP or of what the agent runs: the Transport carries calls and the
// stream, Hooks build REGISTER and take the events, and time comes through Clock and Timers, so
// it runs in virtual time (tests/unit/agent/master_link_test.cc). Loop thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <plateau/agent.pb.h>
#include <spdlog/logger.h>

#include "common/backoff.h"
#include "common/recordio.h"
#include "common/status.h"
#include "http/client.h"
#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::agent {

class MasterLink {
 public:
  // How calls reach the master. HttpMasterTransport below is the real one.
  class Transport {
   public:
    virtual ~Transport() = default;
    // Sends `call` and streams the response: head, then body bytes, then closed (unless
    // cancelled first).
    virtual std::shared_ptr<http::StreamingCall> subscribe(
        const http::Endpoint& master, const internal::AgentCall& call,
        http::StreamingCall::Callbacks callbacks) = 0;
    // Sends `call`; `done` gets the response's HTTP status, or why there is none.
    virtual void send(const http::Endpoint& master, const internal::AgentCall& call,
                      std::function<void(Result<int> status)> done) = 0;
  };

  struct Hooks {
    // The REGISTER call (agent info, and what the agent runs), built at each (re)connection.
    std::function<internal::AgentCall()> registration;
    // REGISTERED arrived: the link is up (calls may go out) and heartbeats run.
    std::function<void(const internal::AgentEvent::Registered& registered)> registered;
    // The stream ended: the link is down until the next REGISTERED.
    std::function<void()> disconnected;
    // Any other event from the master.
    std::function<void(const internal::AgentEvent& event)> event;
    // The agent id heartbeats carry.
    std::function<mesos::v1::AgentID()> agent_id;
  };

  // `max_backoff`: --registration_backoff_factor. `jitter_seed`: spreads the waits (exact
  // waits without one).
  MasterLink(const Clock& clock, Timers& timers, Transport& transport,
             std::chrono::nanoseconds max_backoff, std::optional<uint64_t> jitter_seed,
             std::shared_ptr<spdlog::logger> log, Hooks hooks);
  // Cancels the stream and every timer.
  ~MasterLink();
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  // The master to register with: a fixed --master, or the leader the detector names (nullopt:
  // none now; a stream open stays open). A master not known before, or at another address,
  // is registered with: at once when no stream is open, else after the old stream is ended
  // and the backoff has passed.
  void setMaster(std::optional<http::Endpoint> master);

  // Sends a call to the last master known (whether registered or not).
  void send(const internal::AgentCall& call);

  // Whether REGISTERED arrived on the stream now open.
  bool registered() const { return registered_; }
  // Whether a subscription is open (registered or waiting for REGISTERED).
  bool connected() const { return stream_ != nullptr; }
  // The hostname of the master that last registered the agent (empty before).
  const std::string& masterHostname() const { return master_hostname_; }
  // The delay before the next REGISTER, should the stream end now (doubled first).
  std::chrono::nanoseconds backoff() const { return backoff_; }

 private:
  void connect();
  void onData(std::string_view data);
  void onRegistered(const internal::AgentEvent::Registered& registered);
  // Ends the open stream (it is cancelled) and schedules the next REGISTER.
  void drop(const Status& why);
  void onClosed(const Status& why);
  void heartbeat(std::chrono::nanoseconds period);
  void sendAttempt(const internal::AgentCall& call, int attempt);
  void retryLimited(const internal::AgentCall& call, int attempt);
  void cancelTimer(Timers::TimerId& id);

  const Clock& clock_;
  Timers& timers_;
  Transport& transport_;
  const std::chrono::nanoseconds max_backoff_;
  std::shared_ptr<spdlog::logger> log_;
  const Hooks hooks_;

  http::Endpoint master_;      // the last master known: calls go there
  bool master_known_ = false;  // false while no leader is known
  std::shared_ptr<http::StreamingCall> stream_;
  recordio::Decoder decoder_;
  bool registered_ = false;
  std::optional<Jitter> jitter_;
  std::chrono::nanoseconds backoff_{0};
  Clock::TimePoint last_event_{};
  Timers::TimerId heartbeat_timer_ = 0;
  std::set<Timers::TimerId> reconnect_timers_;  // pending retries
  std::set<Timers::TimerId> retry_timers_;      // calls answered 429, to send again
  std::string master_hostname_;
  std::string session_;  // from the last REGISTERED: every call carries it
};

// The transport over HTTP: POST /agent/api/v1 with a protobuf body.
class HttpMasterTransport final : public MasterLink::Transport {
 public:
  // `authorization`: the Authorization header every call carries ("" for none), from the
  // agent's --credential when the master has --authenticate_agents.
  explicit HttpMasterTransport(EventLoop& loop, std::string authorization = "")
      : loop_(loop), client_(loop), authorization_(std::move(authorization)) {}
  std::shared_ptr<http::StreamingCall> subscribe(const http::Endpoint& master,
                                                 const internal::AgentCall& call,
                                                 http::StreamingCall::Callbacks callbacks) override;
  void send(const http::Endpoint& master, const internal::AgentCall& call,
            std::function<void(Result<int> status)> done) override;

 private:
  http::Headers headers() const;

  EventLoop& loop_;
  http::Client client_;
  std::string authorization_;
};

}  // namespace plateau::agent
