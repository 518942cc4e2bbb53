#pragma once

// What plateau-sim reads about the master while it runs: the master process's CPU and memory
// from /proc/<pid> (and the simulator's own, to show which of the two was measured), the
// master's /metrics/snapshot and /metrics, and how fast it answers /health. The parsers are
// pure functions (tests/unit/sim/probe_test.cc); MasterProbe runs them on the loop's timers.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "runtime/event_loop.h"
#include "sim/leader.h"
#include "sim/ledger.h"

namespace plateau::sim {

struct ProcessSample {
  double cpu_seconds = 0;      // user + system
  int64_t rss_bytes = 0;       // VmRSS
  int64_t peak_rss_bytes = 0;  // VmHWM
};

// utime + stime of a /proc/<pid>/stat line, in seconds. InvalidArgument when malformed.
Result<double> cpuSecondsFromStat(std::string_view stat, long ticks_per_second);
// A "Key:   123 kB" line of /proc/<pid>/status, in bytes.
std::optional<int64_t> statusBytes(std::string_view status, std::string_view key);
// CPU and memory of `pid` now.
Result<ProcessSample> sampleProcess(pid_t pid);
// The simulator itself (getrusage and /proc/self).
ProcessSample sampleSelf();

// The numbers of a /metrics/snapshot body (a flat JSON object of numbers).
Result<std::map<std::string, double>> parseSnapshot(std::string_view body);
// The value of the first sample in a Prometheus text body whose metric name ends with
// `suffix` (e.g. "allocation_duration_seconds_sum").
std::optional<double> prometheusValue(std::string_view body, std::string_view suffix);

// Polls the master (`leader`'s current one): /proc (when its pid is known) and
// /metrics/snapshot every `interval`, /health every `health_interval`. Loop thread only.
class MasterProbe {
 public:
  MasterProbe(EventLoop& loop, const Leader& leader, std::optional<pid_t> pid,
              std::chrono::nanoseconds interval, std::chrono::nanoseconds health_interval);
  ~MasterProbe();
  MasterProbe(const MasterProbe&) = delete;
  MasterProbe& operator=(const MasterProbe&) = delete;

  void start();
  void stop();
  // Also GET /master/state every `interval` (one at a time), from start() on.
  void watchState(std::chrono::nanoseconds interval) { state_interval_ = interval; }
  // From now on every sample also goes to its steady phase's set (LatencySamples::steady()).
  void markSteady() {
    for (LatencySamples* s :
         {&allocation_ms_, &loop_stall_ms_, &loop_busy_ms_, &health_, &state_}) {
      s->markSteady();
    }
  }

  const std::optional<ProcessSample>& latest() const { return latest_; }
  int64_t maxRssBytes() const { return max_rss_; }
  const std::map<std::string, double>& snapshot() const { return snapshot_; }
  // Successive values of allocator/mesos/allocation_run_ms (the last round at each scrape).
  const LatencySamples& allocationRunMs() const { return allocation_ms_; }
  // Successive values of plateau/event_loop_stall_ms and _busy_ms (each the longest in the
  // master's last 10 s).
  const LatencySamples& loopStallMs() const { return loop_stall_ms_; }
  const LatencySamples& loopBusyMs() const { return loop_busy_ms_; }
  // /health round trips, in seconds; failed probes count separately.
  const LatencySamples& health() const { return health_; }
  int64_t healthFailures() const { return health_failures_; }
  // /master/state round trips, in seconds, and the size of the last body.
  const LatencySamples& state() const { return state_; }
  size_t stateBytes() const { return state_bytes_; }
  int64_t scrapeFailures() const { return scrape_failures_; }

 private:
  void poll();
  void pollHealth();
  void pollState();
  // GET `path` unless `in_flight`; done(the response when 200, else null; seconds it took).
  void timedGet(std::string path, bool& in_flight, std::chrono::nanoseconds timeout,
                std::function<void(const http::Response*, double seconds)> done);

  EventLoop& loop_;
  http::Client client_;
  const Leader& leader_;
  std::optional<pid_t> pid_;
  std::chrono::nanoseconds interval_;
  std::chrono::nanoseconds health_interval_;
  Timers::TimerId poll_timer_ = 0;
  Timers::TimerId health_timer_ = 0;
  bool scraping_ = false;
  bool health_in_flight_ = false;
  std::optional<ProcessSample> latest_;
  int64_t max_rss_ = 0;
  std::map<std::string, double> snapshot_;
  LatencySamples allocation_ms_;
  LatencySamples loop_stall_ms_;
  LatencySamples loop_busy_ms_;
  LatencySamples health_;
  std::chrono::nanoseconds state_interval_{0};
  Timers::TimerId state_timer_ = 0;
  bool state_in_flight_ = false;
  LatencySamples state_;
  size_t state_bytes_ = 0;
  int64_t health_failures_ = 0;
  int64_t scrape_failures_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::sim
