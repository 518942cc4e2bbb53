#include "http/connection.h"

#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/invariant.h"
#include "http/owed_write.h"
#include "http/request_head.h"
#include "http/socket_loan.h"
#include "http/streamed_body.h"

namespace plateau::http {

namespace bhttp = beast::http;

namespace {

constexpr size_t kMaxHeadBytes = 65535;
// A body or chunk this large is queued as it is, beside its head, rather than copied after it.
constexpr size_t kSeparateBytes = 64 << 10;
// Queued pieces handed to one gathered write at most (Asio's own limit per writev).
constexpr size_t kMaxGatheredPieces = 64;

std::string serializeHead(int status, const Headers& headers) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, reasonPhrase(status));
  for (const auto& [name, value] : headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  return out;
}

std::string peerOf(tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("?") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

// The request a handler is being called for on this thread, and its streamed body.
struct Dispatched {
  const Request* request = nullptr;
  std::shared_ptr<RequestBody> body;
};
thread_local Dispatched dispatched;

// Sets `dispatched` for one call of a handler.
class Dispatching {
 public:
  Dispatching(const Request& request, std::shared_ptr<RequestBody> body)
      : saved_(std::exchange(dispatched, Dispatched{&request, std::move(body)})) {}
  ~Dispatching() { dispatched = std::move(saved_); }
  Dispatching(const Dispatching&) = delete;
  Dispatching& operator=(const Dispatching&) = delete;

 private:
  Dispatched saved_;
};

bool isDisconnect(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == ssl::error::stream_truncated;
}

tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(TlsSocket& s) { return s.next_layer(); }

}  // namespace

std::shared_ptr<RequestBody> streamedBody(const Request& request) {
  return dispatched.request == &request ? dispatched.body : nullptr;
}

void ServerShared::warnThrottled(const std::string& kind, const std::string& line) {
  auto now = std::chrono::steady_clock::now();
  auto& [last, left_out] = warned[kind];
  if (last != std::chrono::steady_clock::time_point() && now - last < std::chrono::seconds(10)) {
    left_out++;
    return;
  }
  if (left_out > 0) {
    spdlog::warn("{} left_out_since_last={}", line, left_out);
  } else {
    spdlog::warn("{}", line);
  }
  last = now;
  left_out = 0;
}

// A connection that can tell whether it may be lent now (lendDispatchedSocket()).
class LendableConnection : public SocketLoan {
 public:
  virtual bool lendable() const = 0;
};

// The connection whose handler runs on this thread now.
thread_local std::weak_ptr<LendableConnection> lender;

class Lending {
 public:
  explicit Lending(std::weak_ptr<LendableConnection> connection)
      : saved_(std::exchange(lender, std::move(connection))) {}
  ~Lending() { lender = std::move(saved_); }
  Lending(const Lending&) = delete;
  Lending& operator=(const Lending&) = delete;

