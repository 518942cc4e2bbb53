#pragma once

// An app in Marathon's shape (what /v2/apps accepts and returns), parsed and validated from
// JSON with Marathon's error answers: a body that is not JSON or has a field of the wrong type
// is 400 "Invalid JSON"; values that break a rule are 422 "Object is not valid"; both list
// details per field path. Fields Marathon does not know are ignored.

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace plateau::apps {

struct PortDefinition {
  uint32_t port = 0;  // the service port once assigned (0 asks for one)
  std::string protocol = "tcp";
  std::string name;
  std::map<std::string, std::string> labels;
};

struct HealthCheck {
  std::string protocol = "HTTP";  // HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP
  std::string path = "/";
  std::optional<uint32_t> port_index;
  std::optional<uint32_t> port;
  std::string command;  // COMMAND only
  int grace_period_seconds = 300;
  int interval_seconds = 60;
  int timeout_seconds = 20;
  int max_consecutive_failures = 3;
  int delay_seconds = 15;
  bool ignore_http1xx = false;
};

// Marathon's readiness check: polled on a new task of a deployment until it answers one of
// `status_codes` on the port named `port_name`; until then the task does not count as ready.
struct ReadinessCheck {
  std::string name = "readinessCheck";
  std::string protocol = "HTTP";  // HTTP or HTTPS
  std::string path = "/";
  std::string port_name = "http-api";
  int interval_seconds = 30;
  int timeout_seconds = 10;
  std::vector<int> status_codes{200};
  bool preserve_last_response = false;
};

// A placement rule: ["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"], ...
struct Constraint {
  std::string field;
  std::string op;  // UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS
  std::optional<std::string> value;
};

struct FetchUri {
  std::string uri;
  bool executable = false;
  bool extract = true;
  bool cache = false;
};

struct App {
  std::string id;  // absolute path, e.g. "/shop/web"
  std::optional<std::string> cmd;
  std::optional<std::vector<std::string>> args;
  double cpus = 1;
  double mem = 128;
  double disk = 0;
  int gpus = 0;
  int instances = 1;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> labels;
  std::optional<std::string> user;
  std::vector<Constraint> constraints;
  std::vector<PortDefinition> port_definitions{PortDefinition{}};
  bool require_ports = false;
  std::vector<FetchUri> fetch;
  std::vector<HealthCheck> health_checks;
  std::vector<ReadinessCheck> readiness_checks;  // at most one, as Marathon
  double minimum_health_capacity = 1;
  double maximum_over_capacity = 1;
  int backoff_seconds = 1;
  double backoff_factor = 1.15;
  int max_launch_delay_seconds = 3600;
  std::string kill_selection = "YOUNGEST_FIRST";
  std::optional<int> task_kill_grace_period_seconds;
  bool unreachable_disabled = false;
  int unreachable_inactive_after_seconds = 0;
  int unreachable_expunge_after_seconds = 0;
  std::vector<std::string> accepted_resource_roles;
  std::vector<std::string> dependencies;
  json::Value container;  // as given (type MESOS); null when absent
  // Versions (Marathon's ISO-8601 timestamps): the latest change, the latest change to
  // anything but `instances`, and the latest scaling.
  std::string version;
  std::string last_config_change_at;
  std::string last_scaling_at;

  // Whether `other` differs in anything that needs new tasks (not instances, not versions).
  bool sameConfig(const App& other) const;
};

// One field's errors, at a JSON path like "/cpus" or "/constraints(0)".
struct FieldErrors {
  std::string path;
  std::vector<std::string> errors;
};

// Why a body was refused: `status` 400 (not JSON, wrong types) or 422 (invalid values).
struct Invalid {
  int status = 422;
  std::string message;
  std::vector<FieldErrors> details;

  // Marathon's body: {"message": ..., "details": [{"path": ..., "errors": [...]}]}.
  std::string toJson() const;
};

// Turns "shop/web", "/shop/web/" into "/shop/web" (relative to `base`, "/" by default; "." and
// ".." resolve); nullopt when a segment breaks Marathon's id rule (lower-case letters, digits,
// '-', '.', not starting or ending with '-' or '.').
std::optional<std::string> canonicalId(std::string_view id, std::string_view base = "/");
// The rule canonicalId applies, as Marathon words its error.
std::string idRuleMessage();

// Applies the fields of `body` (a JSON object) onto `base` and validates the result. `id` is
// the app id the URL names (empty for POST /v2/apps, where the body must carry it).
std::expected<App, Invalid> applyJson(const App& base, const json::Value& body,
                                      const std::string& id);
// The body parsed: 400 Invalid JSON with the parser's message when it is not JSON.
std::expected<json::Value, Invalid> parseBody(std::string_view body);

// The index in portDefinitions of the port a readiness check names, if any.
std::optional<size_t> readinessPortIndex(const App& app, const ReadinessCheck& check);

// The app's definition fields as Marathon returns them (no computed fields), inside an object
// the caller opened.
void writeAppFields(json::Writer& w, const App& app);
// The service ports (portDefinitions[*].port).
std::vector<uint32_t> servicePorts(const App& app);

}  // namespace plateau::apps
