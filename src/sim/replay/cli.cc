#include "sim/replay/cli.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/flags.h"
#include "common/roles.h"
#include "sim/replay/generator.h"
#include "sim/replay/replay.h"

namespace plateau::sim::replay {

namespace {

struct Flags {
  std::string replay;
  bool virtual_time = false;
  std::string generate;
  bool json = false;
  std::string json_out;
  int seed = 1;
  // Replay.
  int agents = 1000;
  std::string agent_resources = "cpus:16;mem:65536";
  std::string weights;
  std::string quota_guarantees;
  std::string quota_limits;
  std::string min_allocatable_resources = "cpus:0.01|mem:32";
  std::chrono::nanoseconds allocation_interval = std::chrono::seconds(1);
  bool triggered_rounds = true;
  double decline_refuse_seconds = 5;
  double accept_refuse_seconds = 5;
  bool suppress_when_idle = true;
  double decline_fraction = 0;
  int lookahead = 16;
  std::chrono::nanoseconds sample_interval = std::chrono::minutes(5);
  std::chrono::nanoseconds horizon{0};
  // Generator.
  std::chrono::nanoseconds span = std::chrono::hours(24);
  std::string roles;
  int frameworks_per_role = 1;
  double diurnal = 0;
  double tasks_mean = 10;
  int tasks_max = 1000;
  std::string task_cpus = "0.5,1,2,4";
  double mem_per_cpu = 2048;
  std::chrono::nanoseconds duration_median = std::chrono::minutes(10);
  double duration_sigma = 1.0;
  std::chrono::nanoseconds duration_min = std::chrono::seconds(1);
  std::chrono::nanoseconds duration_max = std::chrono::hours(6);
};

void addReplayFlags(flags::FlagSet& set, Flags& f) {
  set.add("replay", &f.replay, "Replay this trace (CSV, docs/sim.md) against the allocator");
  set.add("virtual", &f.virtual_time, "With --replay: in virtual time (the only mode so far)");
  set.add("json", &f.json, "Print the replay's report as JSON instead of a table");
  set.add("json_out", &f.json_out, "Also write the report as JSON to this file");
  set.add("seed", &f.seed, "Seeds every random draw (the generator's, the replay's declines)");
  set.add("agents", &f.agents, "Identical agents in the virtual cluster");
  set.add("agent_resources", &f.agent_resources, "Each agent's resources (cpus and mem needed)");
  set.add("weights", &f.weights, "Role weights: role=weight,role=weight (as the master's flag)");
  set.add("quota_guarantees", &f.quota_guarantees, "Quota: role=cpus:N;mem:M,role=...");
  set.add("quota_limits", &f.quota_limits, "Quota limits: role=cpus:N;mem:M,role=...");
  set.addDuration("allocation_interval", &f.allocation_interval, "Time between periodic rounds");
  set.add("min_allocatable_resources", &f.min_allocatable_resources,
          "Alternatives ('|'-separated) of which an offer must hold one, as the master's flag");
  set.add("triggered_rounds", &f.triggered_rounds,
          "Also run a round right after a task ends or a framework revives, as the master does");
  set.add("decline_refuse_seconds", &f.decline_refuse_seconds,
          "Filter a framework sets when it declines an offer (Filters.refuse_seconds)");
  set.add("accept_refuse_seconds", &f.accept_refuse_seconds,
          "Filter on what an accepted offer leaves unused");
  set.add("suppress_when_idle", &f.suppress_when_idle,
          "Frameworks suppress when their queue is empty and revive when a job arrives");
  set.add("decline_fraction", &f.decline_fraction, "Share of usable offers declined anyway");
  set.add("lookahead", &f.lookahead, "Queued jobs a framework tries to fit into each offer");
  set.addDuration("sample_interval", &f.sample_interval, "Time between samples of shares");
  set.addDuration("horizon", &f.horizon, "Stop at this virtual time (0: once every job ran)");
}

void addGeneratorFlags(flags::FlagSet& set, Flags& f) {
  set.add("generate_trace", &f.generate, "Write a synthetic trace to this file ('-': stdout)");
  set.addDuration("span", &f.span, "Generator: jobs arrive during this long");
  set.add("roles", &f.roles, "Generator: role=jobs_per_second,... (mean arrival rates)");
  set.add("frameworks_per_role", &f.frameworks_per_role, "Generator: frameworks in each role");
  set.add("diurnal", &f.diurnal, "Generator: daily swing of the rates, in [0, 1)");
  set.add("tasks_mean", &f.tasks_mean, "Generator: mean tasks per job (geometric)");
  set.add("tasks_max", &f.tasks_max, "Generator: most tasks per job");
  set.add("task_cpus", &f.task_cpus, "Generator: a task's cpus, one of this list");
  set.add("mem_per_cpu", &f.mem_per_cpu, "Generator: a task's mem (MB) per cpu");
  set.addDuration("duration_median", &f.duration_median, "Generator: median task duration");
  set.add("duration_sigma", &f.duration_sigma, "Generator: log-normal shape of durations");
  set.addDuration("duration_min", &f.duration_min, "Generator: shortest task");
  set.addDuration("duration_max", &f.duration_max, "Generator: longest task");
}

int64_t micros(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

// "role=value,role=value" into pairs, each role valid; InvalidArgument naming the flag.
Result<std::vector<std::pair<std::string, std::string>>> roleList(const std::string& text,
                                                                  const char* flag) {
  std::vector<std::pair<std::string, std::string>> out;
  if (text.empty()) {
    return out;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const size_t eq = item.find('=');
    const std::string role = item.substr(0, eq);
    if (eq == std::string::npos || !roles::validate(role).isOk()) {
      return invalidArgument(
          fmt::format("--{}: '{}' is not role=value with a valid role name", flag, item));
    }
    out.emplace_back(role, item.substr(eq + 1));
    start = comma + 1;
  }
  return out;
}

Result<double> positive(const std::string& text, const char* flag) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(value > 0) ||
      !std::isfinite(value)) {
    return invalidArgument(fmt::format("--{}: '{}' is not a positive number", flag, text));
  }
  return value;
}

Status parseQuota(const std::string& text, const char* flag, bool limits, ReplayConfig& c) {
  auto items = roleList(text, flag);
  if (!items) {
    return items.error();
  }
  for (const auto& [role, value] : *items) {
    auto resources = Resources::parse(value);
    if (!resources) {
      return {StatusCode::kInvalidArgument,
              fmt::format("--{}: role '{}': {}", flag, role, resources.error().message())};
    }
    (limits ? c.quotas[role].limits : c.quotas[role].guarantees) = *resources;
  }
  return {};
}

Result<ReplayConfig> replayConfig(const Flags& f) {
  ReplayConfig c;
  c.agents = f.agents;
  auto resources = Resources::parse(f.agent_resources);
  if (!resources) {
    return invalidArgument(fmt::format("--agent_resources: {}", resources.error().message()));
  }
  c.agent_resources = *resources;
  auto weights = roleList(f.weights, "weights");
  if (!weights) {
    return std::unexpected(weights.error());
  }
  for (const auto& [role, text] : *weights) {
    auto weight = positive(text, "weights");
    if (!weight) {
      return std::unexpected(weight.error());
    }
    c.weights[role] = *weight;
  }
  for (Status s : {parseQuota(f.quota_guarantees, "quota_guarantees", false, c),
                   parseQuota(f.quota_limits, "quota_limits", true, c)}) {
    if (!s.isOk()) {
      return std::unexpected(s);
    }
  }
  c.allocator_options.min_allocatable.clear();
  std::string_view alternatives = f.min_allocatable_resources;
  while (!alternatives.empty()) {
    const size_t bar = std::min(alternatives.find('|'), alternatives.size());
    auto alternative = Resources::parse(alternatives.substr(0, bar));
    if (!alternative || alternative->empty()) {
      return invalidArgument(fmt::format("--min_allocatable_resources: '{}' is not a resource list",
                                         alternatives.substr(0, bar)));
    }
    c.allocator_options.min_allocatable.push_back(*alternative);
    alternatives.remove_prefix(std::min(bar + 1, alternatives.size()));
  }
  c.allocation_interval_us = micros(f.allocation_interval);
  c.triggered_rounds = f.triggered_rounds;
  c.decline_refuse_us = std::llround(f.decline_refuse_seconds * 1e6);
  c.accept_refuse_us = std::llround(f.accept_refuse_seconds * 1e6);
  c.suppress_when_idle = f.suppress_when_idle;
  c.decline_fraction = f.decline_fraction;
  c.lookahead = f.lookahead;
  c.seed = static_cast<uint64_t>(f.seed);
  c.sample_interval_us = micros(f.sample_interval);
  c.horizon_us = micros(f.horizon);
  c.weights_text = f.weights;
  c.quota_text = f.quota_guarantees + (f.quota_limits.empty() ? "" : " limits " + f.quota_limits);
  return c;
}

Result<GeneratorSpec> generatorSpec(const Flags& f) {
  GeneratorSpec spec;
  spec.seed = static_cast<uint64_t>(f.seed);
  spec.span_us = micros(f.span);
  auto rates = roleList(f.roles, "roles");
  if (!rates) {
    return std::unexpected(rates.error());
  }
  for (const auto& [role, text] : *rates) {
    auto rate = positive(text, "roles");
    if (!rate) {
      return std::unexpected(rate.error());
    }
    spec.rates.emplace_back(role, *rate);
  }
  spec.frameworks_per_role = f.frameworks_per_role;
  spec.diurnal = f.diurnal;
  spec.tasks_mean = f.tasks_mean;
  spec.tasks_max = f.tasks_max;
  spec.cpus_milli.clear();
  std::string_view rest = f.task_cpus;
  while (!rest.empty()) {
    const size_t comma = std::min(rest.find(','), rest.size());
    auto cpus = positive(std::string(rest.substr(0, comma)), "task_cpus");
    if (!cpus) {
      return std::unexpected(cpus.error());
    }
    spec.cpus_milli.push_back(scalarToMilli(*cpus));
    rest.remove_prefix(std::min(comma + 1, rest.size()));
  }
  spec.mem_per_cpu_milli = scalarToMilli(f.mem_per_cpu);
  spec.duration_median_s = std::chrono::duration<double>(f.duration_median).count();
  spec.duration_sigma = f.duration_sigma;
  spec.duration_min_us = micros(f.duration_min);
  spec.duration_max_us = micros(f.duration_max);
  if (Status s = validate(spec); !s.isOk()) {
    return std::unexpected(s);
  }
  return spec;
}

int generate(const Flags& f) {
  auto spec = generatorSpec(f);
  if (!spec) {
    fmt::print(stderr, "Error: {}\n", spec.error().message());
    return 1;
  }
  std::vector<TraceJob> jobs = generateTrace(*spec);
  if (f.generate == "-") {
    writeTrace(std::cout, jobs);
    return std::cout ? 0 : 1;
  }
  std::ofstream out(f.generate);
  writeTrace(out, jobs);
  out.close();
  if (!out) {
    fmt::print(stderr, "Error: cannot write the trace to '{}'\n", f.generate);
    return 1;
  }
  fmt::print(stderr, "wrote {} jobs to {}\n", jobs.size(), f.generate);
  return 0;
}

int replay(const Flags& f) {
  if (!f.virtual_time) {
    fmt::print(stderr,
               "Error: --replay needs --virtual (replaying a trace against a live "
               "master is not built yet)\n");
    return 1;
  }
  auto fail = [](const Status& s) {
    fmt::print(stderr, "Error: {}\n", s.message());
    return 1;
  };
  auto config = replayConfig(f);
  if (!config) {
    return fail(config.error());
  }
  auto jobs = loadTrace(f.replay);
  if (!jobs) {
    return fail(jobs.error());
  }
  auto report = runReplay(*jobs, *config);
  if (!report) {
    return fail(report.error());
  }
  if (!f.json_out.empty()) {
    std::ofstream out(f.json_out);
    out << report->json() << "\n";
    out.close();
    if (!out) {
      return fail(
          {StatusCode::kInvalidArgument, fmt::format("--json_out: cannot write '{}'", f.json_out)});
    }
  }
  fmt::print("{}\n", f.json ? report->json() : report->table());
  return 0;
}

// "--replay TRACE" and "--generate-trace FILE" in the flag parser's "--name=value" form.
std::vector<std::string> normalized(int argc, const char* const* argv) {
  std::vector<std::string> out{argc > 0 ? argv[0] : "plateau-sim"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--generate-trace")) {
      arg = "--generate_trace" + arg.substr(16);
    }
    if ((arg == "--replay" || arg == "--generate_trace") && i + 1 < argc) {
      arg += std::string("=") + argv[++i];
    }
    out.push_back(std::move(arg));
  }
  return out;
}

}  // namespace

bool isReplayCommand(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    for (std::string_view name : {"--replay", "--generate-trace", "--generate_trace"}) {
      if (arg == name || (arg.starts_with(name) && arg.substr(name.size()).starts_with("="))) {
        return true;
      }
    }
  }
  return false;
}

int replayMain(int argc, const char* const* argv) {
  Flags f;
  flags::FlagSet set("plateau-sim",
                     "Replays a trace against the master's allocator in virtual time, or writes "
                     "a synthetic trace (docs/sim.md)");
  addReplayFlags(set, f);
  addGeneratorFlags(set, f);
  std::vector<std::string> args = normalized(argc, argv);
  std::vector<const char*> pointers;
  for (const auto& arg : args) {
    pointers.push_back(arg.c_str());
  }
  if (int code =
          flags::exitCodeFor(set.parse(static_cast<int>(pointers.size()), pointers.data()), set);
      code >= 0) {
    return code;
  }
  if (!f.generate.empty() && !f.replay.empty()) {
    fmt::print(stderr, "Error: give --generate-trace or --replay, not both\n");
    return 1;
  }
  return f.generate.empty() ? replay(f) : generate(f);
}

}  // namespace plateau::sim::replay
