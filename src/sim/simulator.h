#pragma once

// One plateau-sim run against a master that is already up: registers the workload's agents
// (at `registration_rate` per second), subscribes its frameworks, lets tasks arrive for the
// workload's duration, waits for them to finish (at most the drain time) and reports. Runs the
// loop itself (blocking); everything happens on that one thread.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>

#include <spdlog/logger.h>

#include "http/client.h"
#include "runtime/event_loop.h"
#include "sim/leader.h"
#include "sim/report.h"
#include "sim/workload.h"

namespace plateau::sim {

struct SimOptions {
  // The master to talk to, followed when the leader changes (leader.h); must be known.
  Leader* leader = nullptr;
  std::optional<pid_t> master_pid;  // for CPU and RSS from /proc
  std::chrono::nanoseconds metrics_interval{std::chrono::seconds(1)};
  std::chrono::nanoseconds health_interval{std::chrono::milliseconds(250)};
  std::chrono::nanoseconds state_interval{0};  // GET /master/state this often; 0: never
  double registration_rate = 2000;             // agents per second
  size_t max_calls_in_flight = 64;
  // Agents' streams connect from this many loopback addresses (sources.h) in turn; 0: from
  // whatever the kernel picks (127.0.0.1 for a master on 127.0.0.1).
  size_t source_addresses = 0;
  // Simulated agents per event stream to the master (agent_stream.h): 1, each its own stream
  // (as the real agent); more, that many share one (proto/plateau/agent.proto, "Shared
  // streams"), and their heartbeats go in one call per stream.
  size_t agents_per_stream = 1;
  // End the arrival phase once, after a change of leader, every agent registered again (a
  // failover run: the report's failover curve is then complete).
  bool end_after_failover = false;
  // Give up on registration (and report how many made it) after this long.
  std::chrono::nanoseconds registration_timeout{std::chrono::minutes(5)};
};

Result<Report> runSimulation(EventLoop& loop, const Workload& workload, const SimOptions& options,
                             std::shared_ptr<spdlog::logger> log);

}  // namespace plateau::sim
