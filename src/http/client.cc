#include "http/client.h"

#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <vector>

#include <fmt/format.h>

#include <boost/beast/ssl.hpp>

#include "http/asio.h"
#include "http/tls_native.h"
#include "http/upload.h"

namespace plateau::http {

using tcp = asio::ip::tcp;
namespace bhttp = beast::http;

std::string Endpoint::toString() const { return fmt::format("{}:{}", host, port); }

Result<Endpoint> Endpoint::parse(std::string_view text, uint16_t default_port) {
  std::string_view rest = text;
  Transport transport = Transport::kProcessDefault;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    transport = Transport::kTls;
  } else if (rest.find("://") != std::string_view::npos) {
    return invalidArgument(
        fmt::format("Unsupported address '{}': expected host:port, http:// or https://", text));
  }
  rest = rest.substr(0, rest.find('/'));
  Endpoint ep;
  ep.transport = transport;
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    ep.host = std::string(rest);
    ep.port = default_port;
  } else {
    ep.host = std::string(rest.substr(0, colon));
    auto port_text = rest.substr(colon + 1);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return invalidArgument(fmt::format("Invalid port in address '{}'", text));
    }
    ep.port = static_cast<uint16_t>(port);
  }
  if (ep.host.empty()) {
    return invalidArgument(fmt::format("Missing host in address '{}'", text));
  }
  return ep;
}

namespace {

bhttp::request<bhttp::string_body> toBeast(const Endpoint& endpoint, ClientRequest& request) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(request.method);
  req.target(request.path);
  req.version(11);
  req.set(bhttp::field::host, endpoint.toString());
  for (const auto& [name, value] : request.headers) {
    req.set(name, value);
  }
  req.body() = std::move(request.body);
  if (request.method != "GET" || !req.body().empty()) {
    req.prepare_payload();
  }
  return req;
}

