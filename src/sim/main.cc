// plateau-sim: many simulated agents and frameworks, in one process and on one event loop,
// against a real plateau-master over loopback (the agent protocol and the v1 scheduler API),
// reporting what the master did and what it cost. See docs/sim.md.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/flags.h"
#include "common/logging.h"
#include "common/process.h"
#include "sim/replay/cli.h"
#include "sim/simulator.h"
#include "sim/sources.h"

namespace plateau::sim {
namespace {

using namespace std::chrono_literals;

struct Flags {
  std::string workload;
  std::string master;
  int master_pid = 0;
  std::string master_bin;
  std::string work_dir;
  bool json = false;
  bool end_after_failover = false;
  double registration_rate = 2000;
  int max_calls_in_flight = 64;
  int source_ips = 0;
  int agents_per_stream = 0;  // 0: agentsPerStream() decides
  std::chrono::nanoseconds metrics_interval = 1s;
  std::chrono::nanoseconds state_interval{0};
  std::string logging_level = "warning";
};

// Agents per event stream: --agents_per_stream, or by default 1 (each its own stream, as the
// real agent) up to kOwnStreamAgents agents and kSharedStreamAgents above, so that 50,000
// agents take 500 streams (and the master 500 descriptors) instead of 50,000.
constexpr int64_t kOwnStreamAgents = 10'000;
constexpr int64_t kSharedStreamAgents = 100;
size_t agentsPerStream(const Workload& w, const Flags& f) {
  if (f.agents_per_stream > 0) {
    return static_cast<size_t>(f.agents_per_stream);
  }
  return w.totalAgents() > kOwnStreamAgents ? kSharedStreamAgents : 1;
}

// The agents' event streams: one per agents_per_stream agents.
size_t agentStreams(const Workload& w, const Flags& f) {
  const auto agents = static_cast<size_t>(w.totalAgents());
  const size_t per = agentsPerStream(w, f);
  return (agents + per - 1) / per;
}

// Descriptors the run needs: the agents' streams, one per framework, the pooled call
// connections, and some slack for the probe, logs and the loop.
rlim_t descriptorsNeeded(const Workload& w, const Flags& f) {
  return static_cast<rlim_t>(agentStreams(w, f)) + static_cast<rlim_t>(w.totalFrameworks()) +
         static_cast<rlim_t>(f.max_calls_in_flight) * 2 + 128;
}

Status raiseDescriptorLimit(rlim_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return {StatusCode::kInternal, "getrlimit(RLIMIT_NOFILE) failed"};
  }
  if (limit.rlim_cur >= needed) {
    return {};
  }
  if (limit.rlim_max < needed) {
    return {StatusCode::kInvalidArgument,
            fmt::format("this workload needs about {} file descriptors (one connection per "
                        "agent stream and framework), but the hard limit is {}: raise it "
                        "(`ulimit -Hn {}` as root, LimitNOFILE= for a service, and "
                        "fs.nr_open if that is lower), put more agents on each stream "
                        "(--agents_per_stream) or simulate fewer agents",
                        needed, limit.rlim_max, needed)};
  }
  limit.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return {StatusCode::kInternal, "setrlimit(RLIMIT_NOFILE) failed"};
  }
  return {};
}

// Connections to one address come from one source address: about as many as the ephemeral
// port range holds. Agents' streams spread over --source_ips loopback addresses (0: as many as
// that requires; calls and frameworks stay on 127.0.0.1). Returns how many (0: no binding).
Result<size_t> sourceAddressesFor(size_t agent_streams, rlim_t connections, int source_ips) {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  long low = 0;
  long high = 0;
  if (!(in >> low >> high) || high <= low) {
    return static_cast<size_t>(std::max(0, source_ips));
  }
  const auto per_address = static_cast<size_t>(high - low + 1) * 9 / 10;
  const size_t agents = agent_streams;
  const size_t others = static_cast<size_t>(connections) - std::min<size_t>(agents, connections);
  if (source_ips > 0) {
    if (agents / static_cast<size_t>(source_ips) + others > per_address) {
      return std::unexpected(Status(
          StatusCode::kInvalidArgument,
          fmt::format("--source_ips={} puts about {} agent connections on each address, but the "
                      "ephemeral port range ({}-{}) holds {}: raise --source_ips (or use 0)",
                      source_ips, agents / static_cast<size_t>(source_ips), low, high,
                      high - low + 1)));
    }
    return static_cast<size_t>(source_ips);
  }
  if (static_cast<size_t>(connections) <= per_address) {
    return size_t{0};
  }
  return sourceAddressesNeeded(agents, per_address - std::min(per_address - 1, others));
}

