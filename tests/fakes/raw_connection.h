#pragma once

// A blocking loopback TCP client that speaks raw HTTP/1.1 bytes, for what no well-behaved client
// library does: requests over the server's limits, several requests on one kept-alive
// connection, a reader that stops reading or leaves mid-answer. Shared by the unit tests of the
// HTTP server and the integration tests of the daemons (tests/ is on both include paths).

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace plateau::testing {

class RawConnection {
 public:
  // `receive_buffer` > 0 shrinks the socket's receive buffer, so a server writing a large answer
  // blocks on it while the test does not read.
  explicit RawConnection(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  // Sends all of `data`, or stops at the first failed send (the peer closed).
  void send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // Up to `bytes` more; fewer when the peer closes or nothing comes for `quiet`.
  std::string read(size_t bytes, std::chrono::milliseconds quiet = std::chrono::seconds(30)) {
    std::string out;
    char buf[65536];
    while (out.size() < bytes) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
      ssize_t n = ::recv(fd_, buf, std::min(sizeof(buf), bytes - out.size()), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // Everything until the peer closes or `timeout` passes; `closed` says which.
  std::string readAll(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    if (closed) *closed = false;
    return out;
  }

  // One response: its head (through the blank line, as sent: the server writes lower-case
  // header names) and up to content-length bytes of body.
  struct Answer {
    std::string head;
    std::string body;
    size_t content_length = 0;
    bool whole() const { return body.size() == content_length; }
  };
  // Nothing when the head did not come or has no content-length.
  std::optional<Answer> response() {
    Answer answer;
    while (answer.head.find("\r\n\r\n") == std::string::npos) {
      std::string byte = read(1);
      if (byte.empty()) return std::nullopt;
      answer.head += byte;
    }
    auto at = answer.head.find("content-length: ");
    if (at == std::string::npos) return std::nullopt;
    answer.content_length = std::stoul(answer.head.substr(at + 16));
    answer.body = read(answer.content_length);
    return answer;
  }

  // True when the peer has closed: an earlier read saw end of file, or one within `timeout` does.
  bool peerClosed(std::chrono::milliseconds timeout) {
    if (closed_) return true;
    pollfd p{fd_, POLLIN, 0};
    char byte;
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0 && ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

}  // namespace plateau::testing
