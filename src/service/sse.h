#pragma once

// Server-Sent Events to any number of HTTP clients (Marathon's /v2/events): each client may
// restrict itself to some event types; a client that went away is dropped. Loop thread only.

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace plateau::service {

class SseHub {
 public:
  // Answers 200 text/event-stream on `responder` and keeps the stream. An empty `types` means
  // every event. Returns the stream, so the caller can write a greeting to this client alone.
  std::shared_ptr<http::Stream> attach(http::Responder responder, std::set<std::string> types);
  // Sends "event: <type>\ndata: <data>\n\n" to every client that wants `type`.
  void publish(std::string_view type, std::string_view data);
  // Writes one event to one stream.
  static void send(http::Stream& stream, std::string_view type, std::string_view data);
  // Ends every stream.
  void closeAll();
  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    std::shared_ptr<http::Stream> stream;
    std::set<std::string> types;
  };
  std::vector<Client> clients_;
};

}  // namespace plateau::service