template <class Fields>
Headers fromBeast(const Fields& fields) {
  Headers headers;
  for (const auto& field : fields) {
    headers[toLower(std::string(field.name_string()))] = std::string(field.value());
  }
  return headers;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One client connection, plain or TLS.
struct Conn {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;

  beast::tcp_stream& tcp() { return tls ? tls->next_layer() : *plain; }
  // Runs `f` with the stream that carries HTTP (the TLS stream when there is one).
  template <class F>
  void visit(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }
};

// The client TLS context for `endpoint`: nullptr for plain HTTP.
Result<std::shared_ptr<const TlsContext>> clientTlsFor(const Endpoint& endpoint) {
  if (endpoint.transport == Transport::kPlain) {
    return nullptr;
  }
  if (endpoint.tls) {
    return endpoint.tls;
  }
  auto process = processClientTls();
  if (!process || *process) {
    return process;
  }
  if (endpoint.transport == Transport::kTls) {
    return defaultHttpsClientTls();
  }
  return nullptr;
}

std::string poolKey(const Endpoint& endpoint, const TlsContext* tls) {
  return fmt::format("{}|{}|{}", endpoint.toString(), static_cast<const void*>(tls),
                     endpoint.source);
}

// Idle keep-alive connections, by endpoint and TLS context, for one Client.
struct ConnectionPool {
  static constexpr size_t kMaxIdlePerEndpoint = 16;
  std::map<std::string, std::vector<std::unique_ptr<Conn>>> idle;

  std::unique_ptr<Conn> take(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) {
      return nullptr;
    }
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void give(const std::string& key, std::unique_ptr<Conn> conn) {
    auto& list = idle[key];
    if (list.size() < kMaxIdlePerEndpoint) {
      conn->tcp().expires_never();
      list.push_back(std::move(conn));
    }
  }
};

// Connects (or reuses a pooled connection), makes the TLS handshake when the endpoint asks for
// TLS, writes one request, then hands over to a reader.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, Endpoint endpoint, ClientRequest request,
           Result<std::shared_ptr<const TlsContext>> tls, std::unique_ptr<Conn> reused = nullptr)
      : resolver_(io),
        tls_(std::move(tls)),
        conn_(reused ? std::move(reused) : freshConn(io)),
        reused_(conn_->tcp().socket().is_open()),
        endpoint_(std::move(endpoint)),
        request_(std::move(request)) {}

  // `then` runs once; it is dropped right after so that nothing it captured keeps us alive.
  void connect(std::chrono::nanoseconds timeout, std::function<void(beast::error_code)> then) {
    then_ = std::move(then);
    if (!tls_) {
      setup_error_ = tls_.error();
      return connected(asio::error::invalid_argument);
    }
    conn_->tcp().expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
    req_ = toBeast(endpoint_, request_);
    if (head_only_) {
      req_.chunked(true);
    }
    if (reused_) {
      return write();
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(endpoint_.host, ec);
    if (!ec) {
      if (ec = bindSource(address.is_v6() ? tcp::v6() : tcp::v4()); ec) {
        return connected(ec);
      }
      // A numeric address needs no resolver (and no resolver thread).
      conn_->tcp().async_connect(
          tcp::endpoint(address, endpoint_.port),
          [self = shared_from_this()](beast::error_code ec) { self->onConnect(ec); });
      return;
    }
    resolver_.async_resolve(
        endpoint_.host, std::to_string(endpoint_.port),
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) {
            return self->connected(ec);
          }
          if (!self->endpoint_.source.empty()) {
            // Connecting to a range reopens the socket for each address: bound, try the first.
            const tcp::endpoint first = results.begin()->endpoint();
            if (ec = self->bindSource(first.protocol()); ec) {
              return self->connected(ec);
            }
            self->conn_->tcp().async_connect(first,
                                             [self](beast::error_code ec) { self->onConnect(ec); });
            return;
          }
          self->conn_->tcp().async_connect(
              results, [self](beast::error_code ec, const tcp::endpoint&) { self->onConnect(ec); });
        });
  }

  // Opens the socket and binds it to the endpoint's source address, when it names one.
  beast::error_code bindSource(const tcp& protocol) {
    beast::error_code ec;
    if (endpoint_.source.empty()) {
      return ec;
    }
    auto local = asio::ip::make_address(endpoint_.source, ec);
    if (ec) {
      return ec;
    }
    auto& socket = conn_->tcp().socket();
    socket.open(protocol, ec);
    if (!ec) {
      socket.bind(tcp::endpoint(local, 0), ec);
    }
    return ec;
  }

  // What went wrong, for error messages: the TLS setup, the handshake, or the exchange.
  std::string describe(beast::error_code ec) const {
    if (!setup_error_.isOk()) {
      return setup_error_.message();
    }
    if (!handshake_error_.empty()) {
      return handshake_error_;
    }
    return ec.message();
  }

  std::unique_ptr<Conn> freshConn(asio::io_context& io) {
    auto conn = std::make_unique<Conn>();
    if (tls_ && *tls_) {
      conn->tls = std::make_unique<TlsStream>(io, nativeContext(**tls_));
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(io);
    }
    return conn;
  }

  void onConnect(beast::error_code ec) {
    if (ec) {
      return connected(ec);
    }
    beast::error_code ignored;
    conn_->tcp().socket().set_option(tcp::no_delay(true), ignored);
    if (!conn_->tls) {
      return write();
    }
    if (Status s = prepareClientSsl(conn_->tls->native_handle(), **tls_, endpoint_.host);
        !s.isOk()) {
      setup_error_ = s;
      return connected(asio::error::invalid_argument);
    }
    conn_->tls->async_handshake(
        ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
          if (ec) {
            self->handshake_error_ = describeHandshakeFailure(self->conn_->tls->native_handle(), ec,
                                                              self->endpoint_.host);
            return self->connected(ec);
          }
          self->write();
        });
  }

  void write() {
    conn_->visit([this](auto& stream) {
      if (head_only_) {
        auto head = std::make_shared<bhttp::request_serializer<bhttp::string_body>>(req_);
        bhttp::async_write_header(stream, *head,
                                  [self = shared_from_this(), head](beast::error_code ec, size_t) {
                                    self->connected(ec);
                                  });
        return;
      }
      bhttp::async_write(stream, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
        self->connected(ec);
      });
    });
  }

  void connected(beast::error_code ec) {
    auto fn = std::move(then_);
    then_ = nullptr;
    if (fn) {
      fn(ec);
    }
  }

  void closeSocket() {
    beast::error_code ignored;
    conn_->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    conn_->tcp().socket().close(ignored);
  }

  tcp::resolver resolver_;
  Result<std::shared_ptr<const TlsContext>> tls_;
  std::unique_ptr<Conn> conn_;
  bool reused_ = false;
  bool head_only_ = false;       // write the head alone (chunked): the body follows in pieces
  std::string handshake_error_;  // why the TLS handshake failed ("" when it did not)
  Status setup_error_;
  beast::flat_buffer buffer_;
  Endpoint endpoint_;
  ClientRequest request_;
  bhttp::request<bhttp::string_body> req_;
  std::function<void(beast::error_code)> then_;
};

