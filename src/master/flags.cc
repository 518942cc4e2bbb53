#include "master/flags.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <cmath>
#include <sstream>
#include <tuple>

#include "common/fault_domain.h"
#include "common/units.h"
#include "http/client_refusal.h"
#include "master/removal_limits.h"
#include "master/validation.h"
#include "zookeeper/url.h"

namespace plateau::master {
namespace {

using Kind = flags::FlagSet::Kind;
using flags::FileValue;

// Why a mesos-master flag has no effect here; the conformance table (docs/conformance.md) lists
// them, and the master warns at startup about each one given.
constexpr const char* kAuth =
    "Plateau has one authorizer: the local one, configured by --acls (docs/security.md)";
constexpr const char* kModules = "Plateau loads no modules";
constexpr const char* kAllocator = "Plateau has one allocator: hierarchical DRF";
constexpr const char* kRegistry =
    "the registry is SQLite in --work_dir or ZooKeeper (--zk): there is no replicated log";
constexpr const char* kNotYet = "not implemented yet";

// Mesos-master's flags that Plateau accepts without acting on them.
void registerInertFlags(flags::FlagSet& set) {
  set.addInert("allocator", Kind::kString, "HierarchicalDRF", "Allocator to use", kAllocator);
  set.addInert("authenticators", Kind::kString, "crammd5", "Authenticator implementation",
               "there is no v0 (libprocess) protocol: agents and frameworks authenticate over "
               "HTTP (see --credentials)");
  set.addInert("authentication_v0_timeout", Kind::kDuration, "15secs",
               "Timeout of a v0 framework's or agent's authentication",
               "there is no v0 (libprocess) protocol; the HTTP APIs are v1");
  set.addInert("authorizers", Kind::kString, "local", "Authorizer implementation", kAuth);
  set.addInert("framework_sorter", Kind::kString, "drf", "Policy between a role's frameworks",
               "Plateau's sorter is always DRF");
  set.addInert("role_sorter", Kind::kString, "drf", "Policy between roles",
               "Plateau's sorter is always DRF");
  set.addInert("log_auto_initialize", Kind::kBool, "true",
               "Initialize the replicated log automatically", kRegistry);
  set.addInert("master_contender", Kind::kString, "", "Module symbol of the master contender",
               kModules);
  set.addInert("master_detector", Kind::kString, "", "Module symbol of the master detector",
               kModules);
  set.addInert("max_executors_per_agent", Kind::kInt, "",
               "Executors allowed per agent (network isolator builds of Mesos)",
               "Plateau has no network port-mapping isolator",
               {.aliases = {"max_executors_per_slave"}});
  set.addInert("registry_fetch_timeout", Kind::kDuration, "1mins",
               "Time to fetch the registry before failing", kRegistry);
  set.addInert("registry_store_timeout", Kind::kDuration, "20secs",
               "Time to store in the registry before failing", kRegistry);
  set.addInert("hooks", Kind::kString, "", "Hook modules to install", kModules);
  set.addInert("hostname_lookup", Kind::kBool, "true",
               "Look the hostname up when --hostname is not set",
               "Plateau never looks the hostname up: without --hostname it advertises the IP");
  set.addInert("modules", Kind::kString, "", "Modules to load (JSON or file path)", kModules,
               {.file = FileValue::kUrlOrPath});
  set.addInert("modules_dir", Kind::kString, "", "Directory of module manifests", kModules);
  set.addInert("logbufsecs", Kind::kInt, "0", "Seconds logs may be buffered",
               "Plateau flushes every log line");
  set.addInert("initialize_driver_logging", Kind::kBool, "true",
               "Initialize logging of scheduler and executor drivers",
               "there are no drivers inside the master");
}

// --rate_limits (Mesos's) and Plateau's per-client bounds (docs/security.md).
void registerLimitFlags(flags::FlagSet& set, Flags& f) {
  set.add("rate_limits", &f.rate_limits,
          "Per-principal call rates, Mesos's JSON (or a file path): scheduler and operator "
          "calls beyond a principal's qps wait, up to its capacity; then 429",
          {.file = FileValue::kUrlOrPath});
  set.add("client_request_qps", &f.client_request_qps,
          "Requests a second one client (its principal, else its address) may make to the "
          "operator API and the state endpoints after its burst; beyond, 429 (0: no limit)");
  set.add("client_request_capacity", &f.client_request_capacity,
          "Burst of --client_request_qps: requests one client may make at once");
  set.add("agent_call_qps", &f.agent_call_qps,
          "Agent protocol calls a second one registered agent (others: per principal, else "
          "address) may make after its burst; beyond, 429 and the agent retries (0: no limit)");
  set.add("agent_call_capacity", &f.agent_call_capacity,
          "Burst of --agent_call_qps: calls one agent may make at once");
}

// Who may subscribe, which agents are offered and how shares count, the log shown, and how the
// master is reached (--advertise_ip, --firewall_rules, ...).
void registerAdmissionFlags(flags::FlagSet& set, Flags& f) {
  set.add("root_submissions", &f.root_submissions,
          "Whether frameworks whose FrameworkInfo.user is root may subscribe");
  set.add("fair_sharing_excluded_resource_names", &f.fair_sharing_excluded_resource_names,
          "Comma-separated resource names (e.g. gpus) that count in no role's or framework's "
          "dominant share");
  set.add("external_log_file", &f.external_log_file,
          "Log file written by something else (syslog, journald): served as /master/log in "
          "/files and the web UI instead of --log_dir's file");
  set.add("whitelist", &f.whitelist,
          "File (/path or file:///path) of the hostnames of the agents to offer, one a line, "
          "re-read every 5 seconds; '*' or none: every agent (deprecated in Mesos)");
  f.address.registerWith(set, "master");
}

// Where the master listens, what it is called, where it logs and serves its web UI from.
void registerProcessFlags(flags::FlagSet& set, Flags& f) {
  set.add("version", &f.version, "Show the version and exit");
  set.add("ip", &f.ip, "IP address to listen on", {.env = {"LIBPROCESS_IP"}});
  set.add("port", &f.port, "Port to listen on", {.env = {"LIBPROCESS_PORT"}});
  set.add("hostname", &f.hostname, "Hostname to advertise (defaults to the IP)");
  set.add("work_dir", &f.work_dir, "Directory for the master's state");
  set.add("cluster", &f.cluster, "Human-readable name of the cluster");
  set.add("logging_level", &f.logging_level,
          "Log lines at or above this level: trace, debug, info, warning or error (any case)");
  set.add("log_dir", &f.log_dir,
          "Directory for the log file plateau-master.log (default: none); stderr still logs");
  set.add("quiet", &f.quiet, "Log nothing to stderr");
  set.add("webui_dir", &f.webui_dir,
          "Directory of the web UI's files (default: the source tree's webui/, else "
          "<prefix>/share/plateau/webui)");
}

// How often the master allocates, and how long agents, offers and schedulers are waited for.
void registerTimingFlags(flags::FlagSet& set, Flags& f) {
  set.addDuration("allocation_interval", &f.allocation_interval,
                  "Time between batched allocation rounds");
  set.addDuration("agent_ping_timeout", &f.agent_ping_timeout,
                  "How long an agent may stay silent before a ping counts as missed",
                  {.aliases = {"slave_ping_timeout"}});
  set.add("max_agent_ping_timeouts", &f.max_agent_ping_timeouts,
          "Missed pings after which an agent is removed", {.aliases = {"max_slave_ping_timeouts"}});
  set.addDuration("offer_timeout", &f.offer_timeout,
                  "Age after which an outstanding offer is rescinded (0: never)");
  set.addDuration("framework_heartbeat_interval", &f.framework_heartbeat,
                  "Interval of HEARTBEAT events to schedulers");
  set.addDuration("agent_reregister_timeout", &f.agent_reregister_timeout,
                  "Time agents get to re-register after a master failover before they are "
                  "marked unreachable",
                  {.aliases = {"slave_reregister_timeout"}});
}

// What the master keeps of ended frameworks and tasks, and what it publishes about them.
void registerBookkeepingFlags(flags::FlagSet& set, Flags& f) {
  set.add("max_completed_frameworks", &f.max_completed_frameworks,
          "Completed frameworks kept for /master/state");
  set.add("publish_per_framework_metrics", &f.publish_per_framework_metrics,
          "Publish metrics for each framework (master/frameworks/NAME/ID/... in "
          "/metrics/snapshot), kept while the master keeps the framework");
  set.add("max_completed_tasks_per_framework", &f.max_completed_tasks_per_framework,
          "Completed tasks kept per framework for /master/state");
  set.add("max_unreachable_tasks_per_framework", &f.max_unreachable_tasks_per_framework,
          "Tasks on unreachable agents kept per framework for /master/state");
  set.add("max_operator_event_stream_subscribers", &f.max_operator_event_stream_subscribers,
          "Most operator API SUBSCRIBE streams at once; the oldest is closed beyond it");
}

// Where the registry lives (locally or in ZooKeeper) and how long it keeps gone agents.
void registerRegistryFlags(flags::FlagSet& set, Flags& f) {
  set.add("registry", &f.registry,
          "Where the registry lives: 'local' (SQLite in --work_dir; Mesos's 'replicated_log' "
          "means the same) or 'in_memory'");
  set.add("zk", &f.zk,
          "ZooKeeper URL for leader election and the registry: "
          "zk://[user:pass@]host:port[,host:port]/path, or file:///path holding one",
          {.file = FileValue::kUrl});
  set.addDuration("zk_session_timeout", &f.zk_session_timeout, "ZooKeeper session timeout");
  set.add("quorum", &f.quorum, "Size of the replicated log's quorum",
          {.no_effect = "ZooKeeper's ensemble is the quorum"});
  set.addDuration("registry_gc_interval", &f.registry_gc_interval,
                  "How often unreachable and gone agents are dropped from the registry");
  set.addDuration("registry_max_agent_age", &f.registry_max_agent_age,
                  "Longest time unreachable and gone agents stay in the registry");
  set.add("registry_max_agent_count", &f.registry_max_agent_count,
          "Most unreachable and gone agents kept in the registry (the oldest go first)");
}

// The allocator's inputs: roles and weights, offer sizes, GPU filtering, offer constraints.
void registerAllocationFlags(flags::FlagSet& set, Flags& f) {
  set.add("weights", &f.weights,
          "Initial role weights, 'role=weight,role=weight' (deprecated in Mesos: use "
          "UPDATE_WEIGHTS); used when the registry holds no weights yet");
  set.add("roles", &f.roles,
          "Comma-separated roles frameworks may use (deprecated in Mesos); default: any role");
  set.add("min_allocatable_resources", &f.min_allocatable_resources,
          "Alternatives ('|') of quantities ('cpus:1;mem:32') of which an offer must hold one");
  set.add("filter_gpu_resources", &f.filter_gpu_resources,
          "Offer agents with GPUs only to frameworks with the GPU_RESOURCES capability");
  set.add("offer_constraints_re2_max_mem", &f.offer_constraints_re2_max_mem,
          "Memory each RE2 regex of a framework's offer constraints may use (e.g. 4KB); "
          "SUBSCRIBE / UPDATE_FRAMEWORK with a larger one fail");
  set.add("offer_constraints_re2_max_program_size", &f.offer_constraints_re2_max_program_size,
          "Largest RE2 program size of a regex in a framework's offer constraints");
}

}  // namespace

void registerFlags(flags::FlagSet& set, Flags& f) {
  registerProcessFlags(set, f);
  registerTimingFlags(set, f);
  registerBookkeepingFlags(set, f);
  registerRegistryFlags(set, f);
  registerAllocationFlags(set, f);
  registerLimitFlags(set, f);
  registerAdmissionFlags(set, f);
  f.tls.registerWith(set);
  registerInertFlags(set);
  registerSecurityFlags(set, f);
  registerDomainFlags(set, f);
}

void registerDomainFlags(flags::FlagSet& set, Flags& f) {
  set.add("domain", &f.domain,
          "Fault domain of this master (JSON or file path): {\"fault_domain\": {\"region\": "
          "{\"name\": ...}, \"zone\": {\"name\": ...}}}; agents in another region are offered "
          "only to REGION_AWARE frameworks",
          {.file = FileValue::kUrlOrPath});
  set.add("require_agent_domain", &f.require_agent_domain,
          "Refuse agents that register without a fault domain (--domain on the agent)");
  set.add("agent_removal_rate_limit", &f.agent_removal_rate_limit,
          "Most agents failing health checks removed per duration, e.g. 1/20mins (default: "
          "no limit)",
          {.aliases = {"slave_removal_rate_limit"}});
  set.add("recovery_agent_removal_limit", &f.recovery_agent_removal_limit,
          "Most agents (percent of those recovered) a failed-over master removes for not "
          "re-registering; beyond, it exits instead and removes none",
          {.aliases = {"recovery_slave_removal_limit"}});
}

Result<std::map<std::string, double>> parseWeights(const std::string& text) {
  std::map<std::string, double> out;
  if (text.empty()) {
    return out;
  }
  auto bad = [&](const std::string& why) {
    return std::unexpected(
        Status(StatusCode::kInvalidArgument,
               fmt::format("Invalid value '{}' for flag '--weights': {} (expected "
                           "'role=weight,role=weight' with positive weights)",
                           text, why)));
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string pair =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t eq = pair.find('=');
    if (eq == std::string::npos) {
      return bad(fmt::format("'{}' has no '='", pair));
    }
    std::string role = pair.substr(0, eq);
    std::string number = pair.substr(eq + 1);
    if (Status s = validateRole(role); !s.isOk() || role == "*") {
      return bad(fmt::format("'{}' is not a valid role", role));
    }
    char* end = nullptr;
    double weight = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(weight) ||
        weight <= 0) {
      return bad(fmt::format("weight '{}' of role '{}' is not a positive number", number, role));
    }
    out[role] = weight;
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

Result<std::vector<Resources>> parseMinAllocatable(const std::string& text) {
  std::vector<Resources> out;
  size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    size_t bar = text.find('|', start);
    std::string part =
        text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    auto resources = Resources::parse(part);
    if (!resources || resources->empty()) {
      return std::unexpected(Status(
          StatusCode::kInvalidArgument,
          fmt::format("Invalid value '{}' for flag '--min_allocatable_resources': '{}' {} "
                      "(expected e.g. 'cpus:0.01|mem:32')",
                      text, part, resources ? "names no resources" : resources.error().message())));
    }
    out.push_back(std::move(*resources));
    if (bar == std::string::npos) {
      break;
    }
    start = bar + 1;
  }
  return out;
}

namespace {

// --weights, --roles (and the one against the other) and --min_allocatable_resources, parsed
// into the fields the master reads.
Status parseRoleFlags(Flags& f) {
  auto weights = parseWeights(f.weights);
  if (!weights) {
    return weights.error();
  }
  f.weight_map = std::move(*weights);
  f.role_whitelist.clear();
  for (size_t start = 0; !f.roles.empty() && start <= f.roles.size();) {
    size_t comma = f.roles.find(',', start);
    std::string role =
        f.roles.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (Status s = validateRole(role); !s.isOk()) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Invalid value '{}' for flag '--roles': {}", f.roles, s.message())};
    }
    f.role_whitelist.insert(role);
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  if (!f.role_whitelist.empty()) {
    f.role_whitelist.insert("*");  // Mesos always allows the default role
    for (const auto& [role, weight] : f.weight_map) {
      if (!f.role_whitelist.contains(role)) {
        return {StatusCode::kInvalidArgument,
                fmt::format("Flag '--weights' names role '{}', which is not in '--roles'", role)};
      }
    }
  }
  auto min = parseMinAllocatable(f.min_allocatable_resources);
  if (!min) {
    return min.error();
  }
  f.min_allocatable = std::move(*min);
  f.fair_sharing_excluded.clear();
  std::istringstream names(f.fair_sharing_excluded_resource_names);
  for (std::string name; std::getline(names, name, ',');) {
    if (size_t begin = name.find_first_not_of(' '); begin != std::string::npos) {
      f.fair_sharing_excluded.push_back(name.substr(begin, name.find_last_not_of(' ') - begin + 1));
    }
  }
  return {};
}

Status validateLimitFlags(Flags& f) {
  if (!f.rate_limits.empty()) {
    auto limits = http::parseRateLimits(f.rate_limits);
    if (!limits) {
      return limits.error();  // names the flag and the place
    }
    f.rate_limit_config = std::make_shared<const http::RateLimitsConfig>(std::move(*limits));
  }
  for (auto [name, qps, capacity] :
       {std::tuple{"client_request", f.client_request_qps, f.client_request_capacity},
        std::tuple{"agent_call", f.agent_call_qps, f.agent_call_capacity}}) {
    if (Status s = http::checkClientLimitFlags(name, qps, capacity); !s.isOk()) {
      return s;
    }
  }
  return {};
}

}  // namespace

Status validateFlags(Flags& f) {
  if (Status s = parseRoleFlags(f); !s.isOk()) {
    return s;
  }
  if (Status s = validateSecurityFlags(f); !s.isOk()) {
    return s;
  }
  if (Status s = validateLimitFlags(f); !s.isOk()) {
    return s;
  }
  if (f.max_operator_event_stream_subscribers < 1) {
    return {StatusCode::kInvalidArgument,
            "Flag '--max_operator_event_stream_subscribers' must be at least 1"};
  }
  if (f.registry_gc_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--registry_gc_interval' must be positive"};
  }
  if (f.registry_max_agent_age < std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--registry_max_agent_age' must not be negative"};
  }
  if (f.registry_max_agent_count < 0) {
    return {StatusCode::kInvalidArgument, "Flag '--registry_max_agent_count' must not be negative"};
  }
  if (f.registry == "replicated_log") {
    f.registry = "local";
  }
  if (f.allocation_interval <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--allocation_interval' must be positive"};
  }
  if (f.agent_ping_timeout <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--agent_ping_timeout' must be positive"};
  }
  if (auto bytes = parseBytes(f.offer_constraints_re2_max_mem); !bytes || *bytes == 0) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Flag '--offer_constraints_re2_max_mem' needs a size such as 4KB, got '{}'",
                        f.offer_constraints_re2_max_mem)};
  }
  if (f.offer_constraints_re2_max_program_size < 1) {
    return {StatusCode::kInvalidArgument,
            "Flag '--offer_constraints_re2_max_program_size' must be at least 1"};
  }
  if (f.max_agent_ping_timeouts < 1) {
    return {StatusCode::kInvalidArgument, "Flag '--max_agent_ping_timeouts' must be at least 1"};
  }
  if (f.offer_timeout < std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--offer_timeout' must not be negative"};
  }
  if (f.framework_heartbeat <= std::chrono::nanoseconds(0)) {
    return {StatusCode::kInvalidArgument, "Flag '--framework_heartbeat_interval' must be positive"};
  }
  if (f.registry != "local" && f.registry != "in_memory") {
    return {StatusCode::kInvalidArgument,
            fmt::format("Invalid value '{}' for flag '--registry': "
                        "expected 'local', 'replicated_log' or 'in_memory'",
                        f.registry)};
  }
  if (!f.webui_dir.empty()) {
    struct stat st {};
    if (::stat(f.webui_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Flag '--webui_dir': '{}' is not a directory", f.webui_dir)};
    }
  }
  if (!f.zk.empty()) {
    if (auto url = zk::Url::parse(f.zk); !url) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Invalid value for flag '--zk': {}", url.error().message())};
    }
  }
  if (auto rate = parseRemovalRate(f.agent_removal_rate_limit); !rate) {
    return rate.error();
  }
  if (auto limit = parseRemovalLimit(f.recovery_agent_removal_limit); !limit) {
    return limit.error();
  }
  if (auto domain = parseDomainFlag(f.domain); !domain) {
    return domain.error();
  }
  return {};
}

}  // namespace plateau::master
