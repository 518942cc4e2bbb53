#include "master/forked_render.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "http/socket_loan.h"

namespace plateau::master {
namespace {

std::atomic<int> g_in_flight{0};

constexpr std::chrono::milliseconds kRenderLimit = std::chrono::minutes(5);
// The child's first byte on the pipe when it writes the response to a lent socket itself: from
// then on the connection may hold part of a response, so a failure can only close it.
constexpr char kWriting = 'W';
constexpr int kCutExit = 3;

void writeAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    done += static_cast<size_t>(n);
  }
}

// Sends all of `size` bytes to a socket that may be non-blocking; false when the peer went.
bool sendAll(int fd, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// In the child: closes every descriptor but stdin, stdout, stderr, `a` and `b` (-1: none), so
// that it holds no other connection open (a peer that goes away is seen as gone).
void keepOnly(int a, int b) {
  int keep[2] = {std::min(a, b), std::max(a, b)};
  unsigned from = 3;
  for (int fd : keep) {
    if (fd >= static_cast<int>(from)) {
      if (static_cast<unsigned>(fd) > from) {
        ::close_range(from, static_cast<unsigned>(fd) - 1, 0);
      }
      from = static_cast<unsigned>(fd) + 1;
    }
  }
  ::close_range(from, ~0U, 0);
}

// What the helper thread learnt from one child.
struct Outcome {
  std::string bytes;  // what it wrote to the pipe
  bool ok = false;    // it closed the pipe and exited 0 in time
};

// Reads the child's pipe until EOF within `limit`, or within `after_first` of its first byte
// when that is set; then reaps the child, killed first if it ran out of time.
Outcome collect(pid_t child, int fd, std::chrono::milliseconds limit,
                std::optional<std::chrono::milliseconds> after_first) {
  Outcome outcome;
  char buffer[1 << 16];
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool complete = false;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 1000) <= 0) {
      continue;
    }
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      complete = n == 0;
      break;
    }
    if (outcome.bytes.empty() && after_first) {
      deadline = std::chrono::steady_clock::now() + *after_first;
    }
    outcome.bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!complete) {
    ::kill(child, SIGKILL);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.ok = complete && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return outcome;
}

// Forks: the child keeps only its pipe and `keep_fd`, runs child_main(pipe) and _exit()s with what
// it returns; a helper thread collects it, runs digest(outcome) there (work kept off the loop, on
// data it owns) and posts finish(outcome) to the loop. `finish` is dropped on the loop only. False:
// nothing forked.
bool spawn(EventLoop& loop, const std::function<int(int pipe)>& child_main, int keep_fd,
           std::optional<std::chrono::milliseconds> after_first,
           std::function<void(Outcome&)> digest, std::function<void(Outcome)> finish) {
  if (g_in_flight.fetch_add(1) >= ForkedRender::kMaxInFlight) {
    g_in_flight.fetch_sub(1);
    return false;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    g_in_flight.fetch_sub(1);
    return false;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    g_in_flight.fetch_sub(1);
    return false;
  }
  if (child == 0) {
    keepOnly(fds[1], keep_fd);
    ::_exit(child_main(fds[1]));
  }
  ::close(fds[1]);
  auto waiting = std::make_shared<std::function<void(Outcome)>>(std::move(finish));
  // `finish` moves on to the loop with the outcome: its last reference must never be dropped on
  // the helper thread.
  std::thread([&loop, child, fd = fds[0], after_first, digest = std::move(digest),
               waiting = std::move(waiting)]() mutable {
    Outcome outcome = collect(child, fd, kRenderLimit, after_first);
    if (digest) {
      digest(outcome);
    }
    loop.post([waiting = std::move(waiting), outcome = std::move(outcome)]() mutable {
      (*waiting)(std::move(outcome));
    });
    g_in_flight.fetch_sub(1);  // after the post: waitForRenders() keeps the loop until then
  }).detach();
  return true;
}

http::Response failed() {
  return http::Response::text(503, "Rendering the state failed: try again");
}

