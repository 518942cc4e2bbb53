#include "apps/app.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "apps/field_reader.h"
#include "apps/placement.h"

namespace plateau::apps {

namespace {

const std::set<std::string> kOperators = {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE",
                                          "UNLIKE", "MAX_PER", "IS"};
const std::set<std::string> kHealthProtocols = {"HTTP",       "HTTPS",       "TCP",      "COMMAND",
                                                "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"};
constexpr int kMaxInstances = 1'000'000;
constexpr double kMaxScalar = 1e9;

bool validSegment(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  // Dot-separated labels of [a-z0-9-], none starting or ending with '-'.
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

using Reader = FieldReader;

void readConstraints(Reader& r, const json::Value& v, App& app) {
  if (!v.isArray()) {
    r.typeError("/constraints", "jsarray");
    return;
  }
  app.constraints.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("/constraints({})", i);
    auto parts = r.strings(v[i], path);
    if (!parts) {
      continue;
    }
    if (parts->size() < 2 || parts->size() > 3) {
      r.ruleError(path, "Each constraint must have either 2 or 3 fields");
      continue;
    }
    Constraint c{(*parts)[0], (*parts)[1], std::nullopt};
    if (parts->size() == 3) {
      c.value = (*parts)[2];
    }
    if (c.field.empty()) {
      r.ruleError(path, "Missing field and operator");
    }
    if (!kOperators.contains(c.op)) {
      r.ruleError(path, fmt::format("Constraint operator must be one of {}", [] {
                    std::string all;
                    for (const char* op :
                         {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"}) {
                      all += (all.empty() ? "" : ", ") + std::string(op);
                    }
                    return all;
                  }()));
      continue;
    }
    bool needs_value = c.op == "CLUSTER" || c.op == "LIKE" || c.op == "UNLIKE" ||
                       c.op == "MAX_PER" || c.op == "IS";
    if (needs_value && !c.value) {
      r.ruleError(path, fmt::format("Value is required for {}", c.op));
      continue;
    }
    if (c.op == "UNIQUE" && c.value) {
      r.ruleError(path, "Value specified but not used");
    }
    if ((c.op == "LIKE" || c.op == "UNLIKE") && c.value && !likePatternValid(*c.value)) {
      r.ruleError(path, "Invalid regular expression " + *c.value);
    }
    if ((c.op == "MAX_PER" || (c.op == "GROUP_BY" && c.value)) && c.value) {
      char* end = nullptr;
      long n = std::strtol(c.value->c_str(), &end, 10);
      if (c.value->empty() || *end != '\0' || n < 0) {
        r.ruleError(path, "Value was not a valid integer");
      }
    }
    app.constraints.push_back(std::move(c));
  }
}

void readPortDefinitions(Reader& r, const json::Value& v, App& app) {
  if (!v.isArray()) {
    r.typeError("/portDefinitions", "jsarray");
    return;
  }
  app.port_definitions.clear();
  std::set<std::string> names;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("/portDefinitions({})", i);
    const auto& d = v[i];
    if (!d.isObject()) {
      r.typeError(path, "jsobject");
      continue;
    }
    PortDefinition p;
    if (const auto* port = d.find("port")) {
      auto n = r.integer(*port, path + "/port");
      if (n && (*n < 0 || *n > 65535)) {
        r.ruleError(path + "/port", "got " + std::to_string(*n) + ", expected between 0 and 65535");
      } else if (n) {
        p.port = static_cast<uint32_t>(*n);
      }
    }
    if (const auto* protocol = d.find("protocol")) {
      if (auto s = r.string(*protocol, path + "/protocol")) {
        if (*s != "tcp" && *s != "udp" && *s != "udp,tcp" && *s != "tcp,udp") {
          r.ruleError(path + "/protocol", "error.expected.enum: tcp, udp, udp,tcp");
        }
        p.protocol = *s;
      }
    }
    if (const auto* name = d.find("name")) {
      if (auto s = r.string(*name, path + "/name")) {
        if (!s->empty() && !names.insert(*s).second) {
          r.ruleError("/portDefinitions", "Port names must be unique.");
        }
        p.name = *s;
      }
    }
    if (const auto* labels = d.find("labels")) {
      if (auto m = r.stringMap(*labels, path + "/labels")) {
        p.labels = *m;
      }
    }
    app.port_definitions.push_back(std::move(p));
  }
}

void readPorts(Reader& r, const json::Value& v, App& app) {
  if (!v.isArray()) {
    r.typeError("/ports", "jsarray");
    return;
  }
  app.port_definitions.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("/ports({})", i);
    auto n = r.integer(v[i], path);
    if (n && (*n < 0 || *n > 65535)) {
      r.ruleError(path, "got " + std::to_string(*n) + ", expected between 0 and 65535");
    } else if (n) {
      app.port_definitions.push_back({.port = static_cast<uint32_t>(*n)});
    }
  }
}

void readHealthChecks(Reader& r, const json::Value& v, App& app) {
  if (!v.isArray()) {
    r.typeError("/healthChecks", "jsarray");
    return;
  }
  app.health_checks.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("/healthChecks({})", i);
    const auto& d = v[i];
    if (!d.isObject()) {
      r.typeError(path, "jsobject");
      continue;
    }
    HealthCheck h;
    if (const auto* p = d.find("protocol")) {
      if (auto s = r.string(*p, path + "/protocol")) {
        if (!kHealthProtocols.contains(*s)) {
          r.ruleError(path + "/protocol",
                      "error.expected.enum: HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS, "
                      "MESOS_TCP");
        }
        h.protocol = *s;
      }
    }
    if (const auto* p = d.find("path")) {
      if (auto s = r.string(*p, path + "/path")) {
        h.path = *s;
      }
    }
    auto readInt = [&](const char* key, int& target, int min) {
      if (const auto* p = d.find(key)) {
        if (auto n = r.integer(*p, path + "/" + key)) {
          if (*n < min) {
            r.ruleError(path + "/" + key, fmt::format("got {}, expected {} or more", *n, min));
          }
          target = *n;
        }
      }
    };
    readInt("gracePeriodSeconds", h.grace_period_seconds, 0);
    readInt("intervalSeconds", h.interval_seconds, 0);
    readInt("timeoutSeconds", h.timeout_seconds, 0);
    readInt("maxConsecutiveFailures", h.max_consecutive_failures, 0);
    readInt("delaySeconds", h.delay_seconds, 0);
    if (d.find("portIndex") != nullptr) {
      int n = 0;
      readInt("portIndex", n, 0);
      h.port_index = static_cast<uint32_t>(std::max(n, 0));
    }
    if (d.find("port") != nullptr) {
      int n = 0;
      readInt("port", n, 0);
      if (n > 65535) {
        r.ruleError(path + "/port", "got " + std::to_string(n) + ", expected 65535 or less");
      }
      h.port = static_cast<uint32_t>(std::max(n, 0));
    }
    if (const auto* p = d.find("ignoreHttp1xx")) {
      if (auto b = r.boolean(*p, path + "/ignoreHttp1xx")) {
        h.ignore_http1xx = *b;
      }
    }
    if (const auto* p = d.find("command")) {
      const json::Value* value = p->isObject() ? p->find("value") : nullptr;
      if (value == nullptr || !value->isString()) {
        r.typeError(path + "/command/value", "jsstring");
      } else {
        h.command = value->asString();
      }
    }
    if (h.protocol == "COMMAND" && h.command.empty()) {
      r.ruleError(path + "/command", "Command is required for a COMMAND health check");
    }
    app.health_checks.push_back(std::move(h));
  }
}

