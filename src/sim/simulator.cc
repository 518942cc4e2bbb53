#include "sim/simulator.h"
#include "sim/sources.h"

#include <vector>

#include <fmt/format.h>

#include "sim/probe.h"

namespace plateau::sim {

using namespace std::chrono_literals;

namespace {

double since(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

// A condition for EventLoop::runUntil that costs something only every `period` (runUntil asks
// after every handler; scanning 10,000 agents each time would be the simulator's main load).
std::function<bool()> every(const Clock& clock, std::chrono::nanoseconds period,
                            std::function<bool()> fn) {
  auto next = std::make_shared<Clock::TimePoint>();
  return [&clock, period, fn = std::move(fn), next] {
    Clock::TimePoint now = clock.now();
    if (now < *next) {
      return false;
    }
    *next = now + period;
    return fn();
  };
}

// Fetches a master endpoint on the loop, waiting for the answer.
std::optional<std::string> fetchBody(EventLoop& loop, const http::Endpoint& master,
                                     const std::string& path) {
  std::optional<Result<http::Response>> answer;
  http::fetch(loop, master, {.method = "GET", .path = path, .headers = {}, .body = {}}, 60s,
              [&](Result<http::Response> r) { answer = std::move(r); });
  loop.runUntil([&] { return answer.has_value(); }, 61s);
  if (!answer || !*answer || (*answer)->status != 200) {
    return std::nullopt;
  }
  return std::move((*answer)->body);
}

struct MasterCounters {
  std::map<std::string, double> snapshot;
  double allocation_sum_s = 0;
  double allocation_count = 0;
};

MasterCounters readCounters(EventLoop& loop, const http::Endpoint& master) {
  MasterCounters c;
  if (auto body = fetchBody(loop, master, "/metrics/snapshot")) {
    if (auto values = parseSnapshot(*body)) {
      c.snapshot = std::move(*values);
    }
  }
  if (auto body = fetchBody(loop, master, "/metrics")) {
    c.allocation_sum_s = prometheusValue(*body, "allocation_duration_seconds_sum").value_or(0);
    c.allocation_count = prometheusValue(*body, "allocation_duration_seconds_count").value_or(0);
  }
  return c;
}

double value(const MasterCounters& c, const char* key) {
  auto it = c.snapshot.find(key);
  return it == c.snapshot.end() ? 0 : it->second;
}

// Agents sent to a new leader per loop turn: between two slices the loop's I/O runs, so each
// slice's REGISTERs leave while the next is built (not all 10,000 after the last is built).
constexpr size_t kAgentsPerTurn = 100;

// agents[from...] to the new leader, a slice a loop turn, while `turn` stays `mine` (a later
// change of leader, or the end of the run, stops it).
void sendToLeader(EventLoop& loop, std::vector<std::unique_ptr<AgentLink>>& agents, size_t from,
                  std::shared_ptr<uint64_t> turn, uint64_t mine) {
  if (*turn != mine) {
    return;
  }
  const size_t end = std::min(agents.size(), from + kAgentsPerTurn);
  for (size_t i = from; i < end; ++i) {
    agents[i]->leaderChanged();
  }
  if (end < agents.size()) {
    loop.post([&loop, &agents, end, turn = std::move(turn), mine]() mutable {
      sendToLeader(loop, agents, end, std::move(turn), mine);
    });
  }
}

// Sends every agent and framework to the new leader whenever it changes, as plateau-agent and
// the scheduler libraries do: at once (an agent whose registration is still open waits out its
// backoff: AgentLink::leaderChanged); the frameworks first, the agents in slices
// (kAgentsPerTurn). Incrementing `turn` stops a change still being sent.
void followLeader(EventLoop& loop, Leader& leader, std::vector<std::unique_ptr<AgentLink>>& agents,
                  std::vector<std::unique_ptr<FrameworkLink>>& frameworks,
                  std::vector<Clock::TimePoint>& changes, std::shared_ptr<uint64_t> turn,
                  std::shared_ptr<spdlog::logger> log) {
  leader.onChange([&, turn, log] {
    changes.push_back(loop.clock().now());
    log->info("sim_leader_changed leader={}", leader.current().toString());
    for (auto& framework : frameworks) {
      framework->leaderChanged();
    }
    sendToLeader(loop, agents, 0, turn, ++*turn);
  });
}

// The steady phase (Workload::steady_after_running): notices when the ledger's begins, marks
// the other samples from then on, and says when the arrival phase should end.
struct SteadyWatch {
  const Workload& workload;
  Clock::TimePoint window_start;
  bool marked = false;
  ProcessSample master_at_start;
  ProcessSample sim_at_start;
  int64_t running_at_start = 0;

  // True when the steady phase has lasted its `steady_seconds`.
  template <typename Sample>
  bool check(Clock::TimePoint now, const TaskLedger& ledger, MasterProbe& probe, LinkStats& stats,
             Sample&& master) {
    const auto since_point = ledger.steadySince();
    if (!since_point) {
      return false;
    }
    if (!marked) {
      marked = true;
      probe.markSteady();
      stats.queue_wait.markSteady();
      master_at_start = master();
      sim_at_start = sampleSelf();
      running_at_start = ledger.runningNow();
    }
    return workload.steady_s > 0 && since(*since_point, now) >= workload.steady_s;
  }

  void end(Clock::TimePoint now, const TaskLedger& ledger, const LinkStats& stats,
           const MasterProbe& probe, const ProcessSample& master_now, SteadyReport& out) const {
    const auto since_point = ledger.steadySince();
    if (!marked || !since_point) {
      return;
    }
    out.reached = true;
    out.after_seconds = since(window_start, *since_point);
    out.seconds = since(*since_point, now);
    out.running_at_start = running_at_start;
    out.running_at_end = ledger.runningNow();
    out.launched = ledger.steadyLaunched();
    out.wait_for_offer = Percentiles::of(ledger.steadyWaitForOffer());
    out.accept_to_agent = Percentiles::of(ledger.steadyAcceptToAgent());
    out.launch_to_running = Percentiles::of(ledger.steadyLaunchToRunning());
    out.submit_to_running = Percentiles::of(ledger.steadySubmitToRunning());
    out.sim_queue_wait = Percentiles::of(stats.queue_wait.steady());
    out.health = Percentiles::of(probe.health().steady());
    out.allocation_ms = Percentiles::of(probe.allocationRunMs().steady());
    out.loop_stall_ms = Percentiles::of(probe.loopStallMs().steady());
    out.loop_busy_ms = Percentiles::of(probe.loopBusyMs().steady());
    out.master_cpu_seconds = master_now.cpu_seconds - master_at_start.cpu_seconds;
    out.master_rss = master_now.rss_bytes;
    out.sim_cpu_seconds = sampleSelf().cpu_seconds - sim_at_start.cpu_seconds;
  }
};

}  // namespace

Result<Report> runSimulation(EventLoop& loop, const Workload& workload, const SimOptions& options,
                             std::shared_ptr<spdlog::logger> log) {
  const Clock& clock = loop.clock();
  Report report;
  report.agents = workload.totalAgents();
  report.frameworks = workload.totalFrameworks();
  report.master_measured = options.master_pid.has_value();

  Leader& leader = *options.leader;
  MasterProbe probe(loop, leader, options.master_pid, options.metrics_interval,
                    options.health_interval);
  probe.watchState(options.state_interval);
  auto masterSample = [&]() -> ProcessSample {
    if (!options.master_pid) {
      return {};
    }
    return sampleProcess(*options.master_pid).value_or(ProcessSample{});
  };
  if (!fetchBody(loop, leader.current(), "/health")) {
    return unavailable(
        fmt::format("the master at {} does not answer /health", leader.current().toString()));
  }
  report.master_rss_before_agents = masterSample().rss_bytes;
  probe.start();

  TaskLedger ledger;
  LinkStats stats;
  CallPipe pipe(loop, leader, options.max_calls_in_flight, stats);

  // Agents, registered at the given rate; frameworks later. Both follow the leader.
  std::vector<std::unique_ptr<AgentStream>> streams;  // shared streams: outlive their agents
  std::vector<std::unique_ptr<AgentLink>> agents;
  std::vector<std::unique_ptr<FrameworkLink>> frameworks;
  std::vector<Clock::TimePoint> leader_changes;
  auto leader_turn = std::make_shared<uint64_t>(0);
  followLeader(loop, leader, agents, frameworks, leader_changes, leader_turn, log);
  agents.reserve(static_cast<size_t>(report.agents));
  SimAgent::Options agent_options{
      .start_delay = std::chrono::nanoseconds(static_cast<int64_t>(workload.start_delay_s * 1e9))};
  uint64_t seed = workload.seed * 0x9e3779b97f4a7c15ULL;
  for (const AgentGroup& group : workload.agents) {
    for (int i = 0; i < group.count; ++i) {
      AgentSpec spec{.hostname = fmt::format("{}-{}", group.hostname_prefix, agents.size()),
                     .ip = "127.0.0.1",
                     .cpus = group.cpus,
                     .mem = group.mem,
                     .disk = group.disk,
                     .attributes = group.attributes};
      const size_t per_stream = std::max<size_t>(1, options.agents_per_stream);
      const size_t connection = agents.size() / per_stream;
      std::string source = options.source_addresses > 0
                               ? sourceAddress(connection % options.source_addresses)
                               : std::string();
      if (per_stream > 1 && agents.size() % per_stream == 0) {
        streams.push_back(std::make_unique<AgentStream>(loop, pipe, leader, source, log));
      }
      agents.push_back(std::make_unique<AgentLink>(loop, pipe, leader, std::move(source),
                                                   std::move(spec), agent_options, ++seed, ledger,
                                                   stats, log));
      if (per_stream > 1) {
        agents.back()->shareStream(streams.back().get(),
                                   std::to_string(agents.size() % per_stream));
      }
    }
  }
  const Clock::TimePoint registration_start = clock.now();
  size_t started = 0;
  const auto tick = 10ms;
  const double per_tick = std::max(1.0, options.registration_rate * 0.010);
  Timers::TimerId starter = loop.every(tick, [&] {
    for (double n = 0; n < per_tick && started < agents.size(); ++n) {
      agents[started++]->start();
    }
  });
  auto countRegistered = [&] {
    int n = 0;
    for (const auto& a : agents) {
      n += a->registered() ? 1 : 0;
    }
    return n;
  };
  loop.runUntil(every(clock, 50ms,
                      [&] {
                        return started == agents.size() &&
                               countRegistered() == static_cast<int>(agents.size());
                      }),
                options.registration_timeout);
  loop.cancel(starter);
  report.agents_registered = countRegistered();
  report.registration_seconds = since(registration_start, clock.now());
  log->info("sim_agents_registered count={} of={} seconds={:.2f}", report.agents_registered,
            report.agents, report.registration_seconds);
  // Let the first allocation rounds over the new agents pass before measuring memory.
  loop.runUntil([] { return false; }, 1s);
  report.master_rss_with_agents = masterSample().rss_bytes;

  // Frameworks.
  int index = 0;
  for (const FrameworkGroup& group : workload.frameworks) {
    for (int i = 0; i < group.count; ++i) {
      frameworks.push_back(std::make_unique<FrameworkLink>(loop, pipe, leader, group, index++,
                                                           ++seed, ledger, stats, log));
    }
  }
  const MasterCounters before = readCounters(loop, leader.current());
  const ProcessSample master_before = masterSample();
  const ProcessSample sim_before = sampleSelf();
  const Clock::TimePoint window_start = clock.now();
  for (auto& f : frameworks) {
    f->start();
  }

  // Arrivals (ended early by a failover that is over, with --end_after_failover, or by the
  // steady phase's end), then the drain.
  ledger.steadyAfterRunning(workload.steady_after_running);
  SteadyWatch steady{.workload = workload, .window_start = window_start};
  loop.runUntil(every(clock, 100ms,
                      [&] {
                        if (steady.check(clock.now(), ledger, probe, stats, masterSample)) {
                          return true;
                        }
                        return options.end_after_failover && !leader_changes.empty() &&
                               countRegistered() == static_cast<int>(agents.size());
                      }),
                std::chrono::nanoseconds(static_cast<int64_t>(workload.duration_s * 1e9)));
  for (auto& f : frameworks) {
    f->framework().stopArrivals();
  }
  report.arrival_seconds = since(window_start, clock.now());
  steady.end(clock.now(), ledger, stats, probe, masterSample(), report.steady);
  loop.runUntil(every(clock, 20ms,
                      [&] {
                        for (const auto& f : frameworks) {
                          if (f->framework().waiting() > 0) {
                            return false;
                          }
                        }
                        return ledger.live() == 0;
                      }),
                std::chrono::nanoseconds(static_cast<int64_t>(workload.drain_s * 1e9)));
  const Clock::TimePoint window_end = clock.now();
  const ProcessSample master_after = masterSample();
  const ProcessSample sim_after = sampleSelf();
  report.window_seconds = since(window_start, window_end);
  probe.stop();
  // The last acknowledgements may still be on their way: give the master a moment before
  // reading its counters.
  loop.runUntil([&] { return pipe.queued() == 0; }, 5s);
  const MasterCounters after = readCounters(loop, leader.current());

  report.tasks = ledger.counts();
  report.tasks_left = static_cast<int64_t>(ledger.live());
  for (const auto& f : frameworks) {
    report.frameworks_seen.add(f->framework().stats());
    report.frameworks_subscribed += f->framework().subscribed() ? 1 : 0;
  }
  report.sim_queue_wait = Percentiles::of(stats.queue_wait);
  report.wait_for_offer = Percentiles::of(ledger.waitForOffer());
  report.accept_to_agent = Percentiles::of(ledger.acceptToAgent());
  report.launch_to_running = Percentiles::of(ledger.launchToRunning());
  report.submit_to_running = Percentiles::of(ledger.submitToRunning());
  report.health = Percentiles::of(probe.health());
  report.health_failures = probe.healthFailures();
  report.state = Percentiles::of(probe.state());
  report.state_bytes = static_cast<int64_t>(probe.stateBytes());
  report.allocation_ms = Percentiles::of(probe.allocationRunMs());
  report.loop_stall_ms = Percentiles::of(probe.loopStallMs());
  report.loop_busy_ms = Percentiles::of(probe.loopBusyMs());
  report.master_cpu_seconds = master_after.cpu_seconds - master_before.cpu_seconds;
  report.master_rss_end = master_after.rss_bytes;
  report.master_peak_rss = std::max(master_after.peak_rss_bytes, probe.maxRssBytes());
  const double rounds = after.allocation_count - before.allocation_count;
  report.allocation_runs = static_cast<int64_t>(rounds);
  report.allocation_mean_ms =
      rounds > 0 ? (after.allocation_sum_s - before.allocation_sum_s) * 1000 / rounds : 0;
  report.master_offers_sent = static_cast<int64_t>(value(after, "plateau/offers_sent") -
                                                   value(before, "plateau/offers_sent"));
  report.master_tasks_launched = static_cast<int64_t>(value(after, "plateau/tasks_launched") -
                                                      value(before, "plateau/tasks_launched"));
  report.master_tasks_finished = static_cast<int64_t>(value(after, "master/tasks_finished"));
  report.master_agents_active = static_cast<int64_t>(value(after, "master/slaves_active"));
  report.sim_cpu_seconds = sim_after.cpu_seconds - sim_before.cpu_seconds;
  report.sim_peak_rss = sampleSelf().peak_rss_bytes;
  report.failover = Failover::of(stats.agent_links_lost, stats.agent_registrations, leader_changes,
                                 report.agents);
  report.links = stats;
  leader.clearListeners();
  ++*leader_turn;  // a leader change still being sent stops here
  // Links go before the pipe and the ledger they point to.
  frameworks.clear();
  agents.clear();
  streams.clear();
  return report;
}

}  // namespace plateau::sim
