#include "sim/probe.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::sim {

using namespace std::chrono_literals;

namespace {

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<double> cpuSecondsFromStat(std::string_view stat, long ticks_per_second) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; fields count from the
  // last ')'. utime and stime are fields 14 and 15 (1-based), i.e. the 12th and 13th after it.
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) {
    return invalidArgument("not a /proc/<pid>/stat line");
  }
  std::string_view rest = stat.substr(close + 1);
  uint64_t values[2] = {0, 0};
  int field = 2;  // the one ending at ')'
  size_t pos = 0;
  while (pos < rest.size() && field < 15) {
    while (pos < rest.size() && rest[pos] == ' ') {
      ++pos;
    }
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) {
      end = rest.size();
    }
    ++field;
    if (field == 14 || field == 15) {
      auto [ptr, ec] = std::from_chars(rest.data() + pos, rest.data() + end, values[field - 14]);
      if (ec != std::errc()) {
        return invalidArgument(fmt::format("field {} of /proc/<pid>/stat is not a number", field));
      }
    }
    pos = end;
  }
  if (field < 15) {
    return invalidArgument("/proc/<pid>/stat line too short");
  }
  return static_cast<double>(values[0] + values[1]) / static_cast<double>(ticks_per_second);
}

std::optional<int64_t> statusBytes(std::string_view status, std::string_view key) {
  size_t pos = 0;
  while (pos < status.size()) {
    size_t end = status.find('\n', pos);
    if (end == std::string_view::npos) {
      end = status.size();
    }
    std::string_view line = status.substr(pos, end - pos);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      std::string_view value = line.substr(key.size() + 1);
      size_t digits = value.find_first_of("0123456789");
      if (digits == std::string_view::npos) {
        return std::nullopt;
      }
      int64_t kb = 0;
      auto [ptr, ec] = std::from_chars(value.data() + digits, value.data() + value.size(), kb);
      if (ec != std::errc()) {
        return std::nullopt;
      }
      return kb * 1024;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

Result<ProcessSample> sampleProcess(pid_t pid) {
  auto stat = readFile(fmt::format("/proc/{}/stat", pid));
  auto status = readFile(fmt::format("/proc/{}/status", pid));
  if (!stat || !status) {
    return notFound(fmt::format("process {} is gone", pid));
  }
  auto cpu = cpuSecondsFromStat(*stat, sysconf(_SC_CLK_TCK));
  if (!cpu) {
    return std::unexpected(cpu.error());
  }
  return ProcessSample{.cpu_seconds = *cpu,
                       .rss_bytes = statusBytes(*status, "VmRSS").value_or(0),
                       .peak_rss_bytes = statusBytes(*status, "VmHWM").value_or(0)};
}

ProcessSample sampleSelf() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  ProcessSample sample{.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime)};
  if (auto status = readFile("/proc/self/status")) {
    sample.rss_bytes = statusBytes(*status, "VmRSS").value_or(0);
    sample.peak_rss_bytes = statusBytes(*status, "VmHWM").value_or(0);
  }
  return sample;
}

Result<std::map<std::string, double>> parseSnapshot(std::string_view body) {
  auto doc = json::parse(body);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  if (!doc->isObject()) {
    return invalidArgument("/metrics/snapshot is not a JSON object");
  }
  std::map<std::string, double> out;
  for (const auto& member : doc->asObject()) {
    if (member.value.isNumber()) {
      out[member.key] = member.value.asDouble();
    }
  }
  return out;
}

std::optional<double> prometheusValue(std::string_view body, std::string_view suffix) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t name_end = line.find_first_of(" {");
    if (name_end == std::string_view::npos || !line.substr(0, name_end).ends_with(suffix)) {
      continue;
    }
    size_t value_start = line.rfind(' ');
    try {
      return std::stod(std::string(line.substr(value_start + 1)));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

MasterProbe::MasterProbe(EventLoop& loop, const Leader& leader, std::optional<pid_t> pid,
                         std::chrono::nanoseconds interval,
                         std::chrono::nanoseconds health_interval)
    : loop_(loop),
      client_(loop),
      leader_(leader),
      pid_(pid),
      interval_(interval),
      health_interval_(health_interval) {}

MasterProbe::~MasterProbe() {
  *alive_ = false;
  stop();
}

void MasterProbe::start() {
  poll();
  poll_timer_ = loop_.every(interval_, [this] { poll(); });
  health_timer_ = loop_.every(health_interval_, [this] { pollHealth(); });
  if (state_interval_.count() > 0) {
    state_timer_ = loop_.every(state_interval_, [this] { pollState(); });
  }
}

void MasterProbe::stop() {
  for (Timers::TimerId* id : {&poll_timer_, &health_timer_, &state_timer_}) {
    if (*id != 0) {
      loop_.cancel(*id);
      *id = 0;
    }
  }
}

void MasterProbe::poll() {
  if (pid_) {
    if (auto sample = sampleProcess(*pid_)) {
      latest_ = *sample;
      max_rss_ = std::max({max_rss_, sample->rss_bytes, sample->peak_rss_bytes});
    }
  }
  if (scraping_) {
    return;  // the last scrape is still out: a slow master is not asked twice
  }
  scraping_ = true;
  client_.fetch(
      leader_.current(), {.method = "GET", .path = "/metrics/snapshot", .headers = {}, .body = {}},
      30s, [this, alive = alive_](Result<http::Response> response) {
        if (!*alive) {
          return;
        }
        scraping_ = false;
        if (!response || response->status != 200) {
          scrape_failures_++;
          return;
        }
        auto values = parseSnapshot(response->body);
        if (!values) {
          scrape_failures_++;
          return;
        }
        snapshot_ = std::move(*values);
        auto it = snapshot_.find("allocator/mesos/allocation_run_ms");
        if (it != snapshot_.end()) {
          allocation_ms_.add(it->second);
        }
        if (auto s = snapshot_.find("plateau/event_loop_stall_ms"); s != snapshot_.end()) {
          loop_stall_ms_.add(s->second);
        }
        if (auto b = snapshot_.find("plateau/event_loop_busy_ms"); b != snapshot_.end()) {
          loop_busy_ms_.add(b->second);
        }
      });
}

void MasterProbe::timedGet(std::string path, bool& in_flight, std::chrono::nanoseconds timeout,
                           std::function<void(const http::Response*, double seconds)> done) {
  if (in_flight) {
    return;
  }
  in_flight = true;
  const auto sent = loop_.clock().now();
  client_.fetch(leader_.current(),
                {.method = "GET", .path = std::move(path), .headers = {}, .body = {}}, timeout,
                [this, alive = alive_, sent, &in_flight,
                 done = std::move(done)](Result<http::Response> response) {
                  if (!*alive) {
                    return;
                  }
                  in_flight = false;
                  const bool ok = response && response->status == 200;
                  done(ok ? &*response : nullptr,
                       std::chrono::duration<double>(loop_.clock().now() - sent).count());
                });
}

void MasterProbe::pollHealth() {
  timedGet("/health", health_in_flight_, 30s, [this](const http::Response* ok, double seconds) {
    if (ok == nullptr) {
      health_failures_++;
    } else {
      health_.add(seconds);
    }
  });
}

void MasterProbe::pollState() {
  timedGet("/master/state", state_in_flight_, 60s,
           [this](const http::Response* ok, double seconds) {
             if (ok != nullptr) {
               state_.add(seconds);
               state_bytes_ = ok->body.size();
             }
           });
}

}  // namespace plateau::sim