void readFetch(Reader& r, const json::Value& v, App& app) {
  if (!v.isArray()) {
    r.typeError("/fetch", "jsarray");
    return;
  }
  app.fetch.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("/fetch({})", i);
    const auto& d = v[i];
    const json::Value* uri = d.isObject() ? d.find("uri") : nullptr;
    if (uri == nullptr || !uri->isString()) {
      r.typeError(path + "/uri", "jsstring");
      continue;
    }
    FetchUri f{uri->asString()};
    for (auto [key, target] : {std::pair{"executable", &f.executable},
                               std::pair{"extract", &f.extract}, std::pair{"cache", &f.cache}}) {
      if (const auto* b = d.find(key)) {
        if (auto x = r.boolean(*b, path + "/" + key)) {
          *target = *x;
        }
      }
    }
    app.fetch.push_back(std::move(f));
  }
}

void readUris(Reader& r, const json::Value& v, App& app) {
  if (auto uris = r.strings(v, "/uris")) {
    app.fetch.clear();
    for (const auto& u : *uris) {
      bool archive = u.ends_with(".tgz") || u.ends_with(".tar.gz") || u.ends_with(".zip") ||
                     u.ends_with(".tar") || u.ends_with(".txz") || u.ends_with(".tbz2");
      app.fetch.push_back({.uri = u, .executable = false, .extract = archive});
    }
  }
}

