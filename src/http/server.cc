#include "http/server.h"

#include <deque>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/invariant.h"
#include "http/asio.h"

namespace plateau::http {

using tcp = asio::ip::tcp;
namespace bhttp = beast::http;

namespace {

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

}  // namespace

// One accepted socket. Reads requests one at a time; a streamed response takes the
// connection over until it ends.
class Connection final : public Exchange, public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Handler> handler, ServerOptions options)
      : socket_(std::move(socket)), handler_(handler), options_(options) {}

  void start() { readHeader(); }

  void respond(Response response) override {
    if (!socket_.is_open()) {
      return;
    }
    response.headers["content-length"] = std::to_string(response.body.size());
    if (!keep_alive_) {
      response.headers["connection"] = "close";
    }
    std::string out = serializeHead(response.status, response.headers);
    out += "\r\n";
    out += response.body;
    enqueue(std::move(out));
    if (keep_alive_) {
      after_write_ = AfterWrite::kReadNext;
    } else {
      after_write_ = AfterWrite::kClose;
    }
    maybeFinishResponse();
  }

  std::shared_ptr<Stream> stream(int status, Headers headers) override;

  void startStream(int status, Headers headers) {
    headers["transfer-encoding"] = "chunked";
    std::string out = serializeHead(status, headers);
    out += "\r\n";
    streaming_ = true;
    enqueue(std::move(out));
    watchPeer();
  }

  bool writeChunk(std::string data) {
    if (!socket_.is_open() || stream_closed_) {
      return false;
    }
    if (data.empty()) {
      return true;
    }
    std::string out = fmt::format("{:x}\r\n", data.size());
    out += data;
    out += "\r\n";
    enqueue(std::move(out));
    return true;
  }

  void closeStream() {
    if (stream_closed_) {
      return;
    }
    stream_closed_ = true;
    if (socket_.is_open()) {
      enqueue("0\r\n\r\n");
      after_write_ = AfterWrite::kClose;
      maybeFinishResponse();
    }
    fireClosed();
  }

  bool streamClosed() const { return stream_closed_ || !socket_.is_open(); }
  void onStreamClosed(std::function<void()> fn) {
    if (streamClosed()) {
      fn();
    } else {
      on_closed_ = std::move(fn);
    }
  }

 private:
  enum class AfterWrite { kNothing, kReadNext, kClose };

  void readHeader() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
  }

  void onHeader(beast::error_code ec) {
    if (ec) {
      if (ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        sendError(400, fmt::format("Malformed HTTP request: {}", ec.message()));
      } else {
        shutdown();
      }
      return;
    }
    auto& req = parser_->get();
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      enqueue("HTTP/1.1 100 Continue\r\n\r\n");
    }
    bhttp::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onBody(ec); });
  }

  void onBody(beast::error_code ec) {
    if (ec) {
      if (ec == bhttp::error::body_limit) {
        sendError(413, "Request body too large");
      } else if (ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
                 ec == asio::error::connection_reset) {
        shutdown();
      } else {
        sendError(400, fmt::format("Malformed HTTP request: {}", ec.message()));
      }
      return;
    }
    auto msg = parser_->release();
    Request request;
    request.method = std::string(msg.method_string());
    std::string target(msg.target());
    size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) {
      request.query = target.substr(q + 1);
    }
    for (const auto& field : msg) {
      std::string name = toLower(std::string(field.name_string()));
      auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
      if (!inserted) {
        it->second += ", " + std::string(field.value());
      }
    }
    request.body = std::move(msg.body());
    request.keep_alive = msg.keep_alive();
    beast::error_code peer_ec;
    auto peer = socket_.remote_endpoint(peer_ec);
    if (!peer_ec) {
      request.remote = fmt::format("{}:{}", peer.address().to_string(), peer.port());
    }
    keep_alive_ = request.keep_alive;
    responding_ = true;
    try {
      (*handler_)(request, Responder(shared_from_this()));
    } catch (const std::exception& e) {
      // Handlers answer bad input with 4xx; an exception is a bug (common/invariant.h).
      invariantBroken(fmt::format("an exception escaped the handler of {} {}: {}", request.method,
                                  request.path, e.what()));
    }
  }

  void sendError(int status, std::string message) {
    keep_alive_ = false;
    respond(Response::text(status, std::move(message)));
  }

  void enqueue(std::string data) {
    queue_.push_back(std::move(data));
    if (!writing_) {
      writeNext();
    }
  }

  void writeNext() {
    if (queue_.empty()) {
      writing_ = false;
      maybeFinishResponse();
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->queue_.pop_front();
                        if (ec) {
                          self->shutdown();
                          return;
                        }
                        self->writeNext();
                      });
  }

  // Once the queued bytes of a finished response are out, read the next request or close.
  void maybeFinishResponse() {
    if (writing_ || !queue_.empty()) {
      return;
    }
    AfterWrite next = after_write_;
    after_write_ = AfterWrite::kNothing;
    if (next == AfterWrite::kReadNext) {
      responding_ = false;
      readHeader();
    } else if (next == AfterWrite::kClose) {
      shutdown();
    }
  }

  // While streaming, the peer sends nothing more; a completed read means it went away.
  void watchPeer() {
    auto buf = std::make_shared<std::array<char, 512>>();
    socket_.async_read_some(asio::buffer(*buf),
                            [self = shared_from_this(), buf](beast::error_code ec, size_t) {
                              if (ec) {
                                self->shutdown();
                              } else {
                                self->watchPeer();
                              }
                            });
  }

  void shutdown() {
    if (socket_.is_open()) {
      beast::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
    }
    fireClosed();
  }

  void fireClosed() {
    if (on_closed_) {
      auto fn = std::move(on_closed_);
      on_closed_ = nullptr;
      fn();
    }
  }

  tcp::socket socket_;
  std::shared_ptr<Handler> handler_;
  ServerOptions options_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool keep_alive_ = true;
  bool responding_ = false;
  bool streaming_ = false;
  bool stream_closed_ = false;
  AfterWrite after_write_ = AfterWrite::kNothing;
  std::function<void()> on_closed_;
};

