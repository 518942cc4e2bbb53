// The /v2/apps family of Marathon's API.

#include <algorithm>

#include <fmt/format.h>

#include "apps/api.h"

namespace plateau::apps {

http::Response invalidAnswer(const Invalid& invalid) {
  return service::jsonAnswer(invalid.status, invalid.toJson());
}

namespace {

// Distinct GET /v2/apps queries kept per generation (beyond: the cache starts over).
constexpr size_t kListCacheSize = 32;

bool wantsText(const http::Request& request) {
  std::string accept = request.header("accept");
  return accept.find("text/plain") != std::string::npos &&
         accept.find("application/json") == std::string::npos;
}

}  // namespace

std::string Api::appId(const service::Call& call) const {
  return canonicalId(call.param("id")).value_or("");
}

void Api::writeApp(json::Writer& w, const App& app, bool tasks) const {
  TaskCounts counts = orchestrator_.countsOf(app.id);
  w.beginObject();
  writeAppFields(w, app);
  w.key("tasksStaged");
  w.value(counts.staged);
  w.key("tasksRunning");
  w.value(counts.running);
  w.key("tasksHealthy");
  w.value(counts.healthy);
  w.key("tasksUnhealthy");
  w.value(counts.unhealthy);
  if (const TaskFailure* f = orchestrator_.lastFailure(app.id)) {
    w.key("lastTaskFailure");
    writeTaskFailure(w, *f);
  }
  w.key("deployments");
  w.beginArray();
  for (const auto& id : orchestrator_.deploymentsOf(app.id)) {
    w.beginObject();
    w.key("id");
    w.value(id);
    w.endObject();
  }
  w.endArray();
  if (tasks) {
    w.key("tasks");
    w.beginArray();
    for (const auto* i : orchestrator_.instancesOf(app.id)) {
      writeTask(w, *i, &app);
    }
    w.endArray();
  }
  w.endObject();
}

bool labelsMatch(const std::map<std::string, std::string>& labels, const std::string& selector) {
  // Split on commas outside parentheses.
  std::vector<std::string> terms;
  std::string term;
  int depth = 0;
  for (char c : selector) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (c == ',' && depth == 0) {
      terms.push_back(term);
      term.clear();
    } else {
      term += c;
    }
  }
  terms.push_back(term);
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  };
  for (auto& raw : terms) {
    std::string t = trim(raw);
    if (t.empty()) {
      continue;
    }
    size_t op;
    if ((op = t.find("==")) != std::string::npos || (op = t.find("!=")) != std::string::npos) {
      bool equal = t[op] == '=';
      std::string key = trim(t.substr(0, op));
      std::string value = trim(t.substr(op + 2));
      auto it = labels.find(key);
      if (it == labels.end() || (it->second == value) != equal) {
        return false;
      }
      continue;
    }
    size_t paren = t.find('(');
    if (paren != std::string::npos) {
      std::string head = trim(t.substr(0, paren));
      size_t space = head.rfind(' ');
      std::string key = trim(head.substr(0, space));
      std::string op_name = space == std::string::npos ? "" : trim(head.substr(space));
      std::string list = t.substr(paren + 1, t.rfind(')') - paren - 1);
      std::vector<std::string> values;
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) {
          comma = list.size();
        }
        values.push_back(trim(list.substr(start, comma - start)));
        start = comma + 1;
      }
      auto it = labels.find(key);
      if (it == labels.end()) {
        return false;
      }
      bool in = std::find(values.begin(), values.end(), it->second) != values.end();
      if ((op_name == "in") != in) {
        return false;
      }
      continue;
    }
    if (!labels.contains(t)) {
      return false;
    }
  }
  return true;
}

