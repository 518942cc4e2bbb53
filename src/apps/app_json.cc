// An app written as Marathon's JSON (the fields of its definition; the API adds the computed
// ones).

#include <map>
#include <string>

#include "apps/app.h"
#include "common/json_fields.h"

namespace plateau::apps {

namespace {

void writeStringMap(json::Writer& w, const char* key, const std::map<std::string, std::string>& m) {
  w.key(key);
  w.beginObject();
  for (const auto& [k, v] : m) {
    field(w, k, v);
  }
  w.endObject();
}

// id, cmd, args, user, env, instances and the resources.
void writeCommandAndResources(json::Writer& w, const App& app) {
  field(w, "id", app.id);
  w.key("cmd");
  app.cmd ? w.value(*app.cmd) : w.null();
  w.key("args");
  app.args ? values(w, *app.args) : w.null();
  w.key("user");
  app.user ? w.value(*app.user) : w.null();
  writeStringMap(w, "env", app.env);
  field(w, "instances", app.instances);
  field(w, "cpus", app.cpus);
  field(w, "mem", app.mem);
  field(w, "disk", app.disk);
  field(w, "gpus", app.gpus);
  field(w, "executor", "");
}

// constraints, uris, fetch and storeUrls.
void writePlacementAndFetch(json::Writer& w, const App& app) {
  w.key("constraints");
  w.beginArray();
  for (const auto& c : app.constraints) {
    w.beginArray();
    w.value(c.field);
    w.value(c.op);
    if (c.value) {
      w.value(*c.value);
    }
    w.endArray();
  }
  w.endArray();
  w.key("uris");
  w.beginArray();
  for (const auto& f : app.fetch) {
    w.value(f.uri);
  }
  w.endArray();
  w.key("fetch");
  w.beginArray();
  for (const auto& f : app.fetch) {
    w.beginObject();
    field(w, "uri", f.uri);
    field(w, "extract", f.extract);
    field(w, "executable", f.executable);
    field(w, "cache", f.cache);
    w.endObject();
  }
  w.endArray();
  w.key("storeUrls");
  w.beginArray();
  w.endArray();
}

void writeHealthCheck(json::Writer& w, const HealthCheck& h) {
  w.beginObject();
  field(w, "protocol", h.protocol);
  if (h.protocol == "HTTP" || h.protocol == "HTTPS" || h.protocol == "MESOS_HTTP" ||
      h.protocol == "MESOS_HTTPS") {
    field(w, "path", h.path);
  }
  if (h.protocol != "COMMAND") {
    field(w, h.port ? "port" : "portIndex", h.port ? *h.port : h.port_index.value_or(0));
  } else {
    w.key("command");
    w.beginObject();
    field(w, "value", h.command);
    w.endObject();
  }
  field(w, "gracePeriodSeconds", h.grace_period_seconds);
  field(w, "intervalSeconds", h.interval_seconds);
  field(w, "timeoutSeconds", h.timeout_seconds);
  field(w, "maxConsecutiveFailures", h.max_consecutive_failures);
  if (h.protocol.starts_with("MESOS_") || h.protocol == "COMMAND") {
    field(w, "delaySeconds", h.delay_seconds);
  }
  if (h.protocol == "HTTP" || h.protocol == "HTTPS") {
    field(w, "ignoreHttp1xx", h.ignore_http1xx);
  }
  w.endObject();
}

void writeReadinessCheck(json::Writer& w, const ReadinessCheck& c) {
  w.beginObject();
  field(w, "name", c.name);
  field(w, "protocol", c.protocol);
  field(w, "path", c.path);
  field(w, "portName", c.port_name);
  field(w, "intervalSeconds", c.interval_seconds);
  field(w, "timeoutSeconds", c.timeout_seconds);
  w.key("httpStatusCodesForReady");
  values(w, c.status_codes);
  field(w, "preserveLastResponse", c.preserve_last_response);
  w.endObject();
}

// backoff, container, health and readiness checks, dependencies, upgradeStrategy, labels,
// acceptedResourceRoles.
void writeBehaviour(json::Writer& w, const App& app) {
  field(w, "backoffSeconds", app.backoff_seconds);
  field(w, "backoffFactor", app.backoff_factor);
  field(w, "maxLaunchDelaySeconds", app.max_launch_delay_seconds);
  field(w, "container", app.container);
  w.key("healthChecks");
  w.beginArray();
  for (const auto& h : app.health_checks) {
    writeHealthCheck(w, h);
  }
  w.endArray();
  w.key("readinessChecks");
  w.beginArray();
  for (const auto& c : app.readiness_checks) {
    writeReadinessCheck(w, c);
  }
  w.endArray();
  w.key("dependencies");
  values(w, app.dependencies);
  w.key("upgradeStrategy");
  w.beginObject();
  field(w, "minimumHealthCapacity", app.minimum_health_capacity);
  field(w, "maximumOverCapacity", app.maximum_over_capacity);
  w.endObject();
  writeStringMap(w, "labels", app.labels);
  w.key("acceptedResourceRoles");
  app.accepted_resource_roles.empty() ? w.null() : values(w, app.accepted_resource_roles);
}

// version, versionInfo, killSelection, unreachableStrategy, taskKillGracePeriodSeconds.
void writeVersionAndLifecycle(json::Writer& w, const App& app) {
  field(w, "version", app.version);
  w.key("versionInfo");
  w.beginObject();
  field(w, "lastScalingAt", app.last_scaling_at);
  field(w, "lastConfigChangeAt", app.last_config_change_at);
  w.endObject();
  field(w, "killSelection", app.kill_selection);
  w.key("unreachableStrategy");
  if (app.unreachable_disabled) {
    w.value("disabled");
  } else {
    w.beginObject();
    field(w, "inactiveAfterSeconds", app.unreachable_inactive_after_seconds);
    field(w, "expungeAfterSeconds", app.unreachable_expunge_after_seconds);
    w.endObject();
  }
  if (app.task_kill_grace_period_seconds) {
    field(w, "taskKillGracePeriodSeconds", *app.task_kill_grace_period_seconds);
  }
}

void writePorts(json::Writer& w, const App& app) {
  w.key("ports");
  w.beginArray();
  for (auto p : servicePorts(app)) {
    w.value(p);
  }
  w.endArray();
  w.key("portDefinitions");
  w.beginArray();
  for (const auto& p : app.port_definitions) {
    w.beginObject();
    field(w, "port", p.port);
    field(w, "protocol", p.protocol);
    if (!p.name.empty()) {
      field(w, "name", p.name);
    }
    writeStringMap(w, "labels", p.labels);
    w.endObject();
  }
  w.endArray();
  field(w, "requirePorts", app.require_ports);
}

}  // namespace

std::vector<uint32_t> servicePorts(const App& app) {
  std::vector<uint32_t> out;
  for (const auto& p : app.port_definitions) {
    out.push_back(p.port);
  }
  return out;
}

void writeAppFields(json::Writer& w, const App& app) {
  writeCommandAndResources(w, app);
  writePlacementAndFetch(w, app);
  writeBehaviour(w, app);
  writeVersionAndLifecycle(w, app);
  writePorts(w, app);
}

}  // namespace plateau::apps
