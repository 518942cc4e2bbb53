#pragma once

// The agent's MasterLink::Transport without sockets: each subscription the link opens and each
// call it sends is recorded, and the test plays the master on them (delivering events through a
// subscription's callbacks, answering a call through its `done`).

#include <functional>
#include <memory>
#include <vector>

#include <plateau/agent.pb.h>

#include "agent/master_link.h"
#include "common/recordio.h"

namespace plateau::testing {

// A subscription the link opened.
struct FakeMasterStream final : http::StreamingCall {
  http::Endpoint master;
  internal::AgentCall call;
  Callbacks callbacks;
  bool cancelled = false;
  void cancel() override { cancelled = true; }

  // Delivers `events` as one chunk of the master's RecordIO stream.
  void deliver(const std::vector<internal::AgentEvent>& events) {
    std::string chunk;
    for (const auto& event : events) {
      chunk += recordio::encode(event.SerializeAsString());
    }
    callbacks.on_data(chunk);
  }
};

struct FakeMasterTransport final : agent::MasterLink::Transport {
  struct Sent {
    internal::AgentCall call;
    std::function<void(Result<int>)> done;
  };
  std::vector<std::shared_ptr<FakeMasterStream>> streams;  // every subscription, in order
  std::vector<Sent> sent;                                  // every call, in order

  std::shared_ptr<http::StreamingCall> subscribe(
      const http::Endpoint& master, const internal::AgentCall& call,
      http::StreamingCall::Callbacks callbacks) override {
    auto stream = std::make_shared<FakeMasterStream>();
    stream->master = master;
    stream->call = call;
    stream->callbacks = std::move(callbacks);
    streams.push_back(stream);
    return stream;
  }
  void send(const http::Endpoint&, const internal::AgentCall& call,
            std::function<void(Result<int>)> done) override {
    sent.push_back({call, std::move(done)});
  }
  // The calls of `type` sent so far.
  std::vector<internal::AgentCall> calls(internal::AgentCall::Type type) const {
    std::vector<internal::AgentCall> out;
    for (const auto& s : sent) {
      if (s.call.type() == type) {
        out.push_back(s.call);
      }
    }
    return out;
  }
  size_t heartbeats() const { return calls(internal::AgentCall::HEARTBEAT).size(); }
};

}  // namespace plateau::testing
