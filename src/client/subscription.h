#pragma once

// One subscription to a RecordIO event stream (the v1 scheduler and executor APIs), kept alive
// across lost connections: finds the peer through a MasterDetector, POSTs the subscribe request,
// hands the stream's bytes to its owner to decode, and after any failure reconnects with capped
// backoff (ReconnectPolicy) and subscribes again with a freshly built request.
//
// Guarantees:
//   1. At most one stream is open; a new attempt starts only after the previous one ended.
//   2. Every attempt asks the detector for the leader, then connects to it with callbacks.request()
//      built at that moment (so a resubscription carries the owner's latest state).
//   3. Up to Options::max_redirects 307 answers in a row are followed at once; a further one, a
//      503, or (without refusal_is_final) any status other than 200 fails the attempt.
//   4. Each failure (detection error, refused or broken connection, a chunk the owner cannot
//      decode, heartbeat silence, a leader change while connected) is reported once through
//      callbacks.closed, together with what happens next: reconnect after the policy's delay,
//      give up (the subscription is then finished), or nothing (stopReconnecting() came first).
//   5. With refusal_is_final, a status other than 200, 307 and 503 finishes the subscription and
//      is reported through callbacks.refused instead.
//   6. Once a stream has delivered events and a heartbeat timeout is set, a silence that long
//      drops the connection.
//   7. After close() (or destruction) no callback runs, no timer is pending and no stream is open.
//
// Loop-thread only: every method and callback runs on the thread that runs `timers`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "client/detector.h"
#include "client/reconnect_policy.h"
#include "common/event_stream.h"
#include "common/recordio.h"
#include "common/status.h"
#include "http/client.h"
#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::client {

// Opens a streamed request (http::StreamingCall::open on a loop, or a fake in tests).
using OpenStream = std::function<std::shared_ptr<http::StreamingCall>(
    const http::Endpoint& endpoint, http::ClientRequest request, std::chrono::nanoseconds timeout,
    http::StreamingCall::Callbacks callbacks)>;

// Real streams on `loop`, which must outlive what it opens.
OpenStream streamsOn(EventLoop& loop);

class Subscription {
 public:
  struct Options {
    std::string peer = "master";  // who is subscribed to, as messages name it
    std::chrono::nanoseconds request_timeout = std::chrono::seconds(10);
    ReconnectPolicy::Options reconnect;
    int max_redirects = 0;
    uint16_t redirect_default_port = 5050;
    bool refusal_is_final = false;
  };

  enum class Next { kReconnect, kGiveUp, kNothing };

  struct Closed {
    std::string why;
    bool was_open = false;        // the stream's 200 head had arrived
    bool was_subscribed = false;  // subscribed() had been called on this stream
    Next next = Next::kReconnect;
  };

  // Decodes the chunk with the stream's decoder and delivers what it completes; returns how many
  // events it delivered, or an error that drops the connection. It may call close(),
  // stopReconnecting() or drop().
  using Data = std::function<Result<size_t>(recordio::Decoder& decoder, std::string_view chunk)>;

  struct Callbacks {
    std::function<http::ClientRequest()> request;  // required: the subscribe request
    std::function<void(const http::Response& head)> opened;
    Data data;  // required
    std::function<void(const Closed& closed)> closed;
    std::function<void(const std::string& why)> refused;
  };

  // `detector`, `timers` and `clock` must outlive the subscription. Nothing happens before
  // start().
  Subscription(Options options, Callbacks callbacks, MasterDetector& detector, Timers& timers,
               const Clock& clock, OpenStream open);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Makes the first attempt.
  void start();
  // The owner saw SUBSCRIBED on the current stream: resets the backoff (ReconnectPolicy).
  void subscribed();
  // A silence this long after an event drops the connection; zero (the default) never does.
  void setHeartbeatTimeout(std::chrono::nanoseconds timeout);
  // Drops the current stream as a failure (reported through callbacks.closed).
  void drop(const std::string& why);
  // No new attempt from now on; an open stream stays open until it ends or close().
  void stopReconnecting();
  // Finishes now: cancels the stream and every timer; no callback runs afterwards.
  void close();

  bool finished() const { return finished_; }
  bool isOpen() const { return open_; }
  bool isSubscribed() const { return subscribed_; }
  // True once subscribed() has been called on any stream.
  bool everSubscribed() const { return policy_.everSubscribed(); }
  // Where the current stream goes (the leader, or where it redirected us); calls go there too.
  const std::optional<http::Endpoint>& peer() const { return peer_; }

 private:
  void detect();
  void connect(const http::Endpoint& endpoint);
  void onHead(uint64_t generation, const http::Response& head);
  void onData(uint64_t generation, std::string_view chunk);
  void fail(const std::string& why);
  void armHeartbeat();
  void cancelTimer(Timers::TimerId& id);
  bool current(uint64_t generation) const { return stream_ && generation == generation_; }

  Options options_;
  Callbacks callbacks_;
  MasterDetector& detector_;
  Timers& timers_;
  OpenStream open_stream_;
  ReconnectPolicy policy_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for detector callbacks

  bool finished_ = false;
  bool reconnecting_ = true;
  std::optional<http::Endpoint> detected_;  // the leader the detector reported
  std::optional<http::Endpoint> peer_;
  std::shared_ptr<http::StreamingCall> stream_;
  uint64_t generation_ = 0;  // of stream_: callbacks of an older stream are ignored
  recordio::Decoder decoder_;
  bool open_ = false;
  bool subscribed_ = false;
  int redirects_ = 0;
  Timers::TimerId retry_timer_ = 0;
  Timers::TimerId heartbeat_timer_ = 0;
  std::chrono::nanoseconds heartbeat_timeout_{0};
};

// A Data callback that decodes `Event`s (recordio::decodeEvents: an undecodable record is an
// error) and passes each to `each`, which returns false to stop (it closed the subscription).
template <class Event>
Subscription::Data decodeEach(std::function<bool(Event& event)> each) {
  return [each = std::move(each)](recordio::Decoder& decoder,
                                  std::string_view chunk) -> Result<size_t> {
    auto events = recordio::decodeEvents<Event>(decoder, chunk);
    if (!events) {
      return std::unexpected(events.error());
    }
    size_t delivered = 0;
    for (auto& event : *events) {
      ++delivered;
      if (!each(event)) {
        break;
      }
    }
    return delivered;
  };
}

}  // namespace plateau::client
