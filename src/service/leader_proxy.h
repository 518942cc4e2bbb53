#pragma once

// A standby instance's API: every call is forwarded to the leader and its answer returned, as
// Marathon's standbys do, so that clients may talk to any instance. Whole answers and streamed
// ones (Server-Sent Events) both pass through. Loop thread only.

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "http/client.h"
#include "http/server.h"
#include "runtime/event_loop.h"

namespace plateau::service {

// Set on a forwarded request and on its answer: "1.1 <this instance's address>". A request that
// already carries it is not forwarded again (no proxy loops while leadership moves).
inline constexpr const char* kViaHeader = "x-marathon-via";

class LeaderProxy {
 public:
  LeaderProxy(EventLoop& loop, std::string self_address,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~LeaderProxy();
  LeaderProxy(const LeaderProxy&) = delete;
  LeaderProxy& operator=(const LeaderProxy&) = delete;

  // Forwards `request` to `leader` (host:port; nullopt: none known, which answers 503). A
  // request for "text/event-stream" is streamed back as it arrives.
  void forward(const http::Request& request, const std::optional<std::string>& leader,
               http::Responder responder);

 private:
  void forwardStream(const http::Endpoint& to, http::ClientRequest request,
                     http::Responder responder);

  struct StreamState;

  EventLoop& loop_;
  std::string self_;
  std::chrono::milliseconds timeout_;
  http::Client client_;
  std::set<std::shared_ptr<StreamState>> streams_;  // streamed answers in flight
};

}  // namespace plateau::service
