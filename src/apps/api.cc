#include "apps/api.h"

#include <cctype>
#include <set>

#include <fmt/format.h>

namespace plateau::apps {

http::Response refusalAnswer(const Refusal& refusal) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("message");
  w.value(refusal.message);
  if (refusal.status == 409 && !refusal.deployment_ids.empty()) {
    w.key("deployments");
    w.beginArray();
    for (const auto& id : refusal.deployment_ids) {
      w.beginObject();
      w.key("id");
      w.value(id);
      w.endObject();
    }
    w.endArray();
  }
  w.endObject();
  return service::jsonAnswer(refusal.status, std::move(out));
}

http::Response changeAnswer(const Change& change, int status) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("version");
  w.value(change.version);
  w.key("deploymentId");
  w.value(change.deployment_id);
  w.endObject();
  auto response = service::jsonAnswer(status, std::move(out));
  response.headers["marathon-deployment-id"] = change.deployment_id;
  return response;
}

Api::Api(Orchestrator& orchestrator, service::SseHub& events, const Clock& clock, ServiceInfo info)
    : orchestrator_(orchestrator), events_(events), clock_(clock), info_(std::move(info)) {
  addRoutes();
}

void Api::addRoutes() {
  using service::Call;
  auto bind = [this](void (Api::*fn)(Call&, http::Responder)) {
    return [this, fn](Call& call, http::Responder r) { (this->*fn)(call, std::move(r)); };
  };
  router_.add("GET", "/ping",
              [](Call&, http::Responder r) { r.respond(http::Response::text(200, "pong\n")); });
  router_.add("GET", "/v2/info", bind(&Api::info));
  router_.add("GET", "/v2/leader", [this](Call&, http::Responder r) {
    r.respond(service::jsonAnswer(200, fmt::format("{{\"leader\":\"{}\"}}", info_.leader)));
  });
  router_.add("DELETE", "/v2/leader", [this](Call&, http::Responder r) {
    if (!abdicate_) {
      r.respond(service::messageAnswer(404, "There is no leader"));
      return;
    }
    r.respond(service::jsonAnswer(200, R"({"message":"Leadership abdicated"})"));
    abdicate_();
  });
  router_.add("GET", "/v2/events", bind(&Api::events));
  router_.add("GET", "/v2/tasks", bind(&Api::tasks));
  router_.add("POST", "/v2/tasks/delete", bind(&Api::deleteTasks));
  router_.add("GET", "/v2/deployments", bind(&Api::deployments));
  router_.add("DELETE", "/v2/deployments/{id}", bind(&Api::cancelDeployment));
  router_.add("GET", "/v2/queue", bind(&Api::queue));
  router_.add("DELETE", "/v2/queue/{id*}/delay", bind(&Api::resetDelay));
  router_.add("GET", "/v2/groups", bind(&Api::groups));
  router_.add("POST", "/v2/groups",
              [this](Call& call, http::Responder r) { putGroup(call, std::move(r), true); });
  router_.add("GET", "/v2/groups/{id*}", bind(&Api::groups));
  router_.add("PUT", "/v2/groups/{id*}",
              [this](Call& call, http::Responder r) { putGroup(call, std::move(r), false); });
  router_.add("DELETE", "/v2/groups/{id*}", bind(&Api::deleteGroup));
  router_.add("PUT", "/v2/apps",
              [this](Call& call, http::Responder r) { putApps(call, std::move(r), false); });
  router_.add("PATCH", "/v2/apps",
              [this](Call& call, http::Responder r) { putApps(call, std::move(r), true); });
  router_.add("GET", "/metrics", bind(&Api::metrics));
  router_.add("GET", "/metrics/prometheus", bind(&Api::prometheus));
  router_.add("GET", "/v2/apps", bind(&Api::listApps));
  router_.add("POST", "/v2/apps", bind(&Api::createApp));
  router_.add("POST", "/v2/apps/{id*}/restart", bind(&Api::restartApp));
  router_.add("GET", "/v2/apps/{id*}/tasks", bind(&Api::appTasks));
  router_.add("DELETE", "/v2/apps/{id*}/tasks", bind(&Api::killAppTasks));
  router_.add("DELETE", "/v2/apps/{id*}/tasks/{task}", bind(&Api::killAppTask));
  router_.add("GET", "/v2/apps/{id*}/versions", bind(&Api::appVersions));
  router_.add("GET", "/v2/apps/{id*}/versions/{version}", bind(&Api::appVersion));
  router_.add("GET", "/v2/apps/{id*}", bind(&Api::showApp));
  router_.add("PUT", "/v2/apps/{id*}",
              [this](Call& call, http::Responder r) { putApp(call, std::move(r), false); });
  router_.add("PATCH", "/v2/apps/{id*}",
              [this](Call& call, http::Responder r) { putApp(call, std::move(r), true); });
  router_.add("DELETE", "/v2/apps/{id*}", bind(&Api::deleteApp));
}

