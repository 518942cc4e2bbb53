#pragma once

// One accepted HTTP connection of a Server (server.h), over plain TCP or TLS: reads requests one
// at a time within the limits of ServerOptions, and writes whole or streamed responses. A
// streamed response takes the connection over until it ends. Loop thread only; src/http only.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "http/asio.h"
#include "http/server.h"
#include "http/tls_native.h"

namespace plateau::http {

using tcp = asio::ip::tcp;
using TlsSocket = ssl::stream<tcp::socket>;

// What every connection of one server shares: the handler, the limits, the count of open
// connections and a throttle for the log lines that a flood of bad peers would repeat.
struct ServerShared {
  ServerShared(Handler h, ServerOptions o)
      : handler(std::make_shared<Handler>(std::move(h))), options(std::move(o)) {}
  // Logs `line` (a warn) at most once per kind every 10 s, saying how many were left out.
  void warnThrottled(const std::string& kind, const std::string& line);

  std::shared_ptr<Handler> handler;
  ServerOptions options;
  size_t connections = 0;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, size_t>> warned;
};

// Holds one place in ServerShared::connections while alive.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<ServerShared> shared) : shared_(std::move(shared)) {
    shared_->connections++;
  }
  ConnectionSlot(ConnectionSlot&& other) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (shared_) shared_->connections--;
  }
  ServerShared& shared() const { return *shared_; }

 private:
  std::shared_ptr<ServerShared> shared_;
};

// The side of a connection a Stream (server.h) writes to.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // `owed`: writeOwed() (http/owed_write.h), outside the slow-reader bound.
  virtual bool writeChunk(std::string data, bool owed) = 0;
  virtual void closeStream() = 0;
  virtual bool streamClosed() const = 0;
  virtual void onStreamClosed(std::function<void()> fn) = 0;
  // Stream::backlog() and Stream::onDrained().
  virtual double streamBacklog() const = 0;
  virtual void onStreamDrained(std::function<void()> fn) = 0;
};

// Starts serving `socket` (already accepted, and already sniffed when TLS is on).
void servePlain(tcp::socket socket, ConnectionSlot slot);
void serveTls(tcp::socket socket, ConnectionSlot slot);

}  // namespace plateau::http
