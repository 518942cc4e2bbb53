// The flood bound (issue 17): one client floods a real master on many keep-alive connections,
// as fast as the master answers; meanwhile this process measures GET /health, another
// framework's REVIVE and another client's GET /master/state, one request at a time on a fresh
// connection, 50 rounds a second. Phases on one master: no flood; scheduler calls by a principal
// --rate_limits does not list; the same by a principal it limits; GET /master/state from another
// address (127.0.0.2) under the default per-client bound (--client_request_qps). Then the same
// state flood on a second master without the per-client bound (--client_request_qps=0). Prints
// p50/p99/max of each latency per phase and the flood's requests per second by status.
//
// Options (environment): PLATEAU_FLOOD_SECONDS (per phase, default 3), PLATEAU_FLOOD_CONNECTIONS
// (default 16).

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "harness.h"

namespace plateau::testing {
namespace {

using Clock = std::chrono::steady_clock;

// qps and capacity of the limited flooder: far above what a well-behaved framework sends.
constexpr const char* kLimits =
    R"({"limits": [{"principal": "flood-limited", "qps": 100, "capacity": 4}]})";

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

// One keep-alive HTTP/1.1 connection speaking blocking sockets: the cheapest possible client,
// so that the flood costs the master as much and this process as little as it can.
class RawConnection {
 public:
  RawConnection(uint16_t port, uint32_t source) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(source);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  bool ok() const { return fd_ >= 0; }

  // Sends `request` and reads one response; its status, or 0 when the connection broke.
  int exchange(const std::string& request) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return 0;
    }
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        return 0;
      }
    }
    int status = std::atoi(buffer_.c_str() + 9);
    size_t length = 0;
    std::string head = buffer_.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(), ::tolower);
    if (auto at = head.find("content-length:"); at != std::string::npos) {
      length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
    }
    while (buffer_.size() < head_end + 4 + length) {
      if (!fill()) {
        return 0;
      }
    }
    buffer_.erase(0, head_end + 4 + length);
    return status;
  }

 private:
  bool fill() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

std::string reviveRequest(const Scheduler& scheduler) {
  std::string body = fmt::format(R"({{"type":"REVIVE","framework_id":{{"value":"{}"}}}})",
                                 scheduler.frameworkId());
  return fmt::format(
      "POST /api/v1/scheduler HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Mesos-Stream-Id: {}\r\nContent-Length: {}\r\n\r\n{}",
      scheduler.streamId(), body.size(), body);
}

// `connections` threads sending `request` back to back until stop() (reconnecting if cut).
class Flood {
 public:
  Flood(uint16_t port, std::string request, int connections, uint32_t source) {
    for (int i = 0; i < connections; i++) {
      threads_.emplace_back([this, port, request, source] {
        std::map<int, uint64_t> counts;
        while (!stop_) {
          RawConnection connection(port, source);
          while (!stop_ && connection.ok()) {
            int status = connection.exchange(request);
            counts[status]++;
            if (status == 0) {
              break;
            }
          }
        }
        std::lock_guard lock(mutex_);
        for (auto [status, n] : counts) {
          counts_[status] += n;
        }
      });
    }
  }
  // Stops the threads; calls answered, by status.
  std::map<int, uint64_t> stop() {
    stop_ = true;
    for (auto& t : threads_) {
      t.join();
    }
    return counts_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<int, uint64_t> counts_;
  std::vector<std::thread> threads_;
};

struct Latencies {
  std::vector<double> health_ms;
  std::vector<double> revive_ms;
  std::vector<double> state_ms;
};

// GET /health, the calm framework's REVIVE and GET /master/state for `seconds`, one at a time,
// 50 rounds a second (a busy dashboard: within the per-client bound).
Latencies measure(const http::Endpoint& master, const Scheduler& calm, int seconds) {
  Latencies out;
  scheduler::Call revive;
  revive.set_type(scheduler::Call::REVIVE);
  revive.mutable_framework_id()->set_value(calm.frameworkId());
  http::ClientRequest call{
      .method = "POST",
      .path = "/api/v1/scheduler",
      .headers = {{"content-type", "application/json"}, {"mesos-stream-id", calm.streamId()}},
      .body = http::encode(revive, http::ContentType::kJson)};
  auto end = Clock::now() + std::chrono::seconds(seconds);
  for (auto round = Clock::now(); round < end; round += 20ms) {
    std::this_thread::sleep_until(round);
    auto t0 = Clock::now();
    auto health = http::fetchSync(master, {.method = "GET", .path = "/health"}, 30s);
    auto t1 = Clock::now();
    auto r = http::fetchSync(master, call, 30s);
    auto t2 = Clock::now();
    auto state = http::fetchSync(master, {.method = "GET", .path = "/master/state"}, 30s);
    auto t3 = Clock::now();
    if (!health || health->status != 200 || !r || r->status != 202 || !state ||
        state->status != 200) {
      ADD_FAILURE() << "a measured request failed";
      continue;
    }
    out.health_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    out.revive_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    out.state_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
  }
  return out;
}

void report(const std::string& phase, const char* what, std::vector<double> ms) {
  ASSERT_FALSE(ms.empty());
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<size_t>(q * (ms.size() - 1))]; };
  fmt::print("{:<28} {:<20} n={:<5} p50 {:7.2f} ms  p99 {:7.2f} ms  max {:7.2f} ms\n", phase, what,
             ms.size(), at(0.5), at(0.99), ms.back());
}

