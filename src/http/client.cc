#include "http/client.h"

#include <charconv>
#include <limits>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "http/asio.h"

namespace plateau::http {

using tcp = asio::ip::tcp;
namespace bhttp = beast::http;

std::string Endpoint::toString() const { return fmt::format("{}:{}", host, port); }

Result<Endpoint> Endpoint::parse(std::string_view text, uint16_t default_port) {
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.find("://") != std::string_view::npos) {
    return invalidArgument(fmt::format("Unsupported address '{}': expected host:port", text));
  }
  rest = rest.substr(0, rest.find('/'));
  Endpoint ep;
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

// Idle keep-alive connections, by endpoint, for one Client.
struct ConnectionPool {
  static constexpr size_t kMaxIdlePerEndpoint = 16;
  std::map<std::string, std::vector<std::unique_ptr<beast::tcp_stream>>> idle;

  std::unique_ptr<beast::tcp_stream> take(const Endpoint& endpoint) {
    auto it = idle.find(endpoint.toString());
    if (it == idle.end() || it->second.empty()) {
      return nullptr;
    }
    auto stream = std::move(it->second.back());
    it->second.pop_back();
    return stream;
  }

  void give(const Endpoint& endpoint, std::unique_ptr<beast::tcp_stream> stream) {
    auto& list = idle[endpoint.toString()];
    if (list.size() < kMaxIdlePerEndpoint) {
      stream->expires_never();
      list.push_back(std::move(stream));
    }
  }
};

// Connects (or reuses a pooled connection), writes one request, then hands over to a reader.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, Endpoint endpoint, ClientRequest request,
           std::unique_ptr<beast::tcp_stream> reused = nullptr)
      : resolver_(io),
        stream_(reused ? std::move(reused) : std::make_unique<beast::tcp_stream>(io)),
        reused_(stream_->socket().is_open()),
        endpoint_(std::move(endpoint)),
        request_(std::move(request)) {}

  // `then` runs once; it is dropped right after so that nothing it captured keeps us alive.
  void connect(std::chrono::nanoseconds timeout, std::function<void(beast::error_code)> then) {
    then_ = std::move(then);
    stream_->expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
    req_ = toBeast(endpoint_, request_);
    if (reused_) {
      return write();
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(endpoint_.host, ec);
    if (!ec) {
      // A numeric address needs no resolver (and no resolver thread).
      stream_->async_connect(
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
          self->stream_->async_connect(
              results, [self](beast::error_code ec, const tcp::endpoint&) { self->onConnect(ec); });
        });
  }

  void onConnect(beast::error_code ec) {
    if (ec) {
      return connected(ec);
    }
    beast::error_code ignored;
    stream_->socket().set_option(tcp::no_delay(true), ignored);
    write();
  }

  void write() {
    bhttp::async_write(*stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->connected(ec);
    });
  }

  void connected(beast::error_code ec) {
    auto fn = std::move(then_);
    then_ = nullptr;
    if (fn) {
      fn(ec);
    }
  }

  tcp::resolver resolver_;
  std::unique_ptr<beast::tcp_stream> stream_;
  bool reused_ = false;
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
      : Exchange(io, endpoint, request, pool ? pool->take(endpoint) : nullptr),
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
      bhttp::async_read(*self->stream_, self->buffer_, self->parser_,
                        [self](beast::error_code ec, size_t) { self->finish(ec); });
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
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      done(unavailable(fmt::format("HTTP request to {}{} failed: {}", endpoint_.toString(),
                                   request_.path, ec.message())));
      return;
    }
    auto msg = parser_.release();
    if (pool_ && msg.keep_alive() && buffer_.size() == 0) {
      pool_->give(endpoint_, std::move(stream_));
    } else {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
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
  using Exchange::Exchange;

  void run(std::chrono::nanoseconds timeout, Callbacks callbacks) {
    callbacks_ = std::move(callbacks);
    auto self = std::static_pointer_cast<StreamOp>(Exchange::shared_from_this());
    connect(timeout, [self](beast::error_code ec) {
      if (ec) {
        return self->fail(ec);
      }
      // Not boost::none: Beast 1.74 then rejects any Content-Length body as over the limit.
      self->parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
      bhttp::async_read_header(*self->stream_, self->buffer_, self->parser_,
                               [self](beast::error_code ec, size_t) { self->onHead(ec); });
    });
  }

  void cancel() override {
    cancelled_ = true;
    beast::error_code ignored;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
  }

 private:
  void onHead(beast::error_code ec) {
    if (ec) {
      return fail(ec);
    }
    stream_->expires_never();
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
    bhttp::async_read_some(*stream_, buffer_, parser_, [self](beast::error_code ec, size_t) {
      if (ec == bhttp::error::need_buffer) {
        ec = {};
      }
      size_t n = self->chunk_.size() - self->parser_.get().body().size;
      if (n > 0 && !self->cancelled_ && self->callbacks_.on_data) {
        self->callbacks_.on_data(std::string_view(self->chunk_.data(), n));
      }
      if (ec) {
        return self->fail(ec);
      }
      self->readMore();
    });
  }

  void fail(beast::error_code ec) {
    if (cancelled_ || closed_) {
      return;
    }
    closed_ = true;
    if (callbacks_.on_closed) {
      callbacks_.on_closed(Status(StatusCode::kUnavailable,
                                  fmt::format("stream from {}{} ended: {}", endpoint_.toString(),
                                              request_.path, ec.message())));
    }
  }

  bhttp::response_parser<bhttp::buffer_body> parser_;
  std::array<char, 64 * 1024> chunk_;
  Callbacks callbacks_;
  bool cancelled_ = false;
  bool closed_ = false;
};

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