void checkRange(Reader& r, const std::string& path, double value, double min, double max) {
  if (!std::isfinite(value) || value < min) {
    r.ruleError(path, fmt::format("got {}, expected {} or more", value, min));
  } else if (value > max) {
    r.ruleError(path, fmt::format("got {}, expected {} or less", value, max));
  }
}

void readReadinessChecks(Reader& r, const json::Value& v, App& app) {
  if (!v.isArray()) {
    r.typeError("/readinessChecks", "jsarray");
    return;
  }
  app.readiness_checks.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("/readinessChecks({})", i);
    const auto& d = v[i];
    if (!d.isObject()) {
      r.typeError(path, "jsobject");
      continue;
    }
    ReadinessCheck c;
    for (auto [key, target] : {std::pair{"name", &c.name}, std::pair{"protocol", &c.protocol},
                               std::pair{"path", &c.path}, std::pair{"portName", &c.port_name}}) {
      if (const auto* p = d.find(key); p != nullptr) {
        if (auto s = r.string(*p, path + "/" + key)) *target = *s;
      }
    }
    if (c.protocol != "HTTP" && c.protocol != "HTTPS") {
      r.ruleError(path + "/protocol", "error.expected.enum: HTTP, HTTPS");
    }
    for (auto [key, target] : {std::pair{"intervalSeconds", &c.interval_seconds},
                               std::pair{"timeoutSeconds", &c.timeout_seconds}}) {
      if (const auto* p = d.find(key); p != nullptr) {
        if (auto n = r.integer(*p, path + "/" + key)) {
          checkRange(r, path + "/" + key, *n, 1, INT32_MAX);
          *target = *n;
        }
      }
    }
    if (c.timeout_seconds >= c.interval_seconds) {
      r.ruleError(path, "timeoutSeconds must be less than intervalSeconds");
    }
    if (const auto* p = d.find("httpStatusCodesForReady")) {
      c.status_codes.clear();
      for (size_t k = 0; p->isArray() && k < p->size(); ++k) {
        if (auto n = r.integer((*p)[k], fmt::format("{}/httpStatusCodesForReady({})", path, k))) {
          c.status_codes.push_back(*n);
        }
      }
      if (!p->isArray()) r.typeError(path + "/httpStatusCodesForReady", "jsarray");
    }
    if (const auto* p = d.find("preserveLastResponse")) {
      if (auto b = r.boolean(*p, path + "/preserveLastResponse")) c.preserve_last_response = *b;
    }
    app.readiness_checks.push_back(std::move(c));
  }
  if (app.readiness_checks.size() > 1) {
    r.ruleError("/readinessChecks", "Only one readiness check is supported");
  }
}

// id: canonical, and the URL's when the call names one.
void readId(Reader& r, const json::Value& body, const std::string& id, App& app) {
  if (!id.empty()) {
    app.id = id;
  }
  if (const auto* v = body.find("id")) {
    if (auto s = r.string(*v, "/id")) {
      auto canonical = canonicalId(*s, id.empty() ? "/" : "/");
      if (!canonical) {
        r.ruleError("/id", idRuleMessage());
      } else if (!id.empty() && *canonical != id) {
        r.ruleError("/id",
                    "The id in the body (" + *canonical + ") does not match the URL (" + id + ")");
      } else {
        app.id = *canonical;
      }
    }
  }
  if (app.id.empty() || app.id == "/") {
    r.ruleError("/id", "An app needs an id: a path such as /shop/web");
  }
}

