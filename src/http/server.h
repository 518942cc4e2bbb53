#pragma once

// HTTP/1.1 server on the daemon's event loop: whole responses and chunked streams.
// Handlers run on the loop thread and may answer later (the Responder can be kept).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/message.h"
#include "runtime/event_loop.h"

namespace plateau::http {

// A chunked response that stays open: each write() is sent as one chunk, in order.
class Stream {
 public:
  virtual ~Stream() = default;
  // Queues data as one HTTP chunk; returns false once the stream is closed.
  virtual bool write(std::string data) = 0;
  // Ends the stream (terminating chunk) and closes the connection.
  virtual void close() = 0;
  virtual bool closed() const = 0;
  // Called once, on the loop thread, when the stream ends for any reason (peer gone, close()).
  virtual void onClosed(std::function<void()> fn) = 0;
};

// Where a Responder's answer goes: one of the Server's connections, or a test's fake
// (tests/fakes/fake_http.h), so that handlers can run without sockets.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // The whole answer.
  virtual void respond(Response response) = 0;
  // The status line and headers; the returned stream carries the body's chunks.
  virtual std::shared_ptr<Stream> stream(int status, Headers headers) = 0;
};

// Answers one request exactly once; destroying it unanswered sends a 500.
class Responder {
 public:
  explicit Responder(std::shared_ptr<Exchange> exchange);
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();

  void respond(Response response);
  // Sends the status line and headers, then keeps the connection for chunks.
  std::shared_ptr<Stream> stream(int status, Headers headers);
  // Runs `fn` once, on the loop thread, when respond() or stream() answers (not when the
  // Responder is dropped unanswered). For timing a request until its answer; replaces any
  // earlier one.
  void onAnswer(std::function<void()> fn) { on_answer_ = std::move(fn); }

 private:
  void answered();

  std::shared_ptr<Exchange> exchange_;
  std::function<void()> on_answer_;
};

using Handler = std::function<void(Request&, Responder)>;

struct ServerOptions {
  size_t max_body_bytes = 64 << 20;
};

class Server {
 public:
  Server(EventLoop& loop, Handler handler, ServerOptions options = {});
  ~Server();

  // Binds and starts accepting; port 0 picks a free port. Returns the bound port.
  Result<uint16_t> listen(const std::string& ip, uint16_t port);
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plateau::http
