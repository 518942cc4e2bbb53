#include "dns/server.h"

#include <array>
#include <chrono>
#include <deque>
#include <vector>

#include <fmt/format.h>

#include "http/asio.h"

namespace plateau::dns {

namespace {

using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxMessage = 65535;
constexpr auto kTcpIdle = std::chrono::seconds(10);
constexpr size_t kMaxTcpConnections = 512;
// Answers a TCP client may leave unread before it is disconnected: a client that pipelines
// queries and never reads would otherwise grow the server's memory without bound. Four answers
// of the largest size; a client that reads as it asks never comes near it.
constexpr size_t kMaxTcpUnreadBytes = 4 * (kMaxMessage + 2);

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint16_t idOf(std::string_view message) {
  return message.size() < 2 ? 0
                            : static_cast<uint16_t>((static_cast<uint8_t>(message[0]) << 8) |
                                                    static_cast<uint8_t>(message[1]));
}

bool truncatedBit(std::string_view message) {
  return message.size() > 2 && (static_cast<uint8_t>(message[2]) & 0x02) != 0;
}

// "1.2.3.4", "1.2.3.4:53", "[::1]:53", "::1" -> an address and port (53 by default).
std::optional<asio::ip::address> parseAddress(const std::string& text, uint16_t& port) {
  boost::system::error_code ec;
  port = 53;
  auto address = asio::ip::make_address(text, ec);
  if (!ec) {
    return address;
  }
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  address = asio::ip::make_address(host, ec);
  if (ec) {
    return std::nullopt;
  }
  try {
    port = static_cast<uint16_t>(std::stoi(text.substr(colon + 1)));
  } catch (...) {
    return std::nullopt;
  }
  return address;
}

// One forwarded query: each resolver in turn, UDP first, TCP when the answer is truncated and
// the client asked over TCP.
class Forward : public std::enable_shared_from_this<Forward> {
 public:
  using Done = std::function<void(std::string reply, bool ok)>;

  Forward(asio::io_context& io, const Config& config, std::string query, Transport client,
          Done done)
      : io_(io),
        config_(config),
        query_(std::move(query)),
        client_(client),
        done_(std::move(done)),
        timer_(io) {}

  void start() { next(); }

 private:
  void next() {
    if (index_ >= config_.resolvers.size()) {
      return finish(errorReply(query_, kServFail), false);
    }
    uint16_t port = 53;
    auto address = parseAddress(config_.resolvers[index_++], port);
    if (!address) {
      return next();
    }
    target_ = udp::endpoint(*address, port);
    boost::system::error_code ec;
    socket_.emplace(io_);
    socket_->open(target_.protocol(), ec);
    if (ec) {
      return next();
    }
    arm();
    auto self = shared_from_this();
    socket_->async_send_to(asio::buffer(query_), target_,
                           [self](const boost::system::error_code& ec, size_t) {
                             if (ec) {
                               self->failed();
                             }
                           });
    buffer_.resize(kMaxMessage);
    socket_->async_receive_from(
        asio::buffer(buffer_), from_,
        [self](const boost::system::error_code& ec, size_t n) { self->onUdpReply(ec, n); });
  }

  void arm() {
    auto self = shared_from_this();
    uint64_t attempt = ++attempt_;
    timer_.expires_after(std::chrono::seconds(std::max(1, config_.timeout)));
    timer_.async_wait([self, attempt](const boost::system::error_code& ec) {
      if (!ec && attempt == self->attempt_) {
        self->failed();
      }
    });
  }

  void failed() {
    boost::system::error_code ignored;
    if (socket_) {
      socket_->close(ignored);
    }
    if (tcp_) {
      tcp_->close(ignored);
    }
    ++attempt_;
    next();
  }

  void onUdpReply(const boost::system::error_code& ec, size_t n) {
    if (ec || finished_) {
      return;  // a timeout or a send error moved on already
    }
    std::string reply(buffer_.data(), n);
    if (idOf(reply) != idOf(query_)) {
      auto self = shared_from_this();
      socket_->async_receive_from(
          asio::buffer(buffer_), from_,
          [self](const boost::system::error_code& ec, size_t n) { self->onUdpReply(ec, n); });
      return;
    }
    if (truncatedBit(reply) && client_ == Transport::kTcp) {
      return retryOverTcp();
    }
    finish(std::move(reply), true);
  }

  void retryOverTcp() {
    boost::system::error_code ignored;
    socket_->close(ignored);
    tcp_.emplace(io_);
    arm();
    framed_.resize(2);
    framed_[0] = static_cast<char>(query_.size() >> 8);
    framed_[1] = static_cast<char>(query_.size() & 0xff);
    framed_ += query_;
    auto self = shared_from_this();
    tcp_->async_connect(tcp::endpoint(target_.address(), target_.port()),
                        [self](const boost::system::error_code& ec) {
                          if (ec) {
                            return;  // the timer moves on
                          }
                          asio::async_write(*self->tcp_, asio::buffer(self->framed_),
                                            [self](const boost::system::error_code& ec, size_t) {
                                              if (!ec) {
                                                self->readTcpLength();
                                              }
                                            });
                        });
  }