v1::FrameworkInfo framework(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_name(name);
  info.set_user("nobody");
  info.set_principal(name);
  return info;
}

constexpr uint32_t kLoopback = INADDR_LOOPBACK;  // 127.0.0.1: the measuring client
constexpr uint32_t kOtherAddress = 0x7f000002;   // 127.0.0.2: the flooding client

const std::string kStateRequest = "GET /master/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

struct Phase {
  std::string name;
  std::string request;  // "" for no flood
  uint32_t source = kLoopback;
};

// Runs `phase` against `master`: the flood (if any) while `calm`'s latencies are measured.
void runPhase(const http::Endpoint& master, const Scheduler& calm, const Phase& phase, int seconds,
              int connections) {
  std::unique_ptr<Flood> flood;
  auto started = Clock::now();
  if (!phase.request.empty()) {
    flood = std::make_unique<Flood>(master.port, phase.request, connections, phase.source);
  }
  Latencies latencies = measure(master, calm, seconds);
  report(phase.name, "GET /health", latencies.health_ms);
  report(phase.name, "other fw REVIVE", latencies.revive_ms);
  report(phase.name, "other client /state", latencies.state_ms);
  if (flood != nullptr) {
    std::string counts;
    auto answered = flood->stop();
    double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    for (auto [status, n] : answered) {
      counts += fmt::format(" {}: {:.0f}/s", status == 0 ? "broken" : std::to_string(status),
                            static_cast<double>(n) / elapsed);
    }
    fmt::print("{:<28} flood answered{}\n", phase.name, counts);
  }
}

TEST(FloodBench, HealthAndAnotherFrameworkDuringAFlood) {
  const int seconds = envInt("PLATEAU_FLOOD_SECONDS", 3);
  const int connections = envInt("PLATEAU_FLOOD_CONNECTIONS", 16);
  Cluster cluster({"--rate_limits=" + std::string(kLimits)});
  const auto master = cluster.master();
  Scheduler calm(master, http::ContentType::kJson);
  ASSERT_TRUE(calm.subscribe(framework("calm")));
  Scheduler unlimited(master, http::ContentType::kJson);
  ASSERT_TRUE(unlimited.subscribe(framework("flood-unlimited")));
  Scheduler limited(master, http::ContentType::kJson);
  ASSERT_TRUE(limited.subscribe(framework("flood-limited")));
  fmt::print("flood: {} connections of back-to-back requests; {} s per phase; {}\n", connections,
             seconds, kLimits);
  for (const Phase& phase :
       {Phase{"no flood", ""}, Phase{"flood, principal unlimited", reviveRequest(unlimited)},
        Phase{"flood, principal limited", reviveRequest(limited)},
        Phase{"/state flood, per-client", kStateRequest, kOtherAddress}}) {
    runPhase(master, calm, phase, seconds, connections);
  }

  // The same state flood where nothing bounds a client.
  Cluster open({"--client_request_qps=0"});
  Scheduler calm_open(open.master(), http::ContentType::kJson);
  ASSERT_TRUE(calm_open.subscribe(framework("calm")));
  runPhase(open.master(), calm_open, Phase{"/state flood, no bound", kStateRequest, kOtherAddress},
           seconds, connections);
}

}  // namespace
}  // namespace plateau::testing