 private:
  std::weak_ptr<LendableConnection> saved_;
};

template <class S>
class Connection final : public Exchange,
                         public StreamSink,
                         public LendableConnection,
                         public std::enable_shared_from_this<Connection<S>> {
 public:
  Connection(S socket, ConnectionSlot slot)
      : socket_(std::move(socket)),
        slot_(std::move(slot)),
        options_(slot_.shared().options),
        deadline_(socket_.get_executor()) {}

  void start() {
    peer_ = peerOf(lowest(socket_));
    if constexpr (std::is_same_v<S, TlsSocket>) {
      arm(options_.handshake_timeout);
      socket_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->onHandshake(ec); });
    } else {
      readHeader();
    }
  }

  void respond(Response response) override;
  std::shared_ptr<Stream> stream(int status, Headers headers) override;
  // Lendable now (lendDispatchedSocket()): plain TCP, the body read, nothing queued.
  bool lendable() const override;
  LentSocket socket() const override {
    return LentSocket{.fd = const_cast<S&>(socket_).lowest_layer().native_handle(),
                      .keep_alive = keep_alive_,
                      .write_timeout = options_.write_timeout};
  }
  void end(bool complete) override;
  // The next piece of request `request`'s streamed body (RequestBody::read).
  void readBody(uint64_t request, std::function<void(BodyPiece)> fn);
  bool writeChunk(std::string data, bool owed) override;
  void closeStream() override;
  bool streamClosed() const override { return stream_closed_ || !open(); }
  void onStreamClosed(std::function<void()> fn) override {
    if (streamClosed()) {
      fn();
    } else {
      on_closed_ = std::move(fn);
    }
  }
  double streamBacklog() const override {
    return streamClosed() ? 0.0
                          : static_cast<double>(unsentCounted()) /
                                static_cast<double>(options_.max_stream_buffer_bytes);
  }
  void onStreamDrained(std::function<void()> fn) override {
    if (streamClosed()) {
      return;
    }
    on_drained_ = std::move(fn);
    maybeDrained();
  }

 private:
  enum class AfterWrite { kNothing, kReadNext, kClose };

  bool open() const { return const_cast<S&>(socket_).lowest_layer().is_open(); }

  // Closes the connection unless disarm() or another arm() comes first.
  void arm(std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (!ec && self) {
        spdlog::debug("http_connection_timed_out peer={}", self->peer_);
        self->shutdown();
      }
    });
  }
  void disarm() { deadline_.cancel(); }

  // The unsent bytes the slow-reader bound counts: owed bytes still queued (a snapshot the
  // reader is taking) are not the reader's slowness.
  size_t unsentCounted() const {
    const uint64_t owed_queued = owed_until_ > sent_total_ ? owed_until_ - sent_total_ : 0;
    return queued_bytes_ - std::min<size_t>(queued_bytes_, owed_queued);
  }
  // Runs the onDrained() callback, at the next turn, once the reader has caught up.
  void maybeDrained() {
    if (!on_drained_ || unsentCounted() > options_.max_stream_buffer_bytes / 32) {
      return;
    }
    asio::post(socket_.get_executor(),
               [self = this->shared_from_this(), fn = std::move(on_drained_)] {
                 if (!self->streamClosed()) {
                   fn();
                 }
               });
    on_drained_ = nullptr;
  }

  void onHandshake(beast::error_code ec) {
    if (ec) {
      slot_.shared().warnThrottled(
          "tls_handshake",
          fmt::format("http_tls_handshake_failed peer={} error=\"{}\"", peer_, ec.message()));
      return shutdown();
    }
    readHeader();
  }

  void readHeader();
  void onHeader(beast::error_code ec);
  void onBody(beast::error_code ec);
  void dispatch(Request request, std::shared_ptr<RequestBody> body = nullptr);
  void startStreamedBody(Request request);
  void readSomeBody();
  void onSomeBody(beast::error_code ec);
  void deliverBody(BodyPiece piece);
  void sendError(int status, std::string message) {
    keep_alive_ = false;
    respond(Response::text(status, std::move(message)));
  }
  void enqueue(std::string data);
  void writeNext();
  void maybeFinishResponse();
  void watchPeer();
  void shutdown();
  void fireClosed() {
    on_drained_ = nullptr;
    if (on_closed_) {
      auto fn = std::move(on_closed_);
      on_closed_ = nullptr;
      fn();
    }
  }

  S socket_;
  ConnectionSlot slot_;
  const ServerOptions& options_;
  asio::steady_timer deadline_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // A streamed body (StreamingHandler, streamed_body.h): its parser, where its bytes land, and who
  // waits for the next piece. `requests_` numbers requests so that a handler holding an old
  // request's body reads nothing of a later one.
  std::optional<bhttp::request_parser<bhttp::buffer_body>> body_parser_;
  std::unique_ptr<std::array<char, 16 << 10>> body_chunk_;
  std::function<void(BodyPiece)> body_waiter_;
  std::optional<BodyPiece> body_last_;  // the end or the error, once it came
  uint64_t requests_ = 0;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  // Bytes ever queued and ever sent, and the queued count at the end of the last owed chunk
  // (writeChunk): what is queued up to there is outside the slow-reader bound.
  uint64_t queued_total_ = 0;
  uint64_t sent_total_ = 0;
  uint64_t owed_until_ = 0;
  bool writing_ = false;
  bool keep_alive_ = true;
  bool streaming_ = false;
  bool stream_closed_ = false;
  bool swallow_answer_ = false;  // end(): the lent request's Responder answers once more
  AfterWrite after_write_ = AfterWrite::kNothing;
  std::function<void()> on_closed_;
  std::function<void()> on_drained_;  // Stream::onDrained()
};