std::string selfDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

// The master's bound on agent calls (--agent_call_qps/--agent_call_capacity) counts a
// registration per address until the agent is known, and every simulated agent comes from a
// few addresses: room for all of them registering at the run's rate, and again at once after a
// failover, unless the workload's master_flags set the bound.
std::vector<std::string> agentCallLimits(const Flags& f, const Workload& w) {
  for (const std::string& flag : w.master_flags) {
    if (flag.starts_with("--agent_call_")) {
      return {};
    }
  }
  const auto agents = static_cast<int64_t>(w.totalAgents());
  return {fmt::format("--agent_call_qps={}", std::max(1000.0, 2 * f.registration_rate)),
          fmt::format("--agent_call_capacity={}", std::max<int64_t>(10000, 2 * agents))};
}

// Starts plateau-master on a free loopback port; its port from its master_started line.
Result<std::pair<pid_t, http::Endpoint>> startMaster(const Flags& f, const Workload& w,
                                                     const std::string& dir) {
  std::vector<std::string> argv{"plateau-master", "--ip=127.0.0.1", "--port=0",
                                fmt::format("--work_dir={}/master", dir)};
  argv.insert(argv.end(), w.master_flags.begin(), w.master_flags.end());
  for (const std::string& flag : agentCallLimits(f, w)) {
    argv.push_back(flag);
  }
  const std::string log_path = dir + "/master.log";
  // The master's HTTP server takes 16,384 connections by default (PLATEAU_HTTP_MAX_CONNECTIONS,
  // docs/tls.md): room for every agent's stream, the calls and the probe, unless the caller chose a
  // limit.
  std::vector<std::string> env = currentEnvironment();
  if (std::getenv("PLATEAU_HTTP_MAX_CONNECTIONS") == nullptr) {
    env.push_back(fmt::format("PLATEAU_HTTP_MAX_CONNECTIONS={}", descriptorsNeeded(w, f)));
  }
  auto pid = launchProcess({.path = f.master_bin,
                            .argv = argv,
                            .env = std::move(env),
                            .working_dir = "",
                            .stdout_path = log_path,
                            .stderr_path = log_path,
                            .new_session = true});
  if (!pid) {
    return std::unexpected(pid.error());
  }
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(log_path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("master_started") == std::string::npos) {
        continue;
      }
      size_t at = line.find("address=");
      if (at == std::string::npos) {
        continue;
      }
      std::string address = line.substr(at + 8, line.find(' ', at) - at - 8);
      auto endpoint = http::Endpoint::parse(address);
      if (endpoint) {
        return std::make_pair(*pid, *endpoint);
      }
    }
    int status = 0;
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      return unavailable(
          fmt::format("plateau-master exited ({}); see {}", describeWaitStatus(status), log_path));
    }
    std::this_thread::sleep_for(50ms);
  }
  kill(*pid, SIGKILL);
  return unavailable(fmt::format("plateau-master did not start within 30 s; see {}", log_path));
}