void Api::handle(http::Request& request, http::Responder responder) {
  router_.dispatch(request, std::move(responder));
}

std::string Api::now() const { return isoTime(clock_.wallSeconds()); }

void Api::publish(std::string_view type, const std::string& json) { events_.publish(type, json); }

void Api::info(service::Call&, http::Responder r) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("name");
  w.value("plateau-apps");
  w.key("version");
  w.value(info_.version);
  w.key("buildref");
  w.value("plateau");
  w.key("elected");
  w.value(true);
  w.key("leader");
  w.value(info_.leader);
  w.key("frameworkId");
  orchestrator_.frameworkId().empty() ? w.null() : w.value(orchestrator_.frameworkId());
  w.key("marathon_config");
  w.beginObject();
  w.key("master");
  w.value(info_.master);
  w.key("failover_timeout");
  w.value(info_.failover_timeout_seconds);
  w.key("framework_name");
  w.value(info_.framework_name);
  w.key("ha");
  w.value(!info_.zk.empty());
  w.key("checkpoint");
  w.value(true);
  w.key("local_port_min");
  w.value(10000);
  w.key("local_port_max");
  w.value(20000);
  w.key("executor");
  w.value("//cmd");
  w.key("hostname");
  w.value(info_.hostname);
  w.key("mesos_role");
  info_.mesos_role.empty() ? w.null() : w.value(info_.mesos_role);
  w.key("task_launch_timeout");
  w.value(info_.task_launch_timeout_ms);
  w.key("reconciliation_interval");
  w.value(info_.reconciliation_interval_ms);
  w.endObject();
  w.key("zookeeper_config");
  w.beginObject();
  w.key("zk");
  info_.zk.empty() ? w.null() : w.value(info_.zk);
  w.endObject();
  w.key("http_config");
  w.beginObject();
  w.key("http_port");
  w.value(info_.http_port);
  w.endObject();
  w.key("store");
  w.value(info_.store);
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::events(service::Call& call, http::Responder r) {
  auto types = call.queryValues("event_type");
  auto stream = events_.attach(std::move(r), std::set<std::string>(types.begin(), types.end()));
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("remoteAddress");
  w.value(call.request.header("x-forwarded-for"));
  w.key("eventType");
  w.value("event_stream_attached");
  w.key("timestamp");
  w.value(now());
  w.endObject();
  publish("event_stream_attached", out);
}

