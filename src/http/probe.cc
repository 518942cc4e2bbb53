#include "http/probe.h"

#include <openssl/ssl.h>

#include <memory>

#include <fmt/format.h>
#include <boost/asio/ssl.hpp>

#include "http/asio.h"

namespace plateau::http {

namespace {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

Status unavailableStatus(const std::string& what, const boost::system::error_code& ec) {
  return {StatusCode::kUnavailable, fmt::format("{}: {}", what, ec.message())};
}

// One TCP connect with a deadline.
struct TcpProbe : std::enable_shared_from_this<TcpProbe> {
  TcpProbe(asio::io_context& io, Endpoint endpoint, std::function<void(Status)> done)
      : resolver(io), socket(io), timer(io), endpoint(std::move(endpoint)), done(std::move(done)) {}

  void run(std::chrono::nanoseconds timeout) {
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->finish({StatusCode::kUnavailable, "timed out"});
    });
    resolver.async_resolve(
        endpoint.host, std::to_string(endpoint.port),
        [self](const boost::system::error_code& ec, tcp::resolver::results_type r) {
          if (ec) return self->finish(unavailableStatus("resolve", ec));
          asio::async_connect(
              self->socket, r, [self](const boost::system::error_code& ec2, const tcp::endpoint&) {
                self->finish(ec2 ? unavailableStatus("connect", ec2) : Status::ok());
              });
        });
  }

  void finish(Status s) {
    if (!done) return;
    auto fn = std::move(done);
    done = nullptr;
    boost::system::error_code ignored;
    timer.cancel();
    resolver.cancel();
    socket.close(ignored);
    fn(std::move(s));
  }

  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  Endpoint endpoint;
  std::function<void(Status)> done;
};

// One HTTPS GET with a deadline.
struct TlsFetch : std::enable_shared_from_this<TlsFetch> {
  TlsFetch(asio::io_context& io, Endpoint endpoint, std::string path,
           std::function<void(Result<Response>)> done)
      : context(ssl::context::tls_client),
        resolver(io),
        stream(io, context),
        timer(io),
        endpoint(std::move(endpoint)),
        path(std::move(path)),
        done(std::move(done)) {
    context.set_verify_mode(ssl::verify_none);
  }

  void run(std::chrono::nanoseconds timeout) {
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->fail({StatusCode::kUnavailable, "timed out"});
    });
    SSL_set_tlsext_host_name(stream.native_handle(), endpoint.host.c_str());
    resolver.async_resolve(
        endpoint.host, std::to_string(endpoint.port),
        [self](const boost::system::error_code& ec, tcp::resolver::results_type r) {
          if (ec) return self->fail(unavailableStatus("resolve", ec));
          asio::async_connect(self->stream.next_layer(), r,
                              [self](const boost::system::error_code& ec2, const tcp::endpoint&) {
                                if (ec2) return self->fail(unavailableStatus("connect", ec2));
                                self->stream.async_handshake(
                                    ssl::stream_base::client,
                                    [self](const boost::system::error_code& ec3) {
                                      if (ec3)
                                        return self->fail(unavailableStatus("TLS handshake", ec3));
                                      self->send();
                                    });
                              });
        });
  }

  void send() {
    auto self = shared_from_this();
    request.method(beast::http::verb::get);
    request.target(path);
    request.version(11);
    request.set(beast::http::field::host, endpoint.toString());
    request.set(beast::http::field::connection, "close");
    beast::http::async_write(stream, request, [self](const boost::system::error_code& ec, size_t) {
      if (ec) return self->fail(unavailableStatus("write", ec));
      self->read();
    });
  }

  void read() {
    auto self = shared_from_this();
    beast::http::async_read(stream, buffer, response,
                            [self](const boost::system::error_code& ec, size_t) {
                              if (ec) return self->fail(unavailableStatus("read", ec));
                              Response out;
                              out.status = static_cast<int>(self->response.result_int());
                              out.body = self->response.body();
                              self->finish(std::move(out));
                            });
  }

  void fail(Status s) { finish(std::unexpected(std::move(s))); }

  void finish(Result<Response> r) {
    if (!done) return;
    auto fn = std::move(done);
    done = nullptr;
    boost::system::error_code ignored;
    timer.cancel();
    resolver.cancel();
    stream.next_layer().close(ignored);
    fn(std::move(r));
  }

  ssl::context context;
  tcp::resolver resolver;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;
  Endpoint endpoint;
  std::string path;
  beast::flat_buffer buffer;
  beast::http::request<beast::http::empty_body> request;
  beast::http::response<beast::http::string_body> response;
  std::function<void(Result<Response>)> done;
};

}  // namespace

void probeTcp(EventLoop& loop, const Endpoint& endpoint, std::chrono::nanoseconds timeout,
              std::function<void(Status)> done) {
  auto& io = *static_cast<asio::io_context*>(loop.native());
  std::make_shared<TcpProbe>(io, endpoint, std::move(done))->run(timeout);
}

void fetchTls(EventLoop& loop, const Endpoint& endpoint, std::string path,
              std::chrono::nanoseconds timeout, std::function<void(Result<Response>)> done) {
  auto& io = *static_cast<asio::io_context*>(loop.native());
  std::make_shared<TlsFetch>(io, endpoint, std::move(path), std::move(done))->run(timeout);
}

}  // namespace plateau::http