// A streamed request's body, as its handler holds it (streamedBody()).
template <class S>
class ConnectionBody final : public RequestBody {
 public:
  ConnectionBody(std::shared_ptr<Connection<S>> conn, uint64_t request)
      : conn_(std::move(conn)), request_(request) {}
  void read(std::function<void(BodyPiece)> fn) override {
    conn_->readBody(request_, std::move(fn));
  }

 private:
  std::shared_ptr<Connection<S>> conn_;
  uint64_t request_;
};

template <class S>
void Connection<S>::readHeader() {
  parser_.emplace();
  // The limit is set once the head says whether the body streams (onHeader). Not boost::none:
  // Beast 1.74 then rejects any Content-Length body as over the limit.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  body_parser_.reset();
  body_last_.reset();
  requests_++;
  // Beast keeps each field's size in 16 bits and throws beyond it, so the whole head stays under
  // 64 KiB whatever the options say: then no single field can reach that size.
  parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(
      options_.max_header_bytes + options_.max_request_line_bytes, kMaxHeadBytes)));
  arm(options_.request_timeout);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
}

template <class S>
void Connection<S>::onHeader(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    // Beast compares a Content-Length with the limit as soon as the head is read.
    return sendError(413,
                     fmt::format("Request body larger than {} bytes", options_.max_body_bytes));
  }
  if (ec == bhttp::error::header_limit) {
    // Which part overflowed: the request line (not parsed yet), or the header fields.
    if (parser_->get().target().empty()) {
      return sendError(
          414, fmt::format("Request line longer than {} bytes", options_.max_request_line_bytes));
    }
    return sendError(
        431, fmt::format("Request header fields larger than {} bytes", options_.max_header_bytes));
  }
  if (ec) {
    return isDisconnect(ec)
               ? shutdown()
               : sendError(400, fmt::format("Malformed HTTP request: {}", ec.message()));
  }
  auto& req = parser_->get();
  if (req.method_string().size() + req.target().size() + 10 > options_.max_request_line_bytes) {
    return sendError(
        414, fmt::format("Request line longer than {} bytes", options_.max_request_line_bytes));
  }
  if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
    enqueue("HTTP/1.1 100 Continue\r\n\r\n");
  }
  if (const auto* streaming = slot_.shared().handler->target<StreamingHandler>()) {
    Request head = requestHead(req);
    if (streaming->streams && streaming->streams(head)) {
      return startStreamedBody(std::move(head));
    }
  }
  if (auto length = parser_->content_length(); length && *length > options_.max_body_bytes) {
    return sendError(413,
                     fmt::format("Request body larger than {} bytes", options_.max_body_bytes));
  }
  parser_->body_limit(options_.max_body_bytes);
  bhttp::async_read(
      socket_, buffer_, *parser_,
      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onBody(ec); });
}

template <class S>
void Connection<S>::onBody(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    return sendError(413,
                     fmt::format("Request body larger than {} bytes", options_.max_body_bytes));
  }
  if (ec) {
    return isDisconnect(ec)
               ? shutdown()
               : sendError(400, fmt::format("Malformed HTTP request: {}", ec.message()));
  }
  disarm();
  auto msg = parser_->release();
  Request request = requestHead(msg);
  request.body = std::move(msg.body());
  dispatch(std::move(request));
}

