#pragma once

// One event stream to the master that several simulated agents share (proto/plateau/
// agent.proto, "Shared streams"), as libprocess shares one connection between the processes of
// two peers. Guarantees:
//  - the first agent that registers while no stream is open opens it (REGISTER with
//    share_stream); the others join it (REGISTER with join_stream, through the call pipe) once
//    the stream's first REGISTERED has named it, in the order they asked;
//  - every event goes to the agent it is tagged with (AgentEvent.agent_id, or stream_tag for the
//    answer to a REGISTER); the master's HEARTBEAT pings go to none;
//  - the stream's end (or a refusal of the REGISTER that opened it) ends the registration of
//    every agent on it, each told once through AgentLink::streamLost; DETACHED, or a SHUTDOWN
//    refusing an agent's REGISTER, ends that agent's alone;
//  - while agents are registered, one HEARTBEAT call every heartbeat period carries all their
//    heartbeats (AgentCall.heartbeats), through the call pipe's priority lane;
//  - the stream is cancelled once no agent is on it or waiting for it.
// Loop thread only; the AgentLinks on it outlive it or leave() first.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <plateau/agent.pb.h>
#include <spdlog/logger.h>

#include "common/recordio.h"
#include "http/client.h"
#include "runtime/event_loop.h"
#include "sim/leader.h"

namespace plateau::sim {

class AgentLink;
class CallPipe;

class AgentStream {
 public:
  AgentStream(EventLoop& loop, CallPipe& pipe, Leader& leader, std::string source,
              std::shared_ptr<spdlog::logger> log);
  ~AgentStream();
  AgentStream(const AgentStream&) = delete;
  AgentStream& operator=(const AgentStream&) = delete;

  // `agent` registers on the stream (opening it if none is open).
  void connect(AgentLink* agent);
  // `agent` is off the stream (its registration dropped on its side): no more of its events.
  void leave(AgentLink* agent);
  // Whether `agent` is on the stream (registered or registering) and the stream goes to `master`.
  bool carries(const AgentLink* agent, const http::Endpoint& master) const;
  // While the stream collects heartbeats (heartbeat period): one agent's, for the batch.
  bool collecting() const { return collecting_; }
  void addHeartbeat(const std::string& agent_id, const std::string& session);

 private:
  void open(AgentLink* agent);
  void join(AgentLink* agent);
  void onData(std::string_view data);
  void dispatch(const internal::AgentEvent& event);
  void onRegistered(AgentLink* agent, const internal::AgentEvent& event);
  // The stream ended (or was refused with `head`): every agent on it is told.
  void ended(const Status& why, const http::Response* head);
  // Off the stream: erased from every index (no call).
  void forget(AgentLink* agent);
  void heartbeats();
  void reset();

  EventLoop& loop_;
  CallPipe& pipe_;
  Leader& leader_;
  std::string source_;
  std::shared_ptr<spdlog::logger> log_;
  http::Endpoint master_;
  std::shared_ptr<http::StreamingCall> stream_;
  recordio::Decoder decoder_;
  std::string id_;  // Registered.stream_id: what joining agents name
  std::unordered_map<std::string, AgentLink*> by_tag_;  // on the stream, by stream_tag
  std::unordered_map<std::string, AgentLink*> by_id_;   // registered on it, by agent id
  std::vector<AgentLink*> waiting_;                     // to join once the id is known
  Timers::TimerId heartbeat_timer_ = 0;
  bool collecting_ = false;
  internal::AgentCall batch_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::sim
