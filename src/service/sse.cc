#include "service/sse.h"

#include <algorithm>

namespace plateau::service {

std::shared_ptr<http::Stream> SseHub::attach(http::Responder responder,
                                             std::set<std::string> types) {
  auto stream = responder.stream(
      200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache, no-store"}});
  clients_.push_back({stream, std::move(types)});
  return stream;
}

void SseHub::send(http::Stream& stream, std::string_view type, std::string_view data) {
  std::string text = "event: ";
  text += type;
  text += "\ndata: ";
  text += data;
  text += "\n\n";
  stream.write(std::move(text));
}

void SseHub::publish(std::string_view type, std::string_view data) {
  std::erase_if(clients_, [](const Client& c) { return c.stream->closed(); });
  for (auto& c : clients_) {
    if (c.types.empty() || c.types.contains(std::string(type))) {
      send(*c.stream, type, data);
    }
  }
}

void SseHub::closeAll() {
  for (auto& c : clients_) {
    c.stream->close();
  }
  clients_.clear();
}

}  // namespace plateau::service
