#include "sim/workload.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::sim {

namespace {

// Reads the members of one JSON object at `path`, remembering which keys were read so that
// the rest can be reported as unknown.
class ObjectReader {
 public:
  ObjectReader(const json::Value& value, std::string path)
      : value_(value), path_(std::move(path)) {}

  Status checkObject() const {
    if (!value_.isObject()) {
      return {StatusCode::kInvalidArgument, fmt::format("{} must be an object", where())};
    }
    return {};
  }

  Status number(std::string_view key, double& out, double min, double max) {
    const json::Value* v = take(key);
    if (v == nullptr) {
      return {};
    }
    if (!v->isNumber()) {
      return bad(key, "must be a number");
    }
    double d = v->asDouble();
    if (d < min || d > max) {
      return bad(key, fmt::format("must be in [{}, {}], got {}", min, max, d));
    }
    out = d;
    return {};
  }

  template <class Int>
  Status integer(std::string_view key, Int& out, int64_t min, int64_t max) {
    const json::Value* v = take(key);
    if (v == nullptr) {
      return {};
    }
    auto i = v->toInt64();
    if (!i) {
      return bad(key, "must be an integer");
    }
    if (*i < min || *i > max) {
      return bad(key, fmt::format("must be in [{}, {}], got {}", min, max, *i));
    }
    out = static_cast<Int>(*i);
    return {};
  }

  Status string(std::string_view key, std::string& out) {
    const json::Value* v = take(key);
    if (v == nullptr) {
      return {};
    }
    if (!v->isString() || v->asString().empty()) {
      return bad(key, "must be a non-empty string");
    }
    out = v->asString();
    return {};
  }

  Status boolean(std::string_view key, bool& out) {
    const json::Value* v = take(key);
    if (v == nullptr) {
      return {};
    }
    if (!v->isBool()) {
      return bad(key, "must be true or false");
    }
    out = v->asBool();
    return {};
  }

  // The member, marked as read (nullptr when absent).
  const json::Value* take(std::string_view key) {
    known_.insert(std::string(key));
    return value_.find(key);
  }

  // An error for the first member no reader asked for.
  Status checkNoUnknown() const {
    for (const auto& member : value_.asObject()) {
      if (!known_.contains(member.key)) {
        return {StatusCode::kInvalidArgument,
                fmt::format("unknown key '{}' in {}", member.key, where())};
      }
    }
    return {};
  }

  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }

 private:
  std::string where() const { return path_.empty() ? "the workload" : path_; }
  Status bad(std::string_view key, std::string_view what) const {
    return {StatusCode::kInvalidArgument, fmt::format("{} {}", child(key), what)};
  }

  const json::Value& value_;
  std::string path_;
  std::set<std::string> known_;
};

#define PLATEAU_SIM_TRY(expr)           \
  do {                                  \
    if (Status s = (expr); !s.isOk()) { \
      return std::unexpected(s);        \
    }                                   \
  } while (false)

constexpr int64_t kMaxCount = 1'000'000;
constexpr double kMaxSeconds = 7 * 24 * 3600.0;

Result<AgentGroup> parseAgentGroup(const json::Value& value, const std::string& path) {
  ObjectReader r(value, path);
  PLATEAU_SIM_TRY(r.checkObject());
  AgentGroup g;
  if (r.take("count") == nullptr) {
    return invalidArgument(fmt::format("{} is missing", r.child("count")));
  }
  PLATEAU_SIM_TRY(r.integer("count", g.count, 1, kMaxCount));
  PLATEAU_SIM_TRY(r.string("hostname_prefix", g.hostname_prefix));
  PLATEAU_SIM_TRY(r.number("cpus", g.cpus, 0.01, 1e6));
  PLATEAU_SIM_TRY(r.number("mem", g.mem, 1, 1e12));
  PLATEAU_SIM_TRY(r.number("disk", g.disk, 0, 1e12));
  if (const json::Value* attributes = r.take("attributes")) {
    if (!attributes->isObject()) {
      return invalidArgument(fmt::format("{} must be an object", r.child("attributes")));
    }
    for (const auto& member : attributes->asObject()) {
      if (!member.value.isString()) {
        return invalidArgument(
            fmt::format("{}.{} must be a string", r.child("attributes"), member.key));
      }
      g.attributes[member.key] = member.value.asString();
    }
  }
  PLATEAU_SIM_TRY(r.checkNoUnknown());
  return g;
}