class FetchOp : public Exchange {
 public:
  FetchOp(asio::io_context& io, Endpoint endpoint, ClientRequest request,
          std::shared_ptr<ConnectionPool> pool = nullptr)
      : FetchOp(io, endpoint, request, std::move(pool), clientTlsFor(endpoint)) {}

  FetchOp(asio::io_context& io, const Endpoint& endpoint, const ClientRequest& request,
          std::shared_ptr<ConnectionPool> pool, Result<std::shared_ptr<const TlsContext>> tls)
      : Exchange(io, endpoint, request, tls,
                 pool && tls ? pool->take(poolKey(endpoint, tls->get())) : nullptr),
        io_(io),
        pool_(std::move(pool)),
        original_(request) {}

  void run(std::chrono::nanoseconds timeout, Done done) {
    done_ = std::move(done);
    timeout_ = timeout;
    auto self = std::static_pointer_cast<FetchOp>(shared_from_this());
    connect(timeout, [self](beast::error_code ec) {
      if (ec) {
        return self->finish(ec);
      }
      self->parser_.body_limit(256 << 20);
      self->conn_->visit([&self](auto& stream) {
        bhttp::async_read(stream, self->buffer_, self->parser_,
                          [self](beast::error_code ec, size_t) { self->finish(ec); });
      });
    });
  }

 private:
  void finish(beast::error_code ec) {
    auto done = std::move(done_);
    if (!done) {
      return;
    }
    if (ec && reused_) {
      // The server may have closed an idle pooled connection: try once on a fresh one.
      auto retry = std::make_shared<FetchOp>(io_, endpoint_, std::move(original_));
      retry->run(timeout_, std::move(done));
      return;
    }
    if (ec) {
      closeSocket();
      done(unavailable(fmt::format("HTTP request to {}{} failed: {}", endpoint_.toString(),
                                   request_.path, describe(ec))));
      return;
    }
    auto msg = parser_.release();
    if (pool_ && msg.keep_alive() && buffer_.size() == 0) {
      pool_->give(poolKey(endpoint_, tls_->get()), std::move(conn_));
    } else {
      closeSocket();
    }
    Response response;
    response.status = static_cast<int>(msg.result_int());
    response.headers = fromBeast(msg);
    response.body = std::move(msg.body());
    done(std::move(response));
  }

  asio::io_context& io_;
  std::shared_ptr<ConnectionPool> pool_;
  ClientRequest original_;
  std::chrono::nanoseconds timeout_{0};
  bhttp::response_parser<bhttp::string_body> parser_;
  Done done_;
};

class StreamOp : public Exchange, public StreamingCall {
 public:
  StreamOp(asio::io_context& io, const Endpoint& endpoint, ClientRequest request)
      : Exchange(io, endpoint, std::move(request), clientTlsFor(endpoint)) {}