template <class S>
void Connection<S>::dispatch(Request request, std::shared_ptr<RequestBody> body) {
  // The peer a connection has does not change: read once at its start, not per request.
  if (peer_ != "?") {
    request.remote = peer_;
  }
  keep_alive_ = request.keep_alive;
  // streamedBody() finds the body while the handler runs (nothing else carries it there), and
  // lendDispatchedSocket() this connection.
  Dispatching during(request, std::move(body));
  Lending lending(this->shared_from_this());
  try {
    (*slot_.shared().handler)(request, Responder(this->shared_from_this()));
  } catch (const std::exception& e) {
    // Handlers answer bad input with 4xx; an exception is a bug (common/invariant.h).
    invariantBroken(fmt::format("an exception escaped the handler of {} {}: {}", request.method,
                                request.path, e.what()));
  }
}

// The head is in: the handler gets the request now and reads its body as it comes, without the
// whole-body limit (it bounds what it keeps) and without the request timeout (such a request
// lives as long as its sender wants, as Mesos's ATTACH_CONTAINER_INPUT does).
template <class S>
void Connection<S>::startStreamedBody(Request request) {
  disarm();
  body_parser_.emplace(std::move(*parser_));
  body_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  parser_.reset();
  if (!body_chunk_) {
    body_chunk_ = std::make_unique<std::array<char, 16 << 10>>();
  }
  dispatch(std::move(request),
           std::make_shared<ConnectionBody<S>>(this->shared_from_this(), requests_));
}

template <class S>
void Connection<S>::readBody(uint64_t request, std::function<void(BodyPiece)> fn) {
  std::optional<BodyPiece> now;
  if (request != requests_ || !body_parser_) {
    now = BodyPiece{.data = {}, .end = false, .error = "the request was already answered"};
  } else if (body_last_) {
    now = body_last_;
  } else if (body_waiter_) {
    now = BodyPiece{.data = {}, .end = false, .error = "a read of this body is already waiting"};
  } else if (body_parser_->is_done()) {
    now = body_last_ = BodyPiece{.data = {}, .end = true, .error = {}};
  }
  if (now) {
    asio::post(socket_.get_executor(),
               [fn = std::move(fn), piece = std::move(*now)]() mutable { fn(std::move(piece)); });
    return;
  }
  body_waiter_ = std::move(fn);
  readSomeBody();
}

template <class S>
void Connection<S>::readSomeBody() {
  auto& body = body_parser_->get().body();
  body.data = body_chunk_->data();
  body.size = body_chunk_->size();
  bhttp::async_read_some(
      socket_, buffer_, *body_parser_,
      [self = this->shared_from_this(), request = requests_](beast::error_code ec, size_t) {
        if (request == self->requests_ && self->body_parser_) {
          self->onSomeBody(ec);
        }
      });
}

template <class S>
void Connection<S>::onSomeBody(beast::error_code ec) {
  if (ec == bhttp::error::need_buffer) {
    ec = {};
  }
  size_t n = body_chunk_->size() - body_parser_->get().body().size;
  if (ec) {
    body_last_ = BodyPiece{.data = {},
                           .end = false,
                           .error = isDisconnect(ec)
                                        ? "the peer closed the connection before the body ended"
                                        : fmt::format("malformed request body: {}", ec.message())};
    keep_alive_ = false;
  } else if (body_parser_->is_done()) {
    body_last_ = BodyPiece{.data = {}, .end = true, .error = {}};
  }
  if (n > 0) {
    return deliverBody(
        BodyPiece{.data = std::string(body_chunk_->data(), n), .end = false, .error = {}});
  }
  if (body_last_) {
    return deliverBody(*body_last_);
  }
  readSomeBody();  // framing only (a chunk's size line): no bytes yet
}

template <class S>
void Connection<S>::deliverBody(BodyPiece piece) {
  auto fn = std::exchange(body_waiter_, nullptr);
  if (fn) {
    fn(std::move(piece));
  }
}