// The child writes the whole response to the lent socket; the loop only learns how it went.
bool respondOnSocket(EventLoop& loop, const std::function<http::Response()>& render,
                     http::Responder& responder, std::shared_ptr<http::SocketLoan> loan) {
  const http::LentSocket socket = loan->socket();
  auto waiting = std::make_shared<std::optional<http::Responder>>();
  auto finish = [waiting, loan = std::move(loan)](Outcome outcome) {
    if (outcome.bytes.empty()) {
      (*waiting)->respond(failed());  // nothing reached the socket: it can still answer
      return;
    }
    loan->end(outcome.ok);
    // Dropped by the connection (SocketLoan::end()); it counts as the answer for the Responder's
    // onAnswer() (the operator API's call latencies).
    (*waiting)->respond(http::Response{});
  };
  auto child_main = [&render, &socket](int pipe) {
    http::Response response = render();
    std::string head = http::responseHead(response, socket.keep_alive);
    writeAll(pipe, std::string(1, kWriting));
    return sendAll(socket.fd, head.data(), head.size()) &&
                   sendAll(socket.fd, response.body.data(), response.body.size())
               ? 0
               : kCutExit;
  };
  if (!spawn(loop, child_main, socket.fd, socket.write_timeout, nullptr, std::move(finish))) {
    return false;
  }
  waiting->emplace(std::move(responder));  // before the loop can run `finish`: it forked
  return true;
}

// The child hands the encoded response back through the pipe; the helper thread decodes it and
// the loop sends it (TLS connections, fakes).
bool respondThroughLoop(EventLoop& loop, const std::function<http::Response()>& render,
                        http::Responder& responder) {
  auto waiting = std::make_shared<std::optional<http::Responder>>();
  auto response = std::make_shared<http::Response>();
  auto digest = [response](Outcome& outcome) {
    if (!outcome.ok || !ForkedRender::decode(std::move(outcome.bytes), *response)) {
      *response = failed();
    }
  };
  auto finish = [waiting, response](Outcome) { (*waiting)->respond(std::move(*response)); };
  auto child_main = [&render](int pipe) {
    writeAll(pipe, ForkedRender::encode(render()));
    return 0;
  };
  if (!spawn(loop, child_main, -1, std::nullopt, std::move(digest), std::move(finish))) {
    return false;
  }
  waiting->emplace(std::move(responder));
  return true;
}

}  // namespace

std::string ForkedRender::encode(const http::Response& response) {
  std::string out = fmt::format("{}\n", response.status);
  for (const auto& [name, value] : response.headers) {
    out += fmt::format("{}:{}\n", name, value);
  }
  out += '\n';
  out += response.body;
  return out;
}

bool ForkedRender::decode(std::string bytes, http::Response& out) {
  size_t line_end = bytes.find('\n');
  if (line_end == std::string::npos) {
    return false;
  }
  int status = 0;
  auto [ptr, ec] = std::from_chars(bytes.data(), bytes.data() + line_end, status);
  if (ec != std::errc() || ptr != bytes.data() + line_end || status < 100 || status > 599) {
    return false;
  }
  out.status = status;
  size_t at = line_end + 1;
  while (true) {
    size_t end = bytes.find('\n', at);
    if (end == std::string::npos) {
      return false;
    }
    if (end == at) {
      break;
    }
    size_t colon = bytes.find(':', at);
    if (colon == std::string::npos || colon > end) {
      return false;
    }
    out.headers[bytes.substr(at, colon - at)] = bytes.substr(colon + 1, end - colon - 1);
    at = end + 1;
  }
  bytes.erase(0, at + 1);  // in place: the body is most of it
  out.body = std::move(bytes);
  return true;
}

void ForkedRender::waitForRenders(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (g_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ForkedRender::respond(Timers& timers, const std::function<http::Response()>& render,
                           http::Responder& responder) {
  auto* loop = dynamic_cast<EventLoop*>(&timers);
  return loop != nullptr && respond(*loop, render, responder);
}

bool ForkedRender::respond(EventLoop& loop, const std::function<http::Response()>& render,
                           http::Responder& responder) {
  // Called from the request's handler (master.cc, operator_api.cc): the dispatched connection
  // is the responder's.
  if (auto loan = http::lendDispatchedSocket()) {
    return respondOnSocket(loop, render, responder, std::move(loan));
  }
  return respondThroughLoop(loop, render, responder);
}

bool ForkedRender::run(Timers& timers, const std::function<std::string()>& render, Done done) {
  auto* loop = dynamic_cast<EventLoop*>(&timers);
  return loop != nullptr && run(*loop, render, std::move(done));
}

bool ForkedRender::run(EventLoop& loop, const std::function<std::string()>& render, Done done) {
  auto finish = [done = std::move(done)](Outcome outcome) {
    done(outcome.ok ? std::optional<std::string>(std::move(outcome.bytes)) : std::nullopt);
  };
  auto child_main = [&render](int pipe) {
    writeAll(pipe, render());
    return 0;
  };
  return spawn(loop, child_main, -1, std::nullopt, nullptr, std::move(finish));
}

}  // namespace plateau::master
