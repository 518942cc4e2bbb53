#pragma once

// HTTP/1.1 client on an event loop: whole responses, and streamed (chunked) responses
// consumed as they arrive. Blocking wrappers serve the CLI and tests.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"
#include "runtime/event_loop.h"

namespace plateau::http {

class TlsContext;

// Whether a connection speaks TLS.
enum class Transport {
  kProcessDefault,  // TLS exactly when this process's LIBPROCESS_SSL_ENABLED is on (Mesos's rule)
  kPlain,           // plain HTTP whatever the process's setting (a task's own endpoints)
  kTls,             // TLS whatever the process's setting (https:// addresses)
};

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  Transport transport = Transport::kProcessDefault;
  // The client TLS context for this peer instead of the process's (tls.h); tests and tools use it.
  std::shared_ptr<const TlsContext> tls;
  // The local address to connect from (bound before connecting, any port); empty: the kernel
  // picks. A load generator spreads its connections over several loopback addresses with it,
  // since one source address holds only about as many connections as the ephemeral port range.
  std::string source;

  std::string toString() const;
  // Accepts "host:port", "http://host:port[/path]" and "https://host:port[/path]" (kTls); port
  // defaults to `default_port`.
  static Result<Endpoint> parse(std::string_view text, uint16_t default_port = 5050);
};

struct ClientRequest {
  std::string method = "POST";
  std::string path = "/";
  Headers headers;
  std::string body;
};

using Done = std::function<void(Result<Response>)>;

// Sends one request and reads the whole response; `done` runs once on the loop thread.
void fetch(EventLoop& loop, const Endpoint& endpoint, ClientRequest request,
           std::chrono::nanoseconds timeout, Done done);

// Keeps idle keep-alive connections per endpoint, so a stream of calls to the same peer
// (status updates, acknowledgements) does not pay a TCP handshake each. Loop thread only.
class Client {
 public:
  explicit Client(EventLoop& loop);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // As fetch() above, reusing a pooled connection when one is idle.
  void fetch(const Endpoint& endpoint, ClientRequest request, std::chrono::nanoseconds timeout,
             Done done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A request whose response body arrives in pieces (RecordIO event streams).
class StreamingCall {
 public:
  struct Callbacks {
    std::function<void(const Response& head)> on_head;
    std::function<void(std::string_view data)> on_data;
    std::function<void(const Status& why)> on_closed;  // not called after cancel()
  };
  virtual ~StreamingCall() = default;
  virtual void cancel() = 0;

  // Connect and headers must arrive within `timeout`; the body may flow forever.
  static std::shared_ptr<StreamingCall> open(EventLoop& loop, const Endpoint& endpoint,
                                             ClientRequest request,
                                             std::chrono::nanoseconds timeout, Callbacks callbacks);
};

// Blocking fetch on a private loop.
Result<Response> fetchSync(const Endpoint& endpoint, ClientRequest request,
                           std::chrono::nanoseconds timeout);

// Blocking stream reader on a private loop.
class BlockingStream {
 public:
  ~BlockingStream();
  static Result<std::unique_ptr<BlockingStream>> open(const Endpoint& endpoint,
                                                      ClientRequest request,
                                                      std::chrono::nanoseconds timeout);
  const Response& head() const { return head_; }
  // Body bytes received so far that were not yet returned; waits up to `timeout` for some.
  // An error once the stream ended or the wait timed out (kUnavailable).
  Result<std::string> read(std::chrono::nanoseconds timeout);
  // True once the peer ended the stream (or the connection broke) and nothing is left to read.
  bool ended() const { return closed_.has_value() && pending_.empty(); }
  void close();

 private:
  BlockingStream() = default;
  std::unique_ptr<EventLoop> loop_;
  std::shared_ptr<StreamingCall> call_;
  Response head_;
  bool got_head_ = false;
  std::string pending_;
  std::optional<Status> closed_;
};

}  // namespace plateau::http