// cmd, args, env, labels and user.
void readCommand(Reader& r, const json::Value& body, App& app) {
  if (const auto* v = body.find("cmd")) {
    if (v->isNull()) {
      app.cmd.reset();
    } else if (auto s = r.string(*v, "/cmd")) {
      app.cmd = *s;
      if (s->empty()) {
        r.ruleError("/cmd", "error.minLength");
      }
    }
  }
  if (const auto* v = body.find("args")) {
    if (v->isNull()) {
      app.args.reset();
    } else if (auto a = r.strings(*v, "/args")) {
      app.args = *a;
    }
  }
  if (const auto* v = body.find("env")) {
    if (auto m = r.stringMap(*v, "/env")) {
      app.env = *m;
    }
  }
  if (const auto* v = body.find("labels")) {
    if (auto m = r.stringMap(*v, "/labels")) {
      app.labels = *m;
    }
  }
  if (const auto* v = body.find("user")) {
    if (v->isNull()) {
      app.user.reset();
    } else if (auto s = r.string(*v, "/user")) {
      app.user = *s;
    }
  }
}

// cpus, mem, disk, gpus, instances, the backoff and the kill grace period.
void readResources(Reader& r, const json::Value& body, App& app) {
  auto readScalar = [&](const char* key, double& target, double min) {
    if (const auto* v = body.find(key)) {
      if (auto n = r.number(*v, std::string("/") + key)) {
        checkRange(r, std::string("/") + key, *n, min, kMaxScalar);
        target = *n;
      }
    }
  };
  readScalar("cpus", app.cpus, 0);
  readScalar("mem", app.mem, 0);
  readScalar("disk", app.disk, 0);
  auto readInt = [&](const char* key, int& target, int min, int max) {
    if (const auto* v = body.find(key)) {
      if (auto n = r.integer(*v, std::string("/") + key)) {
        checkRange(r, std::string("/") + key, *n, min, max);
        target = *n;
      }
    }
  };
  readInt("gpus", app.gpus, 0, 1024);
  readInt("instances", app.instances, 0, kMaxInstances);
  readInt("backoffSeconds", app.backoff_seconds, 0, INT32_MAX);
  readInt("maxLaunchDelaySeconds", app.max_launch_delay_seconds, 0, INT32_MAX);
  if (const auto* v = body.find("backoffFactor")) {
    if (auto n = r.number(*v, "/backoffFactor")) {
      checkRange(r, "/backoffFactor", *n, 1, 1e6);
      app.backoff_factor = *n;
    }
  }
  if (const auto* v = body.find("taskKillGracePeriodSeconds")) {
    if (v->isNull()) {
      app.task_kill_grace_period_seconds.reset();
    } else if (auto n = r.integer(*v, "/taskKillGracePeriodSeconds")) {
      checkRange(r, "/taskKillGracePeriodSeconds", *n, 0, INT32_MAX);
      app.task_kill_grace_period_seconds = *n;
    }
  }
}

// constraints, ports, fetch and health checks.
void readPlacement(Reader& r, const json::Value& body, App& app) {
  if (const auto* v = body.find("constraints")) {
    readConstraints(r, *v, app);
  }
  if (const auto* v = body.find("portDefinitions")) {
    readPortDefinitions(r, *v, app);
  } else if (const auto* p = body.find("ports")) {
    readPorts(r, *p, app);
  }
  if (const auto* v = body.find("requirePorts")) {
    if (auto b = r.boolean(*v, "/requirePorts")) {
      app.require_ports = *b;
    }
  }
  if (const auto* v = body.find("fetch")) {
    readFetch(r, *v, app);
  } else if (const auto* u = body.find("uris")) {
    readUris(r, *u, app);
  }
  if (const auto* v = body.find("healthChecks")) {
    readHealthChecks(r, *v, app);
  }
  if (const auto* v = body.find("readinessChecks")) {
    readReadinessChecks(r, *v, app);
  }
}