Result<FrameworkGroup> parseFrameworkGroup(const json::Value& value, const std::string& path) {
  ObjectReader r(value, path);
  PLATEAU_SIM_TRY(r.checkObject());
  FrameworkGroup g;
  if (r.take("count") == nullptr) {
    return invalidArgument(fmt::format("{} is missing", r.child("count")));
  }
  PLATEAU_SIM_TRY(r.integer("count", g.count, 1, kMaxCount));
  PLATEAU_SIM_TRY(r.string("name", g.name));
  PLATEAU_SIM_TRY(r.string("role", g.role));
  if (const json::Value* task = r.take("task")) {
    ObjectReader t(*task, r.child("task"));
    PLATEAU_SIM_TRY(t.checkObject());
    PLATEAU_SIM_TRY(t.number("cpus", g.task_cpus, 0.001, 1e6));
    PLATEAU_SIM_TRY(t.number("mem", g.task_mem, 1, 1e12));
    PLATEAU_SIM_TRY(t.number("disk", g.task_disk, 0, 1e12));
    PLATEAU_SIM_TRY(t.checkNoUnknown());
  }
  if (const json::Value* duration = r.take("duration_seconds")) {
    if (duration->isNumber()) {
      PLATEAU_SIM_TRY(r.number("duration_seconds", g.duration_min_s, 0, kMaxSeconds));
      g.duration_max_s = g.duration_min_s;
    } else {
      ObjectReader d(*duration, r.child("duration_seconds"));
      PLATEAU_SIM_TRY(d.checkObject());
      PLATEAU_SIM_TRY(d.number("min", g.duration_min_s, 0, kMaxSeconds));
      g.duration_max_s = g.duration_min_s;
      PLATEAU_SIM_TRY(d.number("max", g.duration_max_s, 0, kMaxSeconds));
      PLATEAU_SIM_TRY(d.checkNoUnknown());
      if (g.duration_max_s < g.duration_min_s) {
        return invalidArgument(fmt::format("{}.max ({}) is below min ({})",
                                           r.child("duration_seconds"), g.duration_max_s,
                                           g.duration_min_s));
      }
    }
  }
  PLATEAU_SIM_TRY(r.number("arrival_rate", g.arrival_rate, 0, 1e6));
  PLATEAU_SIM_TRY(r.integer("max_tasks", g.max_tasks, 0, 1'000'000'000));
  PLATEAU_SIM_TRY(r.integer("initial_tasks", g.initial_tasks, 0, 1'000'000'000));
  PLATEAU_SIM_TRY(r.number("decline_fraction", g.decline_fraction, 0, 1));
  PLATEAU_SIM_TRY(r.number("refuse_seconds", g.refuse_seconds, 0, kMaxSeconds));
  PLATEAU_SIM_TRY(r.boolean("suppress_when_idle", g.suppress_when_idle));
  PLATEAU_SIM_TRY(r.integer("max_tasks_per_offer", g.max_tasks_per_offer, 0, kMaxCount));
  PLATEAU_SIM_TRY(r.number("failover_timeout_seconds", g.failover_timeout_s, 0, kMaxSeconds));
  PLATEAU_SIM_TRY(r.checkNoUnknown());
  if (g.max_tasks > 0 && g.initial_tasks > g.max_tasks) {
    return invalidArgument(fmt::format("{} ({}) exceeds {} ({})", r.child("initial_tasks"),
                                       g.initial_tasks, r.child("max_tasks"), g.max_tasks));
  }
  return g;
}

}  // namespace

int Workload::totalAgents() const {
  int n = 0;
  for (const auto& g : agents) {
    n += g.count;
  }
  return n;
}

int Workload::totalFrameworks() const {
  int n = 0;
  for (const auto& g : frameworks) {
    n += g.count;
  }
  return n;
}

Result<Workload> parseWorkload(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) {
    return invalidArgument(fmt::format("not JSON: {}", doc.error().message()));
  }
  ObjectReader r(*doc, "");
  PLATEAU_SIM_TRY(r.checkObject());
  Workload w;
  PLATEAU_SIM_TRY(r.integer("seed", w.seed, 0, INT64_MAX));
  PLATEAU_SIM_TRY(r.number("duration_seconds", w.duration_s, 0, kMaxSeconds));
  PLATEAU_SIM_TRY(r.number("drain_seconds", w.drain_s, 0, kMaxSeconds));
  PLATEAU_SIM_TRY(r.number("start_delay_seconds", w.start_delay_s, 0, 3600));
  PLATEAU_SIM_TRY(r.integer("steady_after_running", w.steady_after_running, 0, 1'000'000'000));
  PLATEAU_SIM_TRY(r.number("steady_seconds", w.steady_s, 0, kMaxSeconds));
  if (const json::Value* flags = r.take("master_flags")) {
    if (!flags->isArray()) {
      return invalidArgument("master_flags must be an array of strings");
    }
    for (size_t i = 0; i < flags->size(); ++i) {
      const std::string& flag = (*flags)[i].asString();
      if (!flag.starts_with("--")) {
        return invalidArgument(fmt::format("master_flags[{}] must be a string --name=value", i));
      }
      w.master_flags.push_back(flag);
    }
  }
  const json::Value* agents = r.take("agents");
  if (agents == nullptr || !agents->isArray() || agents->size() == 0) {
    return invalidArgument("agents must be a non-empty array of agent groups");
  }
  for (size_t i = 0; i < agents->size(); ++i) {
    auto group = parseAgentGroup((*agents)[i], fmt::format("agents[{}]", i));
    if (!group) {
      return std::unexpected(group.error());
    }
    w.agents.push_back(std::move(*group));
  }
  const json::Value* frameworks = r.take("frameworks");
  if (frameworks == nullptr || !frameworks->isArray()) {
    return invalidArgument("frameworks must be an array of framework groups");
  }
  for (size_t i = 0; i < frameworks->size(); ++i) {
    auto group = parseFrameworkGroup((*frameworks)[i], fmt::format("frameworks[{}]", i));
    if (!group) {
      return std::unexpected(group.error());
    }
    w.frameworks.push_back(std::move(*group));
  }
  PLATEAU_SIM_TRY(r.checkNoUnknown());
  if (static_cast<int64_t>(w.totalAgents()) > kMaxCount) {
    return invalidArgument(fmt::format("{} agents in all: at most {}", w.totalAgents(), kMaxCount));
  }
  return w;
}

Result<Workload> loadWorkload(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return invalidArgument(fmt::format("{}: cannot be read", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto workload = parseWorkload(text.str());
  if (!workload) {
    return invalidArgument(fmt::format("{}: {}", path, workload.error().message()));
  }
  return workload;
}

}  // namespace plateau::sim
