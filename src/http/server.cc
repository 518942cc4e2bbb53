#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/connection.h"
#include "http/limits.h"

namespace plateau::http {

namespace {

constexpr unsigned char kTlsHandshakeRecord = 0x16;

// Writes a fixed plain-text answer and closes: for peers the server will not serve.
void answerAndClose(std::shared_ptr<tcp::socket> socket, int status, const std::string& body) {
  auto out = std::make_shared<std::string>(
      fmt::format("HTTP/1.1 {} {}\r\ncontent-type: text/plain\r\nconnection: close\r\n"
                  "content-length: {}\r\n\r\n{}",
                  status, reasonPhrase(status), body.size(), body));
  asio::async_write(*socket, asio::buffer(*out), [socket, out](beast::error_code, size_t) {
    beast::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_send, ignored);
    auto timer = std::make_shared<asio::steady_timer>(socket->get_executor());
    timer->expires_after(std::chrono::seconds(5));
    timer->async_wait([socket, timer](beast::error_code) {
      beast::error_code ignored;
      socket->close(ignored);
    });
    // Read what the peer still sends until it closes, so that it gets the answer, not a reset.
    auto sink = std::make_shared<std::array<char, 4096>>();
    auto drain = std::make_shared<std::function<void()>>();
    *drain = [socket, sink, drain] {
      socket->async_read_some(asio::buffer(*sink),
                              [socket, sink, drain](beast::error_code ec, size_t) {
                                if (ec) {
                                  beast::error_code ignored;
                                  socket->close(ignored);
                                  *drain = nullptr;
                                } else {
                                  (*drain)();
                                }
                              });
    };
    (*drain)();
  });
}

// A plain-HTTP peer on a TLS-only port: it reads why, and the server logs it (throttled).
void refusePlain(std::shared_ptr<tcp::socket> socket, ServerShared& shared,
                 const std::string& peer) {
  shared.warnThrottled("plain_on_tls",
                       fmt::format("http_plain_request_on_tls_port peer={}: refused (TLS only; "
                                   "LIBPROCESS_SSL_SUPPORT_DOWNGRADE is off)",
                                   peer));
  answerAndClose(std::move(socket), 400,
                 "This port serves HTTPS only: connect with TLS (https://). Plain HTTP is "
                 "accepted only with LIBPROCESS_SSL_SUPPORT_DOWNGRADE=true.\n");
}

// Peeks at the first byte of a connection to a TLS server: a TLS handshake record starts with
// 0x16; anything else is plain HTTP, served only with downgrade support.
void sniff(tcp::socket socket, ConnectionSlot slot) {
  struct Sniff {
    Sniff(tcp::socket s, ConnectionSlot sl)
        : socket(std::make_shared<tcp::socket>(std::move(s))),
          slot(std::move(sl)),
          timer(socket->get_executor()) {}
    std::shared_ptr<tcp::socket> socket;
    ConnectionSlot slot;
    asio::steady_timer timer;
    unsigned char first = 0;
  };
  auto state = std::make_shared<Sniff>(std::move(socket), std::move(slot));
  state->timer.expires_after(state->slot.shared().options.handshake_timeout);
  state->timer.async_wait([weak = std::weak_ptr<tcp::socket>(state->socket)](beast::error_code ec) {
    if (auto s = weak.lock(); s && !ec) {
      beast::error_code ignored;
      s->close(ignored);
    }
  });
  state->socket->async_receive(
      asio::buffer(&state->first, 1), tcp::socket::message_peek,
      [state](beast::error_code ec, size_t n) {
        state->timer.cancel();
        if (ec || n == 0) {
          beast::error_code ignored;
          state->socket->close(ignored);
          return;
        }
        auto& shared = state->slot.shared();
        if (state->first == kTlsHandshakeRecord) {
          return serveTls(std::move(*state->socket), std::move(state->slot));
        }
        if (shared.options.support_downgrade) {
          return servePlain(std::move(*state->socket), std::move(state->slot));
        }
        beast::error_code ignored;
        auto ep = state->socket->remote_endpoint(ignored);
        refusePlain(state->socket, shared,
                    fmt::format("{}:{}", ep.address().to_string(), ep.port()));
      });
}

}  // namespace

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
        shared(std::make_shared<ServerShared>(std::move(h), std::move(o))) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) {
          return;
        }
        spdlog::warn("http_accept_failed error={}", ec.message());
      } else {
        self->accepted(std::move(socket));
      }
      self->accept();
    });
  }

  void accepted(tcp::socket socket) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const ServerOptions& options = shared->options;
    if (shared->connections >= options.max_connections) {
      shared->warnThrottled("connection_limit",
                            fmt::format("http_connection_limit_reached limit={}: new "
                                        "connections answered 503",
                                        options.max_connections));
      // Plain text even on a TLS port: the refusal must cost no handshake.
      answerAndClose(std::make_shared<tcp::socket>(std::move(socket)), 503,
                     "Too many connections\n");
      return;
    }
    ConnectionSlot slot(shared);
    if (!options.tls) {
      servePlain(std::move(socket), std::move(slot));
    } else {
      sniff(std::move(socket), std::move(slot));
    }
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  std::shared_ptr<ServerShared> shared;
};

Server::Server(EventLoop& loop, Handler handler, ServerOptions options)
    : impl_(std::make_shared<Impl>(loop, std::move(handler), std::move(options))) {}

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

size_t Server::connections() const { return impl_->shared->connections; }

Result<ServerOptions> serverOptionsFromEnvironment(ServerOptions base) {
  auto limited = applyServerLimits(limitsEnvironment(), std::move(base));
  if (!limited) {
    return std::unexpected(limited.error());
  }
  ServerOptions options = std::move(*limited);
  auto config = parseTlsConfig(tlsEnvironment());
  if (!config) {
    return std::unexpected(config.error());
  }
  if (auto client = processClientTls(); !client) {
    return std::unexpected(client.error());
  }
  if (!config->enabled) {
    return options;
  }
  auto tls = TlsContext::create(*config, TlsContext::Role::kServer);
  if (!tls) {
    return std::unexpected(tls.error());
  }
  options.tls = *tls;
  options.support_downgrade = config->support_downgrade;
  spdlog::info(
      "http_tls_enabled cert_file={} support_downgrade={} require_client_cert={} "
      "verify_server_cert={}",
      config->cert_file, config->support_downgrade, config->require_client_cert,
      config->verify_server_cert);
  return options;
}

}  // namespace plateau::http