void stopMaster(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

int run(int argc, char** argv) {
  if (replay::isReplayCommand(argc, argv)) {
    return replay::replayMain(argc, argv);
  }
  Flags f;
  flags::FlagSet set("plateau-sim",
                     "Simulates many agents and frameworks against a real plateau-master "
                     "(--replay TRACE --virtual: a trace against the allocator in virtual time, "
                     "--generate-trace FILE: a synthetic trace; see docs/sim.md)");
  set.add("workload", &f.workload, "The workload file (JSON, see docs/sim.md)");
  set.add("master", &f.master,
          "A running master: host:port, several host:port separated by commas (tried in turn), "
          "or zk://host:port[,...]/path (the elected leader, followed through failovers); "
          "default: start build/bin's plateau-master");
  set.add("master_pid", &f.master_pid,
          "With --master: its pid, for CPU and RSS from /proc (0: not measured)");
  set.add("master_bin", &f.master_bin, "The plateau-master to start (default: beside plateau-sim)");
  set.add("work_dir", &f.work_dir,
          "Where a started master keeps its work_dir and log (default: a new /tmp directory)");
  set.add("json", &f.json, "Print the report as JSON instead of a table");
  set.add("end_after_failover", &f.end_after_failover,
          "End the arrival phase once every agent is back after a change of leader (with "
          "--master=zk://...; the report's failover section is then complete)");
  set.add("source_ips", &f.source_ips,
          "Loopback source addresses (127.0.1.1, ...) the agents' streams connect from; 0: as "
          "many as the ephemeral port range requires (none below it)");
  set.add("agents_per_stream", &f.agents_per_stream,
          "Simulated agents sharing one event stream to the master (proto/plateau/agent.proto, "
          "\"Shared streams\"; their heartbeats go in one call per stream); 0: 1 up to 10,000 "
          "agents, 100 above");
  set.add("registration_rate", &f.registration_rate, "Agents started per second");
  set.add("max_calls_in_flight", &f.max_calls_in_flight,
          "Calls to the master at once (over pooled keep-alive connections)");
  set.addDuration("state_interval", &f.state_interval,
                  "Also GET /master/state this often (0: never), to see what serving it costs");
  set.addDuration("metrics_interval", &f.metrics_interval,
                  "How often /proc and /metrics/snapshot of the master are read");
  set.add("logging_level", &f.logging_level, "trace, debug, info, warning or error");
  if (int code = flags::exitCodeFor(set.parse(argc, argv), set); code >= 0) {
    return code;
  }
  if (f.workload.empty()) {
    fmt::print(stderr, "Error: --workload=FILE is required (see docs/sim.md)\n");
    return 1;
  }
  auto workload = loadWorkload(f.workload);
  if (!workload) {
    fmt::print(stderr, "Error: {}\n", workload.error().message());
    return 1;
  }
  if (f.agents_per_stream < 0) {
    fmt::print(stderr, "Error: --agents_per_stream must be 0 (automatic) or positive\n");
    return 1;
  }
  if (f.registration_rate <= 0 || f.max_calls_in_flight < 1) {
    fmt::print(stderr, "Error: --registration_rate and --max_calls_in_flight must be positive\n");
    return 1;
  }
  const rlim_t needed = descriptorsNeeded(*workload, f);
  if (Status s = raiseDescriptorLimit(needed); !s.isOk()) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  }
  const Result<size_t> sources =
      sourceAddressesFor(agentStreams(*workload, f), needed, f.source_ips);
  if (!sources) {
    fmt::print(stderr, "Error: {}\n", sources.error().message());
    return 1;
  }
  auto log = makeLogger("sim", f.logging_level);
  if (!log) {
    fmt::print(stderr, "Error: {}\n", log.error().message());
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  SimOptions options{.leader = nullptr,
                     .master_pid = std::nullopt,
                     .metrics_interval = f.metrics_interval,
                     .state_interval = f.state_interval,
                     .registration_rate = f.registration_rate,
                     .max_calls_in_flight = static_cast<size_t>(f.max_calls_in_flight),
                     .source_addresses = *sources,
                     .agents_per_stream = agentsPerStream(*workload, f),
                     .end_after_failover = f.end_after_failover};
  std::optional<pid_t> started;
  std::string master_text = f.master;
  if (f.master.empty()) {
    std::string dir = f.work_dir;
    if (dir.empty()) {
      char tmpl[] = "/tmp/plateau-sim.XXXXXX";
      if (mkdtemp(tmpl) == nullptr) {
        fmt::print(stderr, "Error: cannot create a directory under /tmp\n");
        return 1;
      }
      dir = tmpl;
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      fmt::print(stderr, "Error: cannot create {}: {}\n", dir, ec.message());
      return 1;
    }
    if (f.master_bin.empty()) {
      f.master_bin = selfDir() + "/plateau-master";
    }
    auto master = startMaster(f, *workload, dir);
    if (!master) {
      fmt::print(stderr, "Error: {}\n", master.error().message());
      return 1;
    }
    started = master->first;
    master_text = master->second.toString();
    options.master_pid = master->first;
    (*log)->info("sim_master_started pid={} address={} dir={}", master->first,
                 master->second.toString(), dir);
  } else if (f.master_pid > 0) {
    options.master_pid = f.master_pid;
  }

  Result<Report> report = [&]() -> Result<Report> {
    EventLoop loop;
    auto leader = Leader::create(loop, master_text);
    if (!leader) {
      return invalidArgument("--master: " + leader.error().message());
    }
    loop.runUntil([&] { return (*leader)->known(); }, std::chrono::seconds(30));
    if (!(*leader)->known()) {
      return unavailable(fmt::format("--master={}: no leader known within 30 s", master_text));
    }
    options.leader = leader->get();
    return runSimulation(loop, *workload, options, *log);
  }();
  if (started) {
    stopMaster(*started);
  }
  if (!report) {
    fmt::print(stderr, "Error: {}\n", report.error().message());
    return 1;
  }
  fmt::print("{}\n", f.json ? report->json() : report->table());
  return 0;
}

}  // namespace
}  // namespace plateau::sim

int main(int argc, char** argv) { return plateau::sim::run(argc, argv); }
