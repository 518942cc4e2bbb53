#pragma once

// Streamed requests without sockets: each open() is recorded with its callbacks, and the test
// plays the peer (the head, body chunks, the end of the stream) through them.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/subscription.h"
#include "common/recordio.h"

namespace plateau::testing {

class FakeStreams {
 public:
  struct Stream final : http::StreamingCall {
    http::Endpoint endpoint;
    http::ClientRequest request;
    Callbacks callbacks;
    bool cancelled = false;

    void cancel() override { cancelled = true; }

    void head(int status, std::string location = "") {
      http::Response response;
      response.status = status;
      if (!location.empty()) {
        response.headers["location"] = std::move(location);
      }
      callbacks.on_head(response);
    }
    // Each message framed as one RecordIO record, all in one chunk.
    template <class... Message>
    void send(const Message&... messages) {
      std::string chunk;
      (chunk.append(recordio::encode(messages.SerializeAsString())), ...);
      callbacks.on_data(chunk);
    }
    void sendRaw(std::string_view chunk) { callbacks.on_data(chunk); }
    void end(const std::string& why) { callbacks.on_closed(Status(StatusCode::kUnavailable, why)); }
  };

  client::OpenStream opener() {
    return [this](const http::Endpoint& endpoint, http::ClientRequest request,
                  std::chrono::nanoseconds, http::StreamingCall::Callbacks callbacks) {
      auto stream = std::make_shared<Stream>();
      stream->endpoint = endpoint;
      stream->request = std::move(request);
      stream->callbacks = std::move(callbacks);
      opened_.push_back(stream);
      return stream;
    };
  }

  size_t count() const { return opened_.size(); }
  Stream& last() { return *opened_.back(); }
  Stream& at(size_t i) { return *opened_.at(i); }

 private:
  std::vector<std::shared_ptr<Stream>> opened_;
};

}  // namespace plateau::testing
