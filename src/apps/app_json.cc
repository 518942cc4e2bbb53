// An app written as Marathon's JSON (the fields of its definition; the API adds the computed
// ones).

#include <map>
#include <string>

#include "apps/app.h"

namespace plateau::apps {

namespace {

void writeStringMap(json::Writer& w, const char* key, const std::map<std::string, std::string>& m) {
  w.key(key);
  w.beginObject();
  for (const auto& [k, v] : m) {
    w.key(k);
    w.value(v);
  }
  w.endObject();
}

void writeStrings(json::Writer& w, const std::vector<std::string>& list) {
  w.beginArray();
  for (const auto& s : list) {
    w.value(s);
  }
  w.endArray();
}

// id, cmd, args, user, env, instances and the resources.
void writeCommandAndResources(json::Writer& w, const App& app) {
  w.key("id");
  w.value(app.id);
  w.key("cmd");
  app.cmd ? w.value(*app.cmd) : w.null();
  w.key("args");
  app.args ? writeStrings(w, *app.args) : w.null();
  w.key("user");
  app.user ? w.value(*app.user) : w.null();
  writeStringMap(w, "env", app.env);
  w.key("instances");
  w.value(app.instances);
  w.key("cpus");
  w.value(app.cpus);
  w.key("mem");
  w.value(app.mem);
  w.key("disk");
  w.value(app.disk);
  w.key("gpus");
  w.value(app.gpus);
  w.key("executor");
  w.value("");
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
    w.key("uri");
    w.value(f.uri);
    w.key("extract");
    w.value(f.extract);
    w.key("executable");
    w.value(f.executable);
    w.key("cache");
    w.value(f.cache);
    w.endObject();
  }
  w.endArray();
  w.key("storeUrls");
  w.beginArray();
  w.endArray();
}

void writeHealthCheck(json::Writer& w, const HealthCheck& h) {
  w.beginObject();
  w.key("protocol");
  w.value(h.protocol);
  if (h.protocol == "HTTP" || h.protocol == "HTTPS" || h.protocol == "MESOS_HTTP" ||
      h.protocol == "MESOS_HTTPS") {
    w.key("path");
    w.value(h.path);
  }
  if (h.protocol != "COMMAND") {
    w.key(h.port ? "port" : "portIndex");
    w.value(h.port ? *h.port : h.port_index.value_or(0));
  } else {
    w.key("command");
    w.beginObject();
    w.key("value");
    w.value(h.command);
    w.endObject();
  }
  w.key("gracePeriodSeconds");
  w.value(h.grace_period_seconds);
  w.key("intervalSeconds");
  w.value(h.interval_seconds);
  w.key("timeoutSeconds");
  w.value(h.timeout_seconds);
  w.key("maxConsecutiveFailures");
  w.value(h.max_consecutive_failures);
  if (h.protocol.starts_with("MESOS_") || h.protocol == "COMMAND") {
    w.key("delaySeconds");
    w.value(h.delay_seconds);
  }
  if (h.protocol == "HTTP" || h.protocol == "HTTPS") {
    w.key("ignoreHttp1xx");
    w.value(h.ignore_http1xx);
  }
  w.endObject();
}

void writeReadinessCheck(json::Writer& w, const ReadinessCheck& c) {
  w.beginObject();
  w.key("name");
  w.value(c.name);
  w.key("protocol");
  w.value(c.protocol);
  w.key("path");
  w.value(c.path);
  w.key("portName");
  w.value(c.port_name);
  w.key("intervalSeconds");
  w.value(c.interval_seconds);
  w.key("timeoutSeconds");
  w.value(c.timeout_seconds);
  w.key("httpStatusCodesForReady");
  w.beginArray();
  for (int code : c.status_codes) {
    w.value(code);
  }
  w.endArray();
  w.key("preserveLastResponse");
  w.value(c.preserve_last_response);
  w.endObject();
}

// backoff, container, health and readiness checks, dependencies, upgradeStrategy, labels,
// acceptedResourceRoles.
void writeBehaviour(json::Writer& w, const App& app) {
  w.key("backoffSeconds");
  w.value(app.backoff_seconds);
  w.key("backoffFactor");
  w.value(app.backoff_factor);
  w.key("maxLaunchDelaySeconds");
  w.value(app.max_launch_delay_seconds);
  w.key("container");
  w.value(app.container);
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
  writeStrings(w, app.dependencies);
  w.key("upgradeStrategy");
  w.beginObject();
  w.key("minimumHealthCapacity");
  w.value(app.minimum_health_capacity);
  w.key("maximumOverCapacity");
  w.value(app.maximum_over_capacity);
  w.endObject();
  writeStringMap(w, "labels", app.labels);
  w.key("acceptedResourceRoles");
  app.accepted_resource_roles.empty() ? w.null() : writeStrings(w, app.accepted_resource_roles);
}

// version, versionInfo, killSelection, unreachableStrategy, taskKillGracePeriodSeconds.
void writeVersionAndLifecycle(json::Writer& w, const App& app) {
  w.key("version");
  w.value(app.version);
  w.key("versionInfo");
  w.beginObject();
  w.key("lastScalingAt");
  w.value(app.last_scaling_at);
  w.key("lastConfigChangeAt");
  w.value(app.last_config_change_at);
  w.endObject();
  w.key("killSelection");
  w.value(app.kill_selection);
  w.key("unreachableStrategy");
  if (app.unreachable_disabled) {
    w.value("disabled");
  } else {
    w.beginObject();
    w.key("inactiveAfterSeconds");
    w.value(app.unreachable_inactive_after_seconds);
    w.key("expungeAfterSeconds");
    w.value(app.unreachable_expunge_after_seconds);
    w.endObject();
  }
  if (app.task_kill_grace_period_seconds) {
    w.key("taskKillGracePeriodSeconds");
    w.value(*app.task_kill_grace_period_seconds);
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
    w.key("port");
    w.value(p.port);
    w.key("protocol");
    w.value(p.protocol);
    if (!p.name.empty()) {
      w.key("name");
      w.value(p.name);
    }
    writeStringMap(w, "labels", p.labels);
    w.endObject();
  }
  w.endArray();
  w.key("requirePorts");
  w.value(app.require_ports);
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
