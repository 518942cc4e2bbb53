#pragma once

// plateau-sim's connections to the master: a bounded pipe for calls, each simulated agent's
// registration stream (the agent protocol) and each simulated framework's subscription (the v1
// scheduler API, protobuf). All on one event loop; a link owns its state machine (SimAgent,
// SimFramework) and only carries bytes and time to it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <spdlog/logger.h>

#include "common/recordio.h"
#include "http/client.h"
#include "runtime/event_loop.h"
#include "sim/agent_stream.h"
#include "sim/leader.h"
#include "sim/sim_agent.h"
#include "sim/sim_framework.h"

namespace plateau::sim {

struct LinkStats {
  int64_t calls = 0;
  int64_t calls_failed = 0;    // no response (connection refused, timeout)
  int64_t calls_rejected = 0;  // a response other than 2xx (after any retries)
  int64_t calls_refused = 0;   // answers 429 or 503 (each sent again: call_retry.h)
  int64_t calls_retried = 0;   // sends again after such an answer
  int64_t stream_drops = 0;    // streams that ended and were opened again
  size_t max_queued = 0;       // most calls waiting for a connection at once
  // Status update resends not sent because a copy was still in the pipe (AgentLink::send).
  int64_t updates_not_resent = 0;
  // Seconds from a call's making to its sending: the simulator's own queueing, which the
  // latencies measured from a task's launch include. Large values mean the simulator (or
  // --max_calls_in_flight), not the master, is what holds calls back.
  LatencySamples queue_wait;
  // When agents lost their link, and when which agent (its hostname) registered, in order: the
  // failover curve.
  std::vector<Clock::TimePoint> agent_links_lost;
  std::vector<std::pair<Clock::TimePoint, const std::string*>> agent_registrations;
};

// Calls to the master over at most `max_in_flight` connections at once (the client pools
// them), the rest queued in order: a burst of thousands of calls reuses a few keep-alive
// connections instead of opening (and leaving in TIME_WAIT) one each. A call answered 429 or
// 503 is sent again after its Retry-After or a back-off (call_retry.h); its `done` hears only
// the last answer.
class CallPipe {
 public:
  // Calls go to `leader`'s current master when they leave the queue.
  CallPipe(EventLoop& loop, const Leader& leader, size_t max_in_flight, LinkStats& stats);
  // `done` (may be empty) gets the HTTP status or why there is none. `made`: when the caller
  // made the call (default: now), for LinkStats::queue_wait.
  void send(http::ClientRequest request, std::function<void(Result<int>)> done,
            std::optional<Clock::TimePoint> made = std::nullopt);
  ~CallPipe();
  // The priority lane: a call that leaves before every call of send() still waiting (agents'
  // HEARTBEATs, so that a backlog of other calls cannot make the master think agents are gone).
  void sendFirst(http::ClientRequest request);
  // The schedulers' lane: a call that leaves after the priority lane's, before every call of
  // send() still waiting (frameworks' ACKNOWLEDGEs). A scheduler sends its acknowledgements
  // over its own connection as it handles each update; in the shared pipe they would wait
  // behind thousands of agents' calls, past the agents' status update retry interval.
  void sendAhead(http::ClientRequest request, Clock::TimePoint made);
  // Calls waiting for a connection or for their retry.
  size_t queued() const {
    return queue_.size() + first_.size() + ahead_.size() + retry_timers_.size();
  }

 private:
  void pump();
  struct Queued {
    http::ClientRequest request;
    std::function<void(Result<int>)> done;
    Clock::TimePoint made;
    int attempts = 0;  // sends so far
  };
  // Sends `call` again after the wait call_retry.h gives for `response`; false when it is not
  // to be sent again.
  bool retry(Queued& call, const http::Response& response);
  EventLoop& loop_;
  http::Client client_;
  const Leader& leader_;
  size_t max_in_flight_;
  size_t in_flight_ = 0;
  LinkStats& stats_;
  std::deque<Queued> queue_;
  std::vector<Timers::TimerId> retry_timers_;
  uint64_t random_ = 0x2545f4914f6cdd1dULL;
  std::deque<Queued> first_;  // sendFirst(): served before ahead_ and queue_
  std::deque<Queued> ahead_;  // sendAhead(): served before queue_
};

// One simulated agent: registers (and re-registers after any break, with a backoff), feeds the
// master's events to its SimAgent and calls SimAgent::heartbeat() every heartbeat period. It
// registers with `leader`'s current master, from `source` (empty: any address); when the
// leader changes it re-registers there as plateau-agent does (MasterLink::setMaster): at once
// when no registration is open, else after the open one is ended and the backoff has passed.
// Retries: registrationRetryDelay() (failover.h): a refusal's Retry-After (a busy master) is
// honoured; otherwise plateau-agent's backoff with its default --registration_backoff_factor,
// doubling from 100 ms to 1 s, each wait drawn from half to all of it; an agent that an elected
// leader did not take waits for ZooKeeper to name the next one (5 s at most). HEARTBEAT calls
// take the pipe's priority lane.
class AgentLink {
 public:
  AgentLink(EventLoop& loop, CallPipe& pipe, Leader& leader, std::string source, AgentSpec spec,
            SimAgent::Options options, uint64_t seed, TaskLedger& ledger, LinkStats& stats,
            std::shared_ptr<spdlog::logger> log);
  ~AgentLink();
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  void start();
  void leaderChanged();
  bool registered() const { return registered_; }
  const SimAgent& agent() const { return agent_; }