  void run(std::chrono::nanoseconds timeout, Callbacks callbacks) {
    callbacks_ = std::move(callbacks);
    auto self = std::static_pointer_cast<StreamOp>(Exchange::shared_from_this());
    connect(timeout, [self](beast::error_code ec) {
      if (ec) {
        return self->fail(ec);
      }
      // Not boost::none: Beast 1.74 then rejects any Content-Length body as over the limit.
      self->parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
      self->conn_->visit([&self](auto& stream) {
        bhttp::async_read_header(stream, self->buffer_, self->parser_,
                                 [self](beast::error_code ec, size_t) { self->onHead(ec); });
      });
    });
  }

  void cancel() override {
    cancelled_ = true;
    closeSocket();
  }

 private:
  void onHead(beast::error_code ec) {
    if (ec) {
      return fail(ec);
    }
    conn_->tcp().expires_never();
    Response head;
    head.status = static_cast<int>(parser_.get().result_int());
    head.headers = fromBeast(parser_.get());
    if (!cancelled_ && callbacks_.on_head) {
      callbacks_.on_head(head);
    }
    readMore();
  }

  void readMore() {
    if (cancelled_) {
      return;
    }
    if (parser_.is_done()) {
      return fail(bhttp::error::end_of_stream);
    }
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    auto self = std::static_pointer_cast<StreamOp>(Exchange::shared_from_this());
    conn_->visit([&](auto& stream) {
      bhttp::async_read_some(stream, buffer_, parser_,
                             [self](beast::error_code ec, size_t) { self->onSome(ec); });
    });
  }

  void onSome(beast::error_code ec) {
    if (ec == bhttp::error::need_buffer) {
      ec = {};
    }
    size_t n = chunk_.size() - parser_.get().body().size;
    if (n > 0 && !cancelled_ && callbacks_.on_data) {
      callbacks_.on_data(std::string_view(chunk_.data(), n));
    }
    if (ec) {
      return fail(ec);
    }
    readMore();
  }

  void fail(beast::error_code ec) {
    if (cancelled_ || closed_) {
      return;
    }
    closed_ = true;
    if (callbacks_.on_closed) {
      callbacks_.on_closed(Status(StatusCode::kUnavailable,
                                  fmt::format("stream from {}{} ended: {}", endpoint_.toString(),
                                              request_.path, describe(ec))));
    }
  }

  bhttp::response_parser<bhttp::buffer_body> parser_;
  std::array<char, 64 * 1024> chunk_;
  Callbacks callbacks_;
  bool cancelled_ = false;
  bool closed_ = false;
};

// The connection side of a BlockingUpload: sends the head, then each queued chunk in order,
// while reading the answer whenever it comes.
class UploadOp : public Exchange {
 public:
  UploadOp(asio::io_context& io, const Endpoint& endpoint, ClientRequest request,
           std::shared_ptr<BlockingUpload::State> state)
      : Exchange(io, endpoint, std::move(request), clientTlsFor(endpoint)),
        state_(std::move(state)) {
    head_only_ = true;
  }

  void run(std::chrono::nanoseconds timeout);
  // Queues `data` as one chunk ("": the last chunk, ending the body).
  void send(const std::string& data);
  void stop() { closeSocket(); }

 private:
  void writeNext();
  void fail(beast::error_code ec);

  std::shared_ptr<BlockingUpload::State> state_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bhttp::response_parser<bhttp::string_body> parser_;
};

}  // namespace

struct BlockingUpload::State {
  bool connected = false;
  size_t written = 0;  // chunks written so far
  std::optional<Status> broken;
  std::optional<Result<Response>> answer;
  std::shared_ptr<UploadOp> op;
};