  void readTcpLength() {
    auto self = shared_from_this();
    asio::async_read(
        *tcp_, asio::buffer(length_), [self](const boost::system::error_code& ec, size_t) {
          if (ec) {
            return;
          }
          size_t size =
              (static_cast<size_t>(self->length_[0]) << 8) | static_cast<size_t>(self->length_[1]);
          self->buffer_.resize(size);
          asio::async_read(*self->tcp_, asio::buffer(self->buffer_),
                           [self](const boost::system::error_code& ec, size_t n) {
                             if (!ec && !self->finished_) {
                               self->finish(std::string(self->buffer_.data(), n), true);
                             }
                           });
        });
  }

  void finish(std::string reply, bool ok) {
    if (finished_) {
      return;
    }
    finished_ = true;
    ++attempt_;
    timer_.cancel();
    boost::system::error_code ignored;
    if (socket_) {
      socket_->close(ignored);
    }
    if (tcp_) {
      tcp_->close(ignored);
    }
    done_(std::move(reply), ok);
  }

  asio::io_context& io_;
  const Config& config_;
  std::string query_;
  Transport client_;
  Done done_;
  asio::steady_timer timer_;
  std::optional<udp::socket> socket_;
  std::optional<tcp::socket> tcp_;
  udp::endpoint target_;
  udp::endpoint from_;
  std::vector<char> buffer_;
  std::string framed_;
  std::array<uint8_t, 2> length_{};
  size_t index_ = 0;
  uint64_t attempt_ = 0;
  bool finished_ = false;
};

}  // namespace

struct DnsServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(EventLoop& loop, const Config& config, Resolver& resolver, DnsMetrics& metrics,
       std::shared_ptr<spdlog::logger> log)
      : io(*static_cast<asio::io_context*>(loop.native())),
        config(config),
        resolver(resolver),
        metrics(metrics),
        log(std::move(log)),
        udp_socket(io),
        acceptor(io) {}

  // Answers one query (or forwards it); `reply` sends the answer back the way it came.
  void handle(std::string query, Transport transport, std::function<void(std::string)> reply) {
    auto start = Clock::now();
    metrics.query(transport);
    Answer answer;
    try {
      answer = resolver.answer(query, transport);
    } catch (const std::exception& e) {
      log->error("dns_query_failed error=\"{}\"", e.what());
      answer.kind = Answer::Kind::kReply;
      answer.rcode = kServFail;
      answer.wire = errorReply(query, kServFail);
    }
    switch (answer.kind) {
      case Answer::Kind::kDrop:
        metrics.dropped();
        return;
      case Answer::Kind::kReply:
        if (!answer.wire.empty()) {
          reply(std::move(answer.wire));
          metrics.answered(answer.rcode, secondsSince(start), answer.truncated);
        } else {
          metrics.dropped();
        }
        return;
      case Answer::Kind::kForward: {
        metrics.forwarded();
        auto self = shared_from_this();
        auto forward = std::make_shared<Forward>(
            io, config, std::move(query), transport,
            [self, start, reply = std::move(reply)](std::string wire, bool ok) {
              if (!ok) {
                self->metrics.forwardFailed();
              }
              if (wire.size() < 4) {
                self->metrics.dropped();
                return;
              }
              int rcode = static_cast<uint8_t>(wire[3]) & 0x0f;
              reply(std::move(wire));
              self->metrics.answered(rcode, secondsSince(start), false);
            });
        forward->start();
        return;
      }
    }
  }

  void receiveUdp() {
    auto self = shared_from_this();
    udp_socket.async_receive_from(
        asio::buffer(udp_buffer), udp_sender,
        [self](const boost::system::error_code& ec, size_t n) {
          if (ec == asio::error::operation_aborted || !self->udp_socket.is_open()) {
            return;
          }
          if (!ec) {
            udp::endpoint to = self->udp_sender;
            self->handle(std::string(self->udp_buffer.data(), n), Transport::kUdp,
                         [self, to](std::string wire) { self->sendUdp(std::move(wire), to); });
          }
          self->receiveUdp();
        });
  }

  void sendUdp(std::string wire, const udp::endpoint& to) {
    if (!udp_socket.is_open()) {
      return;
    }
    auto data = std::make_shared<std::string>(std::move(wire));
    udp_socket.async_send_to(asio::buffer(*data), to,
                             [data](const boost::system::error_code&, size_t) {});
  }

  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(std::shared_ptr<Impl> server, tcp::socket socket)
        : server(std::move(server)), socket(std::move(socket)), idle(this->socket.get_executor()) {}

    void start() {
      ++server->tcp_connections;
      readLength();
    }