template <class S>
void Connection<S>::respond(Response response) {
  if (std::exchange(swallow_answer_, false)) {
    return;  // the lent request's Responder, after its response went out on the lent socket
  }
  if (!open()) {
    return;
  }
  if (body_parser_ && !body_last_ && !body_parser_->is_done()) {
    keep_alive_ = false;  // the rest of a streamed body is still coming: nothing follows it
  }
  std::string head = responseHead(response, keep_alive_);
  arm(options_.write_timeout);
  if (response.body.size() < kSeparateBytes) {
    head += response.body;
    enqueue(std::move(head));
  } else {
    enqueue(std::move(head));
    enqueue(std::move(response.body));
  }
  after_write_ = keep_alive_ ? AfterWrite::kReadNext : AfterWrite::kClose;
  maybeFinishResponse();
}

template <class S>
bool Connection<S>::lendable() const {
  return std::is_same_v<S, tcp::socket> && open() && !streaming_ && !writing_ && queue_.empty() &&
         !body_parser_ && after_write_ == AfterWrite::kNothing;
}

template <class S>
void Connection<S>::end(bool complete) {
  swallow_answer_ = true;
  if (!open()) {
    return;
  }
  if (complete && keep_alive_) {
    readHeader();
  } else {
    shutdown();
  }
}

template <class S>
bool Connection<S>::writeChunk(std::string data, bool owed) {
  if (streamClosed()) {
    return false;
  }
  if (data.empty()) {
    return true;
  }
  std::string out = fmt::format("{:x}\r\n", data.size());
  const size_t chunk_bytes = out.size() + data.size() + 2;
  const size_t counted = unsentCounted();
  if (!owed && counted > 0 && counted + chunk_bytes > options_.max_stream_buffer_bytes) {
    slot_.shared().warnThrottled("slow_stream",
                                 fmt::format("http_stream_reader_too_slow peer={} queued_bytes={} "
                                             "limit={}: disconnected",
                                             peer_, counted, options_.max_stream_buffer_bytes));
    // Closed later, on the loop: the writer may be iterating over its streams right now, and
    // the close callback it registered must not run inside its own write().
    stream_closed_ = true;
    asio::post(socket_.get_executor(), [self = this->shared_from_this()] { self->shutdown(); });
    return false;
  }
  if (data.size() < kSeparateBytes) {
    out += data;
    out += "\r\n";
    enqueue(std::move(out));
  } else {
    enqueue(std::move(out));
    enqueue(std::move(data));
    enqueue("\r\n");
  }
  if (owed) {
    owed_until_ = queued_total_;
  }
  return true;
}

template <class S>
void Connection<S>::closeStream() {
  if (stream_closed_) {
    return;
  }
  stream_closed_ = true;
  if (open()) {
    enqueue("0\r\n\r\n");
    after_write_ = AfterWrite::kClose;
    maybeFinishResponse();
  }
  fireClosed();
}

template <class S>
void Connection<S>::enqueue(std::string data) {
  queued_bytes_ += data.size();
  queued_total_ += data.size();
  queue_.push_back(std::move(data));
  if (writing_) {
    return;
  }
  if (!streaming_) {
    writeNext();
    return;
  }
  // A stream's chunks wait for the end of the loop turn, so that the events written to one
  // stream in one turn (the RUN_TASKs of one ACCEPT, the UPDATEs of one batch of status
  // updates) leave in one gathered write instead of one system call each.
  writing_ = true;
  asio::post(socket_.get_executor(), [self = this->shared_from_this()] {
    if (!self->open()) {
      self->writing_ = false;
      return;
    }
    self->writeNext();
  });
}

template <class S>
void Connection<S>::writeNext() {
  if (queue_.empty()) {
    writing_ = false;
    maybeFinishResponse();
    return;
  }
  writing_ = true;
  // Everything queued leaves in one gathered write (a burst of events to one stream, a
  // response's head and body): one system call instead of one per piece. The deque keeps the
  // strings in place while more are queued behind them.
  const size_t pieces = std::min(queue_.size(), kMaxGatheredPieces);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(pieces);
  for (size_t i = 0; i < pieces; ++i) {
    buffers.emplace_back(asio::buffer(queue_[i]));
  }
  asio::async_write(socket_, buffers,
                    [self = this->shared_from_this(), pieces](beast::error_code ec, size_t) {
                      for (size_t i = 0; i < pieces; ++i) {
                        self->queued_bytes_ -= self->queue_.front().size();
                        self->sent_total_ += self->queue_.front().size();
                        self->queue_.pop_front();
                      }
                      if (ec) {
                        self->shutdown();
                        return;
                      }
                      self->maybeDrained();
                      self->writeNext();
                    });
}