namespace {

void UploadOp::run(std::chrono::nanoseconds timeout) {
  auto self = std::static_pointer_cast<UploadOp>(shared_from_this());
  connect(timeout, [self](beast::error_code ec) {
    if (ec) {
      return self->fail(ec);
    }
    self->conn_->tcp().expires_never();
    self->state_->connected = true;
    self->parser_.body_limit(16 << 20);
    self->conn_->visit([&self](auto& stream) {
      bhttp::async_read(stream, self->buffer_, self->parser_, [self](beast::error_code ec, size_t) {
        if (ec) {
          return self->fail(ec);
        }
        auto msg = self->parser_.release();
        Response response;
        response.status = static_cast<int>(msg.result_int());
        response.headers = fromBeast(msg);
        response.body = std::move(msg.body());
        self->state_->answer = std::move(response);
      });
    });
    self->writeNext();
  });
}

void UploadOp::send(const std::string& data) {
  queue_.push_back(data.empty() ? std::string("0\r\n\r\n")
                                : fmt::format("{:x}\r\n{}\r\n", data.size(), data));
  writeNext();
}

void UploadOp::writeNext() {
  if (writing_ || queue_.empty() || !state_->connected || state_->broken) {
    return;
  }
  writing_ = true;
  auto self = std::static_pointer_cast<UploadOp>(shared_from_this());
  conn_->visit([&](auto& stream) {
    asio::async_write(stream, asio::buffer(queue_.front()), [self](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->queue_.pop_front();
      if (ec) {
        return self->fail(ec);
      }
      self->state_->written++;
      self->writeNext();
    });
  });
}

void UploadOp::fail(beast::error_code ec) {
  if (!state_->broken) {
    state_->broken = Status(StatusCode::kUnavailable,
                            fmt::format("upload to {}{} failed: {}", endpoint_.toString(),
                                        request_.path, describe(ec)));
  }
}

}  // namespace

void fetch(EventLoop& loop, const Endpoint& endpoint, ClientRequest request,
           std::chrono::nanoseconds timeout, Done done) {
  auto& io = *static_cast<asio::io_context*>(loop.native());
  std::make_shared<FetchOp>(io, endpoint, std::move(request))->run(timeout, std::move(done));
}

struct Client::Impl {
  EventLoop& loop;
  std::shared_ptr<ConnectionPool> pool = std::make_shared<ConnectionPool>();
};

Client::Client(EventLoop& loop) : impl_(std::make_unique<Impl>(Impl{loop})) {}
Client::~Client() = default;

void Client::fetch(const Endpoint& endpoint, ClientRequest request,
                   std::chrono::nanoseconds timeout, Done done) {
  auto& io = *static_cast<asio::io_context*>(impl_->loop.native());
  std::make_shared<FetchOp>(io, endpoint, std::move(request), impl_->pool)
      ->run(timeout, std::move(done));
}

std::shared_ptr<StreamingCall> StreamingCall::open(EventLoop& loop, const Endpoint& endpoint,
                                                   ClientRequest request,
                                                   std::chrono::nanoseconds timeout,
                                                   Callbacks callbacks) {
  auto& io = *static_cast<asio::io_context*>(loop.native());
  auto op = std::make_shared<StreamOp>(io, endpoint, std::move(request));
  op->run(timeout, std::move(callbacks));
  return op;
}

Result<Response> fetchSync(const Endpoint& endpoint, ClientRequest request,
                           std::chrono::nanoseconds timeout) {
  EventLoop loop;
  std::optional<Result<Response>> result;
  fetch(loop, endpoint, std::move(request), timeout,
        [&](Result<Response> r) { result = std::move(r); });
  loop.runUntil([&] { return result.has_value(); }, timeout + std::chrono::seconds(1));
  if (!result) {
    return unavailable(fmt::format("HTTP request to {} timed out", endpoint.toString()));
  }
  return std::move(*result);
}

BlockingStream::~BlockingStream() { close(); }

void BlockingStream::close() {
  if (call_) {
    call_->cancel();
    call_.reset();
    // Let the cancelled operations finish so nothing outlives the loop.
    loop_->runUntil([] { return false; }, std::chrono::milliseconds(0));
  }
}

