#include "master/forked_render.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace plateau::master {
namespace {

std::atomic<int> g_in_flight{0};

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

// Reads the child's answer until EOF, for at most a minute; then reaps the child. Nullopt when
// the child did not finish its answer and exit 0.
std::optional<std::string> collect(pid_t child, int fd) {
  std::string bytes;
  char buffer[1 << 16];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
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
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!complete) {
    ::kill(child, SIGKILL);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return bytes;
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

bool ForkedRender::decode(const std::string& bytes, http::Response& out) {
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
  out.body = bytes.substr(at + 1);
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
  // The responder moves on to the loop with the bytes: its last reference is dropped there.
  auto waiting = std::make_shared<std::optional<http::Responder>>();
  Done done = [waiting](std::optional<std::string> bytes) {
    http::Response response;
    if (!bytes || !decode(*bytes, response)) {
      response = http::Response::text(503, "Rendering the state failed: try again");
    }
    // Set before the loop can run this: it is the loop thread that forked.
    (*waiting)->respond(std::move(response));
  };
  if (!run(
          loop, [&render] { return encode(render()); }, std::move(done))) {
    return false;
  }
  waiting->emplace(std::move(responder));
  return true;
}

bool ForkedRender::run(Timers& timers, const std::function<std::string()>& render, Done done) {
  auto* loop = dynamic_cast<EventLoop*>(&timers);
  return loop != nullptr && run(*loop, render, std::move(done));
}

bool ForkedRender::run(EventLoop& loop, const std::function<std::string()>& render, Done done) {
  if (g_in_flight.fetch_add(1) >= kMaxInFlight) {
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
    ::close(fds[0]);
    writeAll(fds[1], render());
    ::_exit(0);
  }
  ::close(fds[1]);
  auto waiting = std::make_shared<Done>(std::move(done));
  // `done` moves on to the loop with the bytes: its last reference must never be dropped on
  // the helper thread.
  std::thread([&loop, child, fd = fds[0], waiting = std::move(waiting)]() mutable {
    std::optional<std::string> bytes = collect(child, fd);
    loop.post([waiting = std::move(waiting), bytes = std::move(bytes)]() mutable {
      (*waiting)(std::move(bytes));
    });
    g_in_flight.fetch_sub(1);  // after the post: waitForRenders() keeps the loop until then
  }).detach();
  return true;
}

}  // namespace plateau::master