    void armIdle() {
      auto self = shared_from_this();
      idle.expires_after(kTcpIdle);
      idle.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) {
          self->stop();
        }
      });
    }

    void readLength() {
      armIdle();
      auto self = shared_from_this();
      asio::async_read(
          socket, asio::buffer(length), [self](const boost::system::error_code& ec, size_t) {
            if (ec) {
              return self->stop();
            }
            size_t size = (static_cast<size_t>(self->length[0]) << 8) | self->length[1];
            if (size == 0) {
              return self->stop();
            }
            self->message.resize(size);
            asio::async_read(self->socket, asio::buffer(self->message),
                             [self](const boost::system::error_code& ec, size_t) {
                               if (ec) {
                                 return self->stop();
                               }
                               self->onQuery();
                             });
          });
    }

    void onQuery() {
      auto self = shared_from_this();
      server->handle(message, Transport::kTcp, [self](std::string wire) { self->send(wire); });
      readLength();
    }

    void send(const std::string& wire) {
      if (!socket.is_open() || wire.size() > kMaxMessage) {
        return;
      }
      std::string framed(2, '\0');
      framed[0] = static_cast<char>(wire.size() >> 8);
      framed[1] = static_cast<char>(wire.size() & 0xff);
      framed += wire;
      if (unread_bytes + framed.size() > kMaxTcpUnreadBytes) {
        server->log->warn("dns_tcp_reader_too_slow remote={} unread_bytes={}", remote(),
                          unread_bytes);
        return stop();
      }
      unread_bytes += framed.size();
      bool idle_queue = writes.empty();
      writes.push_back(std::move(framed));
      if (idle_queue) {
        writeNext();
      }
    }

    void writeNext() {
      auto self = shared_from_this();
      asio::async_write(socket, asio::buffer(writes.front()),
                        [self](const boost::system::error_code& ec, size_t) {
                          if (ec) {
                            return self->stop();
                          }
                          self->unread_bytes -= self->writes.front().size();
                          self->writes.pop_front();
                          if (!self->writes.empty()) {
                            self->writeNext();
                          }
                        });
    }

    std::string remote() const {
      boost::system::error_code ec;
      auto endpoint = socket.remote_endpoint(ec);
      return ec ? "" : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
    }

    void stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      --server->tcp_connections;
      boost::system::error_code ignored;
      idle.cancel();
      socket.close(ignored);
    }

    std::shared_ptr<Impl> server;
    tcp::socket socket;
    asio::steady_timer idle;
    std::array<uint8_t, 2> length{};
    std::string message;
    std::deque<std::string> writes;
    size_t unread_bytes = 0;  // in `writes`: never above kMaxTcpUnreadBytes
    bool stopped = false;
  };

  void accept() {
    auto self = shared_from_this();
    acceptor.async_accept([self](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) {
        return;
      }
      if (!ec) {
        if (self->tcp_connections >= kMaxTcpConnections) {
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<Connection>(self, std::move(socket))->start();
        }
      }
      self->accept();
    });
  }

  asio::io_context& io;
  const Config& config;
  Resolver& resolver;
  DnsMetrics& metrics;
  std::shared_ptr<spdlog::logger> log;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  std::array<char, kMaxMessage> udp_buffer{};
  udp::endpoint udp_sender;
  size_t tcp_connections = 0;
};

DnsServer::DnsServer(EventLoop& loop, const Config& config, Resolver& resolver, DnsMetrics& metrics,
                     std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_shared<Impl>(loop, config, resolver, metrics, std::move(log))) {}

DnsServer::~DnsServer() { close(); }

Result<uint16_t> DnsServer::listen(const std::string& ip, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(ip, ec);
  if (ec) {
    return invalidArgument(fmt::format("invalid listener address '{}'", ip));
  }
  // With port 0 the kernel picks the UDP port; TCP then binds the same one, which another
  // process may hold: a few tries with fresh ports.
  for (int attempt = 0; attempt < 20; ++attempt) {
    boost::system::error_code ignored;
    impl_->udp_socket.close(ignored);
    impl_->acceptor.close(ignored);
    impl_->udp_socket.open(address.is_v6() ? udp::v6() : udp::v4(), ec);
    if (!ec) {
      impl_->udp_socket.bind(udp::endpoint(address, port), ec);
    }
    if (ec) {
      return unavailable(fmt::format("cannot bind UDP {}:{}: {}", ip, port, ec.message()));
    }
    uint16_t bound = impl_->udp_socket.local_endpoint(ec).port();
    tcp::endpoint endpoint(address, bound);
    impl_->acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
      impl_->acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (!ec) {
      impl_->receiveUdp();
      impl_->accept();
      return bound;
    }
    if (port != 0) {
      return unavailable(fmt::format("cannot bind TCP {}:{}: {}", ip, port, ec.message()));
    }
  }
  return unavailable(fmt::format("no port free for both UDP and TCP on {}", ip));
}

void DnsServer::close() {
  boost::system::error_code ignored;
  impl_->udp_socket.close(ignored);
  impl_->acceptor.close(ignored);
}

}  // namespace plateau::dns
