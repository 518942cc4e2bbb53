#pragma once

// HTTP/1.1 server on the daemon's event loop: whole responses and chunked streams.
// Handlers run on the loop thread and may answer later (the Responder can be kept).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/message.h"
#include "http/tls.h"
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
  // Back-pressure for writers that can hold back (the master's offers and the status updates
  // agents will send again): the bytes waiting unsent, owed bytes aside, as a fraction of the
  // slow-reader bound (ServerOptions::max_stream_buffer_bytes), past which the stream is cut.
  virtual double backlog() const = 0;
  // Whether the reader lags: more than an eighth of the bound waits unsent.
  bool lagging() const { return backlog() > 1.0 / 8; }
  // Runs `fn` once, on the loop thread, after the reader caught up: the unsent bytes down to a
  // 32nd of the bound (at the next turn if they already are). Replaces an earlier `fn`; never
  // runs once the stream has ended.
  virtual void onDrained(std::function<void()> fn) = 0;
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

// What one server accepts. The defaults are sized for Plateau's own largest calls (docs/tls.md).
struct ServerOptions {
  // A request line (method, target, version) over this is answered 414.
  size_t max_request_line_bytes = 8 << 10;
  // Header fields (without the request line) over this are answered 431. The request line and
  // the fields together never exceed 64 KiB - 1 (the HTTP parser's own ceiling).
  size_t max_header_bytes = 64 << 10;
  // A body over this is answered 413. 16 MiB holds an agent re-registering with thousands of
  // tasks, the largest call Plateau's own components make.
  size_t max_body_bytes = 16 << 20;
  // Connections beyond this many are answered 503 and closed at once.
  size_t max_connections = 16384;
  // Time for a whole request (head and body) to arrive once the server waits for it, keep-alive
  // idleness included; the connection is closed past it.
  std::chrono::milliseconds request_timeout{60'000};
  // Time for a whole (non-streamed) response to be taken by the peer.
  std::chrono::milliseconds write_timeout{300'000};
  // Time for the TLS handshake (and, with downgrade, the first byte) to arrive.
  std::chrono::milliseconds handshake_timeout{10'000};
  // Bytes a streamed response may hold for a peer that does not read them; a stream that would
  // hold more (one write alone may exceed it) is cut and its connection closed.
  size_t max_stream_buffer_bytes = 8 << 20;
  // Serve TLS with this context (server role); nullptr serves plain HTTP.
  std::shared_ptr<const TlsContext> tls;
  // With `tls`: also serve plain HTTP on the same port (LIBPROCESS_SSL_SUPPORT_DOWNGRADE).
  bool support_downgrade = false;
};

// `options` with TLS as this process's LIBPROCESS_SSL_* environment asks and the limits its
// PLATEAU_HTTP_* variables set (limits.h). The environment's client side is checked too, so that
// a daemon refuses to start when either is wrong: the configuration error (kInvalidArgument,
// naming the variable) otherwise.
Result<ServerOptions> serverOptionsFromEnvironment(ServerOptions options = {});

class Server {
 public:
  Server(EventLoop& loop, Handler handler, ServerOptions options = {});
  ~Server();

  // Binds and starts accepting; port 0 picks a free port. Returns the bound port.
  Result<uint16_t> listen(const std::string& ip, uint16_t port);
  void close();
  // Connections open now (for tests and metrics).
  size_t connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plateau::http