// Once the queued bytes of a finished response are out, read the next request or close.
template <class S>
void Connection<S>::maybeFinishResponse() {
  if (writing_ || !queue_.empty()) {
    return;
  }
  AfterWrite next = std::exchange(after_write_, AfterWrite::kNothing);
  if (next == AfterWrite::kReadNext) {
    readHeader();
  } else if (next == AfterWrite::kClose) {
    shutdown();
  }
}

// While streaming, the peer sends nothing more; a completed read means it went away.
template <class S>
void Connection<S>::watchPeer() {
  auto buf = std::make_shared<std::array<char, 512>>();
  socket_.async_read_some(asio::buffer(*buf),
                          [self = this->shared_from_this(), buf](beast::error_code ec, size_t) {
                            if (ec) {
                              self->shutdown();
                            } else {
                              self->watchPeer();
                            }
                          });
}

template <class S>
void Connection<S>::shutdown() {
  auto& socket = lowest(socket_);
  if (socket.is_open()) {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
  disarm();
  fireClosed();
}

namespace {

class ConnectionStream : public Stream {
 public:
  explicit ConnectionStream(std::shared_ptr<StreamSink> conn) : conn_(std::move(conn)) {}
  ~ConnectionStream() override { conn_->closeStream(); }
  bool write(std::string data) override { return conn_->writeChunk(std::move(data), false); }
  bool writeOwed(std::string data) { return conn_->writeChunk(std::move(data), true); }
  void close() override { conn_->closeStream(); }
  bool closed() const override { return conn_->streamClosed(); }
  void onClosed(std::function<void()> fn) override { conn_->onStreamClosed(std::move(fn)); }
  double backlog() const override { return conn_->streamBacklog(); }
  void onDrained(std::function<void()> fn) override { conn_->onStreamDrained(std::move(fn)); }

 private:
  std::shared_ptr<StreamSink> conn_;
};

}  // namespace

bool writeOwed(Stream& stream, std::string data) {
  if (auto* connection = dynamic_cast<ConnectionStream*>(&stream)) {
    return connection->writeOwed(std::move(data));
  }
  return stream.write(std::move(data));
}

template <class S>
std::shared_ptr<Stream> Connection<S>::stream(int status, Headers headers) {
  headers["transfer-encoding"] = "chunked";
  std::string out = serializeHead(status, headers);
  out += "\r\n";
  streaming_ = true;
  disarm();
  enqueue(std::move(out));
  if (!body_parser_ || body_last_) {
    watchPeer();  // else the streamed body's reads notice the peer going
  }
  return std::make_shared<ConnectionStream>(this->shared_from_this());
}

std::shared_ptr<SocketLoan> lendDispatchedSocket() {
  auto connection = lender.lock();
  return connection != nullptr && connection->lendable() ? connection : nullptr;
}

std::string responseHead(const Response& response, bool keep_alive) {
  Headers headers = response.headers;
  headers["content-length"] = std::to_string(response.body.size());
  if (!keep_alive) {
    headers["connection"] = "close";
  }
  return serializeHead(response.status, headers) + "\r\n";
}

void servePlain(tcp::socket socket, ConnectionSlot slot) {
  std::make_shared<Connection<tcp::socket>>(std::move(socket), std::move(slot))->start();
}

void serveTls(tcp::socket socket, ConnectionSlot slot) {
  auto& ctx = nativeContext(*slot.shared().options.tls);
  std::make_shared<Connection<TlsSocket>>(TlsSocket(std::move(socket), ctx), std::move(slot))
      ->start();
}

}  // namespace plateau::http