// upgradeStrategy.
void readUpgradeStrategy(Reader& r, const json::Value& body, App& app) {
  if (const auto* v = body.find("upgradeStrategy")) {
    if (!v->isObject()) {
      r.typeError("/upgradeStrategy", "jsobject");
    } else {
      for (auto [key, target] : {std::pair{"minimumHealthCapacity", &app.minimum_health_capacity},
                                 std::pair{"maximumOverCapacity", &app.maximum_over_capacity}}) {
        if (const auto* n = v->find(key)) {
          std::string path = std::string("/upgradeStrategy/") + key;
          if (auto x = r.number(*n, path)) {
            if (*x > 1) {
              r.ruleError(path, "is greater than 1");
            } else if (*x < 0) {
              r.ruleError(path, "is less than 0");
            }
            *target = *x;
          }
        }
      }
    }
  }
}

// killSelection and unreachableStrategy.
void readLifecycle(Reader& r, const json::Value& body, App& app) {
  if (const auto* v = body.find("killSelection")) {
    if (auto s = r.string(*v, "/killSelection")) {
      if (*s != "YOUNGEST_FIRST" && *s != "OLDEST_FIRST") {
        r.ruleError("/killSelection", "error.expected.enum: YOUNGEST_FIRST, OLDEST_FIRST");
      }
      app.kill_selection = *s;
    }
  }
  if (const auto* v = body.find("unreachableStrategy")) {
    if (v->isString()) {
      if (v->asString() != "disabled") {
        r.ruleError("/unreachableStrategy", "error.expected.disabled");
      }
      app.unreachable_disabled = true;
    } else if (v->isObject()) {
      app.unreachable_disabled = false;
      for (auto [key, target] :
           {std::pair{"inactiveAfterSeconds", &app.unreachable_inactive_after_seconds},
            std::pair{"expungeAfterSeconds", &app.unreachable_expunge_after_seconds}}) {
        if (const auto* n = v->find(key)) {
          std::string path = std::string("/unreachableStrategy/") + key;
          if (auto x = r.integer(*n, path)) {
            checkRange(r, path, *x, 0, INT32_MAX);
            *target = *x;
          }
        }
      }
      if (app.unreachable_inactive_after_seconds > app.unreachable_expunge_after_seconds) {
        r.ruleError("/unreachableStrategy/inactiveAfterSeconds",
                    "inactiveAfterSeconds must be less or equal to expungeAfterSeconds");
      }
    } else {
      r.typeError("/unreachableStrategy", "jsobject");
    }
  }
}

// acceptedResourceRoles, dependencies and container.
void readOthers(Reader& r, const json::Value& body, App& app) {
  if (const auto* v = body.find("acceptedResourceRoles"); v && !v->isNull()) {
    if (auto a = r.strings(*v, "/acceptedResourceRoles")) {
      app.accepted_resource_roles = *a;
    }
  }
  if (const auto* v = body.find("dependencies")) {
    if (auto a = r.strings(*v, "/dependencies")) {
      app.dependencies = *a;
    }
  }
  if (const auto* v = body.find("container")) {
    if (v->isNull()) {
      app.container = json::Value();
    } else if (!v->isObject()) {
      r.typeError("/container", "jsobject");
    } else {
      const auto& type = (*v)["type"];
      if (!type.isNull() && type.asString() != "MESOS") {
        r.ruleError("/container/type",
                    "Only the MESOS container type is supported (Docker images come with "
                    "Plateau's container-image support)");
      }
      app.container = *v;
    }
  }
}