void Api::tasks(service::Call& call, http::Responder r) {
  std::set<std::string> states;
  for (const auto& s : call.queryValues("status")) {
    states.insert("TASK_" + http::toLower(s));
  }
  auto matches = [&](const Instance& i) {
    return states.empty() || states.contains("TASK_" + http::toLower(i.state.substr(5)));
  };
  std::string accept = call.request.header("accept");
  if (accept.find("text/plain") != std::string::npos &&
      accept.find("application/json") == std::string::npos) {
    std::string text;
    for (const auto& [id, app] : orchestrator_.apps()) {
      auto ports = servicePorts(app);
      for (size_t k = 0; k < ports.size(); ++k) {
        text += id.substr(1) + "\t" + std::to_string(ports[k]) + "\t";
        for (const auto* i : orchestrator_.instancesOf(id)) {
          if (matches(*i) && k < i->host_ports.size()) {
            text += i->place.hostname + ":" + std::to_string(i->host_ports[k]) + "\t";
          }
        }
        text += "\n";
      }
    }
    r.respond(http::Response::text(200, std::move(text)));
    return;
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("tasks");
  w.beginArray();
  for (const auto& [id, i] : orchestrator_.instances()) {
    if (matches(i)) {
      writeTask(w, i, orchestrator_.app(i.app_id));
    }
  }
  w.endArray();
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::deleteTasks(service::Call& call, http::Responder r) {
  auto body = parseBody(call.request.body);
  if (!body) {
    r.respond(service::jsonAnswer(400, body.error().toJson()));
    return;
  }
  const auto& ids = (*body)["ids"];
  if (!ids.isArray()) {
    r.respond(service::jsonAnswer(
        400, Invalid{400, "Invalid JSON", {{"/ids", {"error.expected.jsarray"}}}}.toJson()));
    return;
  }
  std::map<std::string, std::vector<std::string>> by_app;
  for (const auto& id : ids.asArray()) {
    auto it = orchestrator_.instances().find(id.asString());
    if (it != orchestrator_.instances().end()) {
      by_app[it->second.app_id].push_back(it->first);
    }
  }
  bool scale = call.queryFlag("scale");
  std::optional<Change> last;
  for (const auto& [app_id, task_ids] : by_app) {
    auto result = orchestrator_.killTasks(app_id, task_ids, scale, call.queryFlag("force"));
    if (!result) {
      r.respond(refusalAnswer(result.error()));
      return;
    }
    if (*result) {
      last = **result;
    }
  }
  if (last) {
    r.respond(changeAnswer(*last));
    return;
  }
  r.respond(service::jsonAnswer(200, "{}"));
}

void Api::deployments(service::Call&, http::Responder r) {
  std::string out;
  json::Writer w(&out);
  w.beginArray();
  for (const auto& [id, d] : orchestrator_.deployments()) {
    writeDeployment(w, d);
  }
  w.endArray();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::cancelDeployment(service::Call& call, http::Responder r) {
  bool force = call.queryFlag("force");
  auto result = orchestrator_.cancelDeployment(call.param("id"), force);
  if (!result) {
    r.respond(refusalAnswer(result.error()));
    return;
  }
  if (*result) {
    r.respond(changeAnswer(**result));
    return;
  }
  r.respond(http::Response{.status = 202, .headers = {}, .body = ""});
}

void Api::queue(service::Call& call, http::Responder r) {
  bool last_unused = false;
  for (const auto& e : call.queryValues("embed")) {
    last_unused = last_unused || e == "lastUnusedOffers";
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("queue");
  w.beginArray();
  for (const auto& e : orchestrator_.queue()) {
    const App* app = orchestrator_.app(e.app_id);
    if (app == nullptr) {
      continue;
    }
    w.beginObject();
    w.key("app");
    w.beginObject();
    writeAppFields(w, *app);
    w.endObject();
    w.key("count");
    w.value(e.count);
    w.key("delay");
    w.beginObject();
    w.key("timeLeftSeconds");
    w.value(static_cast<int64_t>(e.delay_left_seconds + 0.999));
    w.key("overdue");
    w.value(e.delay_left_seconds <= 0);
    w.endObject();
    if (e.offers != nullptr) {
      w.key("since");
      w.value(e.offers->since());
      w.key("processedOffersSummary");
      e.offers->writeSummary(w);
      if (last_unused) {
        w.key("lastUnusedOffers");
        e.offers->writeLastUnused(w);
      }
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::resetDelay(service::Call& call, http::Responder r) {
  std::string id = appId(call);
  if (!orchestrator_.resetDelay(id)) {
    r.respond(
        service::messageAnswer(404, fmt::format("Application {} not found in tasks queue.", id)));
    return;
  }
  r.respond(http::Response{.status = 204, .headers = {}, .body = ""});
}

std::vector<std::pair<std::string, double>> Api::gauges() const {
  int running = 0, staged = 0, healthy = 0, unhealthy = 0;
  for (const auto& [id, i] : orchestrator_.instances()) {
    running += i.state == "TASK_RUNNING" ? 1 : 0;
    staged += i.state == "TASK_STAGING" || i.state == "TASK_STARTING" ? 1 : 0;
    if (i.healthy) {
      (*i.healthy ? healthy : unhealthy) += 1;
    }
  }
  int waiting = 0;
  for (const auto& q : orchestrator_.queue()) {
    waiting += q.count;
  }
  return {{"marathon.apps.active.gauge", static_cast<double>(orchestrator_.apps().size())},
          {"marathon.deployments.active.gauge",
           static_cast<double>(orchestrator_.deployments().size())},
          {"marathon.instances.running.gauge", running},
          {"marathon.instances.staged.gauge", staged},
          {"marathon.instances.healthy.gauge", healthy},
          {"marathon.instances.unhealthy.gauge", unhealthy},
          {"marathon.instances.launch-overdue.gauge",
           static_cast<double>(orchestrator_.queue().size())},
          {"marathon.instances.waiting.gauge", waiting},
          {"marathon.http.event-streams.active.gauge", static_cast<double>(events_.clients())},
          {"marathon.mesos.connected.gauge", orchestrator_.connected() ? 1.0 : 0.0},
          {"marathon.mesos.offers.wanted.gauge", orchestrator_.offersWanted() ? 1.0 : 0.0}};
}

void Api::metrics(service::Call&, http::Responder r) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("version");
  w.value("4.0.0");
  w.key("gauges");
  w.beginObject();
  for (const auto& [name, value] : gauges()) {
    w.key(name);
    w.beginObject();
    w.key("value");
    w.value(value);
    w.endObject();
  }
  w.endObject();
  w.key("counters");
  w.beginObject();
  w.endObject();
  w.endObject();
  r.respond(service::jsonAnswer(200, std::move(out)));
}

std::string prometheusName(std::string_view name) {
  std::string out;
  for (char c : name) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return out;
}

void Api::prometheus(service::Call&, http::Responder r) {
  std::string out;
  for (const auto& [name, value] : gauges()) {
    std::string n = prometheusName(name);
    out += fmt::format("# TYPE {} gauge\n{} {}\n", n, n, value);
  }
  auto response = http::Response::text(200, std::move(out));
  response.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
  r.respond(std::move(response));
}

}  // namespace plateau::apps