Result<std::unique_ptr<BlockingStream>> BlockingStream::open(const Endpoint& endpoint,
                                                             ClientRequest request,
                                                             std::chrono::nanoseconds timeout) {
  std::unique_ptr<BlockingStream> s(new BlockingStream());
  s->loop_ = std::make_unique<EventLoop>();
  auto* raw = s.get();
  s->call_ =
      StreamingCall::open(*s->loop_, endpoint, std::move(request), timeout,
                          {.on_head =
                               [raw](const Response& head) {
                                 raw->head_ = head;
                                 raw->got_head_ = true;
                               },
                           .on_data = [raw](std::string_view data) { raw->pending_.append(data); },
                           .on_closed = [raw](const Status& why) { raw->closed_ = why; }});
  s->loop_->runUntil([raw] { return raw->got_head_ || raw->closed_.has_value(); },
                     timeout + std::chrono::seconds(1));
  if (!s->got_head_) {
    return std::unexpected(s->closed_.value_or(
        Status(StatusCode::kUnavailable, "timed out waiting for the response head")));
  }
  return s;
}

Result<std::string> BlockingStream::read(std::chrono::nanoseconds timeout) {
  loop_->runUntil([this] { return !pending_.empty() || closed_.has_value(); }, timeout);
  if (!pending_.empty()) {
    return std::exchange(pending_, std::string());
  }
  if (closed_) {
    return std::unexpected(*closed_);
  }
  return unavailable("timed out waiting for stream data");
}

}  // namespace plateau::http

namespace plateau::http {

BlockingUpload::~BlockingUpload() {
  if (state_ && state_->op) {
    state_->op->stop();
    state_->op.reset();
    loop_->runUntil([] { return false; }, std::chrono::milliseconds(0));
  }
}

Result<std::unique_ptr<BlockingUpload>> BlockingUpload::open(const Endpoint& endpoint,
                                                             ClientRequest request,
                                                             std::chrono::nanoseconds timeout) {
  std::unique_ptr<BlockingUpload> upload(new BlockingUpload());
  upload->loop_ = std::make_unique<EventLoop>();
  upload->state_ = std::make_shared<State>();
  auto& io = *static_cast<asio::io_context*>(upload->loop_->native());
  request.body.clear();
  upload->state_->op = std::make_shared<UploadOp>(io, endpoint, std::move(request), upload->state_);
  upload->state_->op->run(timeout);
  State& state = *upload->state_;
  upload->loop_->runUntil([&] { return state.connected || state.broken.has_value(); },
                          timeout + std::chrono::seconds(1));
  if (!state.connected) {
    return std::unexpected(state.broken.value_or(
        Status(StatusCode::kUnavailable, "timed out sending the request's head")));
  }
  return upload;
}

Status BlockingUpload::write(std::string data, std::chrono::nanoseconds timeout) {
  State& state = *state_;
  if (data.empty()) {
    return Status(StatusCode::kInvalidArgument, "an empty chunk would end the body");
  }
  size_t target = state.written + 1;
  state.op->send(data);
  loop_->runUntil([&] { return state.written >= target || state.broken || state.answer; }, timeout);
  if (state.broken) {
    return *state.broken;
  }
  if (state.answer) {
    return Status(StatusCode::kUnavailable, "the server answered before the body ended");
  }
  if (state.written < target) {
    return Status(StatusCode::kUnavailable, "timed out writing to the server");
  }
  return {};
}

std::optional<Result<Response>> BlockingUpload::answer() {
  // Runs what is ready (a zero timeout would run nothing).
  loop_->runUntil([this] { return state_->answer || state_->broken; },
                  std::chrono::milliseconds(1));
  if (state_->answer) {
    return state_->answer;
  }
  if (state_->broken) {
    return std::unexpected(*state_->broken);
  }
  return std::nullopt;
}

Result<Response> BlockingUpload::finish(std::chrono::nanoseconds timeout) {
  State& state = *state_;
  if (!state.answer && !state.broken) {
    state.op->send("");
  }
  loop_->runUntil([&] { return state.answer.has_value() || state.broken.has_value(); }, timeout);
  if (state.answer) {
    return *state.answer;
  }
  return std::unexpected(
      state.broken.value_or(Status(StatusCode::kUnavailable, "timed out waiting for the answer")));
}

}  // namespace plateau::http