// The rules across fields: cmd or args, health check port indices, required ports.
void checkWhole(Reader& r, const App& app) {
  if (app.cmd && app.args) {
    r.ruleError("/",
                "AppDefinition must either contain one of 'cmd' or 'args', and/or a "
                "'container'.");
  } else if (!app.cmd && !app.args) {
    r.ruleError("/",
                "AppDefinition must either contain one of 'cmd' or 'args', and/or a "
                "'container'.");
  }
  for (size_t i = 0; i < app.health_checks.size(); ++i) {
    const auto& h = app.health_checks[i];
    bool uses_port = h.protocol != "COMMAND";
    if (uses_port && !h.port) {
      uint32_t index = h.port_index.value_or(0);
      if (index >= app.port_definitions.size()) {
        r.ruleError(fmt::format("/healthChecks({})", i),
                    "Health check port indices must address an element of the ports array or "
                    "container port mappings.");
      }
    }
  }
  for (size_t i = 0; i < app.readiness_checks.size(); ++i) {
    if (!readinessPortIndex(app, app.readiness_checks[i])) {
      r.ruleError(fmt::format("/readinessChecks({})/portName", i),
                  "ReadinessCheck portName must be the name of one of the portDefinitions");
    }
  }
  if (app.require_ports) {
    for (size_t i = 0; i < app.port_definitions.size(); ++i) {
      if (app.port_definitions[i].port == 0) {
        r.ruleError(fmt::format("/portDefinitions({})/port", i),
                    "requirePorts needs a non-zero port");
      }
    }
  }
}

}  // namespace

std::optional<size_t> readinessPortIndex(const App& app, const ReadinessCheck& check) {
  for (size_t i = 0; i < app.port_definitions.size(); ++i) {
    if (app.port_definitions[i].name == check.port_name) {
      return i;
    }
  }
  return std::nullopt;
}

bool App::sameConfig(const App& o) const {
  App a = *this;
  App b = o;
  a.instances = b.instances = 0;
  a.version = b.version = a.last_config_change_at = b.last_config_change_at = a.last_scaling_at =
      b.last_scaling_at = "";
  std::string ja, jb;
  json::Writer wa(&ja), wb(&jb);
  wa.beginObject();
  writeAppFields(wa, a);
  wa.endObject();
  wb.beginObject();
  writeAppFields(wb, b);
  wb.endObject();
  return ja == jb;
}

std::string Invalid::toJson() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("message");
  w.value(message);
  w.key("details");
  w.beginArray();
  for (const auto& d : details) {
    w.beginObject();
    w.key("path");
    w.value(d.path);
    w.key("errors");
    w.beginArray();
    for (const auto& e : d.errors) {
      w.value(e);
    }
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return out;
}

std::optional<std::string> canonicalId(std::string_view id, std::string_view base) {
  std::vector<std::string> parts;
  auto push = [&](std::string_view text) -> bool {
    size_t start = 0;
    while (start <= text.size()) {
      size_t slash = text.find('/', start);
      if (slash == std::string_view::npos) {
        slash = text.size();
      }
      std::string_view seg = text.substr(start, slash - start);
      start = slash + 1;
      if (seg.empty() || seg == ".") {
        continue;
      }
      if (seg == "..") {
        if (!parts.empty()) {
          parts.pop_back();
        }
        continue;
      }
      if (!validSegment(seg)) {
        return false;
      }
      parts.emplace_back(seg);
    }
    return true;
  };
  if (!id.starts_with('/') && !push(base)) {
    return std::nullopt;
  }
  if (!push(id)) {
    return std::nullopt;
  }
  std::string out;
  for (const auto& p : parts) {
    out += "/" + p;
  }
  return out.empty() ? "/" : out;
}

std::string idRuleMessage() {
  return "must fully match regular expression "
         "'^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|"
         "(\\.|\\.\\.)$'";
}

std::expected<json::Value, Invalid> parseBody(std::string_view body) {
  auto v = json::parse(body);
  if (!v) {
    return std::unexpected(Invalid{400, "Invalid JSON", {{"/", {v.error().message()}}}});
  }
  return std::move(*v);
}

std::expected<App, Invalid> applyJson(const App& base, const json::Value& body,
                                      const std::string& id) {
  Reader r;
  if (!body.isObject()) {
    r.typeError("/", "jsobject");
    return std::unexpected(r.invalid());
  }
  App app = base;
  readId(r, body, id, app);
  readCommand(r, body, app);
  readResources(r, body, app);
  readPlacement(r, body, app);
  readUpgradeStrategy(r, body, app);
  readLifecycle(r, body, app);
  readOthers(r, body, app);
  checkWhole(r, app);
  if (r.failed()) {
    return std::unexpected(r.invalid());
  }
  return app;
}

}  // namespace plateau::apps