namespace {

class ConnectionStream : public Stream {
 public:
  explicit ConnectionStream(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}
  ~ConnectionStream() override { conn_->closeStream(); }
  bool write(std::string data) override { return conn_->writeChunk(std::move(data)); }
  void close() override { conn_->closeStream(); }
  bool closed() const override { return conn_->streamClosed(); }
  void onClosed(std::function<void()> fn) override { conn_->onStreamClosed(std::move(fn)); }

 private:
  std::shared_ptr<Connection> conn_;
};

}  // namespace

std::shared_ptr<Stream> Connection::stream(int status, Headers headers) {
  startStream(status, std::move(headers));
  return std::make_shared<ConnectionStream>(shared_from_this());
}

Responder::Responder(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
Responder::Responder(Responder&&) noexcept = default;
Responder& Responder::operator=(Responder&&) noexcept = default;
Responder::~Responder() {
  if (exchange_) {
    exchange_->respond(Response::text(500, "The request was dropped without an answer"));
  }
}

void Responder::respond(Response response) {
  if (auto exchange = std::move(exchange_)) {
    exchange->respond(std::move(response));
    answered();
  }
}

std::shared_ptr<Stream> Responder::stream(int status, Headers headers) {
  auto exchange = std::move(exchange_);
  auto stream = exchange->stream(status, std::move(headers));
  answered();
  return stream;
}

void Responder::answered() {
  if (auto fn = std::move(on_answer_)) {
    on_answer_ = nullptr;
    fn();
  }
}

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(EventLoop& loop, Handler h, ServerOptions o)
      : io(*static_cast<asio::io_context*>(loop.native())),
        acceptor(io),
        handler(std::make_shared<Handler>(std::move(h))),
        options(o) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) {
          return;
        }
        spdlog::warn("http_accept_failed error={}", ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Connection>(std::move(socket), self->handler, self->options)->start();
      }
      self->accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  std::shared_ptr<Handler> handler;
  ServerOptions options;
};

Server::Server(EventLoop& loop, Handler handler, ServerOptions options)
    : impl_(std::make_shared<Impl>(loop, std::move(handler), options)) {}

Server::~Server() { close(); }

Result<uint16_t> Server::listen(const std::string& ip, uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(ip, ec);
  if (ec) {
    return invalidArgument(fmt::format("Invalid IP address '{}': {}", ip, ec.message()));
  }
  tcp::endpoint endpoint(address, port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acc.close(ignored);
    return unavailable(fmt::format("Failed to listen on {}:{}: {}", ip, port, ec.message()));
  }
  impl_->accept();
  return acc.local_endpoint().port();
}

void Server::close() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace plateau::http
