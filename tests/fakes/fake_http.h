#pragma once

// HTTP without sockets: a handler answers into a FakeExchange, and the test reads the answer,
// or the chunks of a streamed one, and ends a stream as a peer that went away would.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_stream.h"
#include "http/server.h"

namespace plateau::testing {

class FakeStream final : public http::Stream {
 public:
  bool write(std::string data) override {
    if (closed_) {
      return false;
    }
    data_ += data;
    written_ += data;
    return true;
  }
  void close() override { end(); }
  bool closed() const override { return closed_; }
  void onClosed(std::function<void()> fn) override { on_closed_ = std::move(fn); }
  double backlog() const override { return closed_ ? 0.0 : backlog_; }
  void onDrained(std::function<void()> fn) override { on_drained_ = std::move(fn); }

  // The reader falls behind (backlog() says how far, as a fraction of the bound) or catches up
  // (0): then the onDrained callback, if any, runs once.
  void setBacklog(double backlog) {
    backlog_ = backlog;
    if (backlog == 0 && !closed_) {
      if (auto fn = std::move(on_drained_)) {
        on_drained_ = nullptr;
        fn();
      }
    }
  }

  // The peer went away (or the stream was closed): the handler's onClosed runs once.
  void end() {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (auto fn = std::move(on_closed_)) {
      on_closed_ = nullptr;
      fn();
    }
  }

  // Everything written since the stream opened (take() does not consume it).
  const std::string& written() const { return written_; }

  // The RecordIO events written since the last call, decoded as `Event`; a broken record fails
  // the test's expectation through an empty optional.
  template <class Event>
  std::optional<std::vector<Event>> take() {
    auto events = recordio::decodeEvents<Event>(decoder_, data_);
    data_.clear();
    if (!events) {
      return std::nullopt;
    }
    return std::move(*events);
  }

 private:
  std::string data_;
  std::string written_;
  recordio::Decoder decoder_;
  bool closed_ = false;
  double backlog_ = 0;
  std::function<void()> on_closed_;
  std::function<void()> on_drained_;
};

class FakeExchange final : public http::Exchange {
 public:
  void respond(http::Response response) override { response_ = std::move(response); }
  std::shared_ptr<http::Stream> stream(int status, http::Headers headers) override {
    response_ = http::Response{.status = status, .headers = std::move(headers), .body = {}};
    stream_ = std::make_shared<FakeStream>();
    return stream_;
  }

  // The answer so far (a streamed one has an empty body); nullopt while there is none.
  const std::optional<http::Response>& response() const { return response_; }
  // The stream, once the handler opened one.
  const std::shared_ptr<FakeStream>& stream() const { return stream_; }

 private:
  std::optional<http::Response> response_;
  std::shared_ptr<FakeStream> stream_;
};

}  // namespace plateau::testing