void Api::listApps(service::Call& call, http::Responder r) {
  auto id_filter = call.request.queryParam("id").value_or("");
  auto cmd_filter = call.request.queryParam("cmd").value_or("");
  auto label_filter = call.request.queryParam("label").value_or("");
  bool tasks = false;
  for (const auto& e : call.queryValues("embed")) {
    tasks = tasks || e == "apps.tasks" || e == "apps.failures";
  }
  std::string key = fmt::format("{}\n{}\n{}\n{}", tasks, id_filter, cmd_filter, label_filter);
  if (list_generation_ != orchestrator_.generation() || list_cache_.size() >= kListCacheSize) {
    list_cache_.clear();
    list_generation_ = orchestrator_.generation();
  }
  if (auto hit = list_cache_.find(key); hit != list_cache_.end()) {
    r.respond(service::jsonAnswer(200, hit->second));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("apps");
  w.beginArray();
  for (const auto& [id, app] : orchestrator_.apps()) {
    if (!id_filter.empty() && id.find(id_filter) == std::string::npos) {
      continue;
    }
    if (!cmd_filter.empty() && (!app.cmd || app.cmd->find(cmd_filter) == std::string::npos)) {
      continue;
    }
    if (!label_filter.empty() && !labelsMatch(app.labels, label_filter)) {
      continue;
    }
    writeApp(w, app, tasks);
  }
  w.endArray();
  w.endObject();
  list_cache_[key] = out;
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::apiPostEvent(const service::Call& call, const App& app) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("clientIp");
  w.value(call.request.header("x-forwarded-for"));
  w.key("uri");
  w.value(call.request.path);
  w.key("appDefinition");
  w.beginObject();
  writeAppFields(w, app);
  w.endObject();
  w.key("eventType");
  w.value("api_post_event");
  w.key("timestamp");
  w.value(now());
  w.endObject();
  publish("api_post_event", out);
}

void Api::createApp(service::Call& call, http::Responder r) {
  auto body = parseBody(call.request.body);
  if (!body) {
    r.respond(invalidAnswer(body.error()));
    return;
  }
  auto app = applyJson(App{}, *body, "");
  if (!app) {
    r.respond(invalidAnswer(app.error()));
    return;
  }
  auto change = orchestrator_.createApp(*app);
  if (!change) {
    r.respond(refusalAnswer(change.error()));
    return;
  }
  const App& created = *orchestrator_.app(app->id);
  apiPostEvent(call, created);
  std::string out;
  json::Writer w(&out);
  writeApp(w, created, false);
  auto response = service::jsonAnswer(201, std::move(out));
  response.headers["location"] = "/v2/apps" + created.id;
  response.headers["marathon-deployment-id"] = change->deployment_id;
  r.respond(std::move(response));
}

void Api::showApp(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  const App* app = orchestrator_.app(id);
  if (app == nullptr) {
    r.respond(service::messageAnswer(404, fmt::format("App '{}' does not exist", id)));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("app");
  writeApp(w, *app, true);
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::putApp(service::Call& call, http::Responder r, bool patch) {
  auto id = canonicalId(call.param("id"));
  if (!id) {
    r.respond(invalidAnswer({422, "Object is not valid", {{"/id", {idRuleMessage()}}}}));
    return;
  }
  auto body = parseBody(call.request.body);
  if (!body) {
    r.respond(invalidAnswer(body.error()));
    return;
  }
  bool created = orchestrator_.app(*id) == nullptr;
  auto app = appFromBody(*id, *body, patch || call.queryFlag("partialUpdate", true));
  if (!app) {
    r.respond(invalidAnswer(app.error()));
    return;
  }
  auto change = orchestrator_.putApp(*app, call.queryFlag("force"));
  if (!change) {
    r.respond(refusalAnswer(change.error()));
    return;
  }
  apiPostEvent(call, *orchestrator_.app(*id));
  r.respond(changeAnswer(*change, created ? 201 : 200));
}

std::expected<App, Invalid> Api::appFromBody(const std::string& id, const json::Value& body,
                                             bool partial) const {
  const App* existing = orchestrator_.app(id);
  return applyJson(existing != nullptr && partial ? *existing : App{}, body, id);
}

std::expected<std::vector<App>, Invalid> Api::parseApps(const json::Value& list,
                                                        const std::string& base_group,
                                                        bool partial) const {
  std::vector<App> apps;
  for (size_t k = 0; k < list.asArray().size(); ++k) {
    const json::Value& item = list.asArray()[k];
    std::string where = fmt::format("/({})", k);
    auto id = item["id"].isString() ? canonicalId(item["id"].asString(), base_group) : std::nullopt;
    if (!id) {
      return std::unexpected(
          Invalid{422, "Object is not valid", {{where + "/id", {idRuleMessage()}}}});
    }
    json::Value absolute = item;  // the id as an absolute path, as applyJson compares it
    absolute.set("id", json::Value(*id));
    auto app = appFromBody(*id, absolute, partial);
    if (!app) {
      Invalid invalid = app.error();
      for (auto& d : invalid.details) {
        d.path = where + d.path;
      }
      return std::unexpected(invalid);
    }
    apps.push_back(std::move(*app));
  }
  return apps;
}

std::optional<Refusal> Api::heldByDeployments(const std::vector<App>& apps) const {
  std::vector<std::string> held;
  for (const auto& app : apps) {
    for (auto& d : orchestrator_.deploymentsOf(app.id)) {
      held.push_back(std::move(d));
    }
  }
  if (held.empty()) {
    return std::nullopt;
  }
  std::string first = held.front();
  return Refusal{409,
                 fmt::format("App is locked by one or more deployments. Override with the "
                             "option '?force=true'. View details at '/v2/deployments/{}'.",
                             first),
                 held};
}

void Api::putApps(service::Call& call, http::Responder r, bool patch) {
  auto body = parseBody(call.request.body);
  if (!body) {
    r.respond(invalidAnswer(body.error()));
    return;
  }
  if (!body->isArray()) {
    r.respond(invalidAnswer({400, "Invalid JSON", {{"", {"error.expected.jsarray"}}}}));
    return;
  }
  auto apps = parseApps(*body, "/", patch || call.queryFlag("partialUpdate", true));
  if (!apps) {
    r.respond(invalidAnswer(apps.error()));
    return;
  }
  if (apps->empty()) {
    r.respond(invalidAnswer({422, "Object is not valid", {{"", {"no apps given"}}}}));
    return;
  }
  r.respond(deployApps(call, *apps, 200));
}

http::Response Api::deployApps(service::Call& call, const std::vector<App>& apps, int status) {
  bool force = call.queryFlag("force");
  if (auto held = heldByDeployments(apps); held && !force) {
    return refusalAnswer(*held);
  }
  auto change = orchestrator_.putApps(apps, force);
  for (const auto& app : apps) {
    if (const App* stored = orchestrator_.app(app.id); stored != nullptr) {
      apiPostEvent(call, *stored);
    }
  }
  return change ? changeAnswer(*change, status) : refusalAnswer(change.error());
}

void Api::deleteApp(service::Call& call, http::Responder r) {
  auto change = orchestrator_.deleteApp(appId(call), call.queryFlag("force"));
  if (!change) {
    r.respond(refusalAnswer(change.error()));
    return;
  }
  r.respond(changeAnswer(*change));
}

void Api::restartApp(service::Call& call, http::Responder r) {
  auto change = orchestrator_.restartApp(appId(call), call.queryFlag("force"));
  if (!change) {
    r.respond(refusalAnswer(change.error()));
    return;
  }
  r.respond(changeAnswer(*change));
}

void Api::appTasks(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  const App* app = orchestrator_.app(id);
  if (app == nullptr) {
    r.respond(service::messageAnswer(404, fmt::format("App '{}' does not exist", id)));
    return;
  }
  auto instances = orchestrator_.instancesOf(id);
  if (wantsText(call.request)) {
    std::string text;
    auto ports = servicePorts(*app);
    for (size_t k = 0; k < std::max<size_t>(ports.size(), 1); ++k) {
      text += id.substr(1) + "\t" + (k < ports.size() ? std::to_string(ports[k]) : "") + "\t";
      for (const auto* i : instances) {
        if (k < i->host_ports.size()) {
          text += i->place.hostname + ":" + std::to_string(i->host_ports[k]) + "\t";
        }
      }
      text += "\n";
    }
    r.respond(http::Response::text(200, std::move(text)));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("tasks");
  w.beginArray();
  for (const auto* i : instances) {
    writeTask(w, *i, app);
  }
  w.endArray();
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::killAppTasks(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  const App* app = orchestrator_.app(id);
  if (app == nullptr) {
    r.respond(service::messageAnswer(404, fmt::format("App '{}' does not exist", id)));
    return;
  }
  auto host = call.request.queryParam("host");
  std::vector<std::string> ids;
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("tasks");
  w.beginArray();
  for (const auto* i : orchestrator_.instancesOf(id)) {
    if (host && !host->empty() && *host != "*" && i->place.hostname != *host) {
      continue;
    }
    ids.push_back(i->task_id);
    writeTask(w, *i, app);
  }
  w.endArray();
  w.endObject();
  bool scale = call.queryFlag("scale");
  auto result = orchestrator_.killTasks(id, ids, scale, call.queryFlag("force"));
  if (!result) {
    r.respond(refusalAnswer(result.error()));
    return;
  }
  if (*result) {
    r.respond(changeAnswer(**result));
    return;
  }
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::killAppTask(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  const App* app = orchestrator_.app(id);
  if (app == nullptr) {
    r.respond(service::messageAnswer(404, fmt::format("App '{}' does not exist", id)));
    return;
  }
  const std::string& task_id = call.param("task");
  auto it = orchestrator_.instances().find(task_id);
  if (it == orchestrator_.instances().end() || it->second.app_id != id) {
    r.respond(service::messageAnswer(404, fmt::format("Task '{}' does not exist", task_id)));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("task");
  writeTask(w, it->second, app);
  w.endObject();
  if (call.queryFlag("wipe")) {
    if (auto wiped = orchestrator_.wipeTask(id, task_id); !wiped) {
      r.respond(refusalAnswer(wiped.error()));
      return;
    }
    r.respond(service::jsonAnswer(200, std::move(out)));
    return;
  }
  auto result =
      orchestrator_.killTasks(id, {task_id}, call.queryFlag("scale"), call.queryFlag("force"));
  if (!result) {
    r.respond(refusalAnswer(result.error()));
    return;
  }
  if (*result) {
    r.respond(changeAnswer(**result));
    return;
  }
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::appVersions(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  if (orchestrator_.app(id) == nullptr) {
    r.respond(service::messageAnswer(404, fmt::format("App '{}' does not exist", id)));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("versions");
  w.beginArray();
  for (const auto& v : orchestrator_.versionsOf(id)) {
    w.value(v);
  }
  w.endArray();
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::appVersion(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  auto app = orchestrator_.appAt(id, call.param("version"));
  if (!app) {
    r.respond(service::messageAnswer(
        404, fmt::format("App '{}' does not exist in version {}", id, call.param("version"))));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeAppFields(w, *app);
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

}  // namespace plateau::apps