  // Puts the agent on `stream`, shared with other agents (agent_stream.h), under `tag` (unique
  // on it), instead of a stream of its own; before start().
  void shareStream(AgentStream* stream, std::string tag);
  // What its AgentStream tells it and asks of it.
  const std::string& tag() const { return tag_; }
  plateau::internal::AgentCall registrationCall() const;
  void streamRegistered(const plateau::internal::AgentEvent::Registered& registered);
  void streamEvent(const plateau::internal::AgentEvent& event) { agent_.handle(event); }
  // Its registration on the stream ended (`registered`: it had got REGISTERED).
  void streamLost(const Status& why, bool registered);
  void streamRefused(const http::Response& head);
  void heartbeat() { agent_.heartbeat(); }

 private:
  // Sends one of the agent's calls: heartbeats in the pipe's priority lane (or batched on a
  // shared stream), a status update only when no copy of it is still in the pipe.
  void send(const plateau::internal::AgentCall& call);
  void connect();
  void onData(std::string_view data);
  void onClosed(const Status& why);
  // The registration was answered with `head`, not 200: tries again after its Retry-After.
  void onRefused(const http::Response& head);
  // Ends its stream (if any) and registration: the agent waits to register again.
  void dropLink();
  // connect() again after registrationRetryDelay() (failover.h).
  void retry(std::string_view retry_after);
  // The retry itself: with ZooKeeper, only once the leader answers at all
  // (Leader::whenReachable); while it does not, the agent waits for the next one.
  void reconnect();

  EventLoop& loop_;
  CallPipe& pipe_;
  Leader& leader_;
  std::string source_;
  http::Endpoint master_;  // where its stream goes (or went)
  LinkStats& stats_;
  std::shared_ptr<spdlog::logger> log_;
  SimAgent agent_;
  std::shared_ptr<http::StreamingCall> stream_;
  recordio::Decoder decoder_;
  bool started_ = false;
  bool registered_ = false;
  std::string session_;  // from the last REGISTERED: the agent's calls carry it
  Timers::TimerId heartbeat_timer_ = 0;
  Timers::TimerId reconnect_timer_ = 0;
  std::chrono::milliseconds backoff_{0};
  std::minstd_rand random_;        // retry jitter
  AgentStream* shared_ = nullptr;  // its shared stream, if any (then stream_ stays empty)
  std::string tag_;
  uint64_t attempt_ = 0;  // a reachability answer for an earlier attempt is ignored
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // session/uuid of its status updates queued in the pipe or in flight (send()).
  std::shared_ptr<std::unordered_set<std::string>> updates_in_pipe_ =
      std::make_shared<std::unordered_set<std::string>>();
};

// One simulated framework: subscribes (again after any break, with its id: after a refusal's
// Retry-After, plus up to half again, or else a second; at once when the leader changes), feeds
// events to its SimFramework and sends its calls with the stream's Mesos-Stream-Id, up to
// kMaxFrameworkInFlight at once; SUPPRESS and REVIVE go alone, after everything sent before
// them and before anything after (one must never overtake the other). ACKNOWLEDGEs, ordered
// with nothing else, go straight to the pipe's schedulers' lane (CallPipe::sendAhead).
class FrameworkLink {
 public:
  FrameworkLink(EventLoop& loop, CallPipe& pipe, Leader& leader, const FrameworkGroup& spec,
                int index, uint64_t seed, TaskLedger& ledger, LinkStats& stats,
                std::shared_ptr<spdlog::logger> log);
  ~FrameworkLink();
  FrameworkLink(const FrameworkLink&) = delete;
  FrameworkLink& operator=(const FrameworkLink&) = delete;

  void start();
  // Subscribes again, with its id, to the new leader.
  void leaderChanged();
  SimFramework& framework() { return framework_; }
  const SimFramework& framework() const { return framework_; }

 private:
  void connect();
  void onData(std::string_view data);
  void onClosed(const Status& why);
  void send(mesos::v1::scheduler::Call call);
  void pump();

  EventLoop& loop_;
  CallPipe& pipe_;
  Leader& leader_;
  http::Endpoint master_;  // where its subscription goes (or went)
  LinkStats& stats_;
  std::shared_ptr<spdlog::logger> log_;
  SimFramework framework_;
  std::shared_ptr<http::StreamingCall> stream_;
  recordio::Decoder decoder_;
  std::string stream_id_;
  struct Pending {
    std::string body;
    bool barrier = false;  // SUPPRESS, REVIVE
    Clock::TimePoint made;
  };
  std::deque<Pending> calls_;  // waiting to be sent, in order
  size_t in_flight_ = 0;
  bool barrier_in_flight_ = false;
  Timers::TimerId reconnect_timer_ = 0;
  std::string retry_after_;  // the Retry-After of a refused SUBSCRIBE, until it is retried
  std::minstd_rand random_;  // retry jitter
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::sim
