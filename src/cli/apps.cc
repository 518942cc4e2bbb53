#include "cli/apps.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "cli/lists.h"
#include "cli/time_text.h"
#include "cli/tls_options.h"
#include "common/json.h"
#include "http/client.h"

namespace plateau::cli {

using namespace std::chrono_literals;

namespace {

using Row = std::vector<std::string>;

// plateau-apps' answer, or the exit code already decided (the error has been printed).
struct Answer {
  int status = 0;
  std::string body;
  std::string deployment_id;  // Marathon-Deployment-Id, on changes
};

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return 1;
}

// Marathon's error shapes: {"message"}, plus "details" [{path, errors}] on 422 and
// "deployments" [{id}] on 409.
std::string refusalText(int status, const std::string& body) {
  auto parsed = json::parse(body);
  if (!parsed || !parsed->isObject() || parsed->find("message") == nullptr) {
    return fmt::format("plateau-apps answered HTTP {}: {}", status, body);
  }
  std::string text = fmt::format(
      "plateau-apps answered HTTP {}: {}", status,
      (*parsed)["message"].isString() ? (*parsed)["message"].asString() : json::stringify(*parsed));
  if (const json::Value* details = parsed->find("details"); details && details->isArray()) {
    for (const auto& d : details->asArray()) {
      std::string errors;
      if (const json::Value* e = d.find("errors"); e && e->isArray()) {
        for (const auto& one : e->asArray()) {
          errors += (errors.empty() ? "" : "; ") + (one.isString() ? one.asString() : "");
        }
      }
      text += fmt::format("\n  {}: {}", d["path"].isString() ? d["path"].asString() : "/", errors);
    }
  }
  if (const json::Value* ds = parsed->find("deployments"); ds && ds->isArray()) {
    for (const auto& d : ds->asArray()) {
      text +=
          fmt::format("\n  held by deployment {}", d["id"].isString() ? d["id"].asString() : "");
    }
    text += "\n  (wait for it, cancel it with `plateau deployment cancel ID`, or pass --force)";
  }
  return text;
}

Result<Answer> call(const AppsTarget& target, const std::string& method, const std::string& path,
                    std::string body = "") {
  auto endpoint = http::Endpoint::parse(target.apps, 8080);
  if (!endpoint) {
    return invalidArgument(
        fmt::format("invalid --apps '{}': {}", target.apps, endpoint.error().message()));
  }
  http::ClientRequest request{.method = method, .path = path};
  request.headers = {{"accept", "application/json"}};
  if (!body.empty()) {
    request.headers.emplace("content-type", "application/json");
    request.body = std::move(body);
  }
  auto r = http::fetchSync(*endpoint, std::move(request), 30s);
  if (!r) {
    return unavailable(
        connectionFailure("plateau-apps", endpoint->toString(), r.error().message(),
                          "Is plateau-apps running? Pass --apps=HOST:PORT or set PLATEAU_APPS."));
  }
  if (r->status >= 300) {
    return invalidArgument(refusalText(r->status, r->body));
  }
  return Answer{r->status, r->body, r->header("marathon-deployment-id")};
}

Result<json::Value> getJson(const AppsTarget& target, const std::string& path) {
  auto r = call(target, "GET", path);
  if (!r) {
    return std::unexpected(r.error());
  }
  auto parsed = json::parse(r->body);
  if (!parsed) {
    return internalError(
        fmt::format("plateau-apps' answer is not valid JSON: {}", parsed.error().message()));
  }
  return parsed;
}

// "/shop/web" from "shop/web" or "/shop/web"; the path under /v2/apps.
std::string appPath(const std::string& id) {
  return id.starts_with('/') ? "/v2/apps" + id : "/v2/apps/" + id;
}

std::string str(const json::Value& v, std::string_view key) {
  const json::Value* f = v.find(key);
  if (f == nullptr || f->isNull()) return "";
  if (f->isString()) return f->asString();
  if (f->isNumber()) return fmt::format("{:g}", f->asDouble());
  return json::stringify(*f);
}

const json::Array& arr(const json::Value& v, std::string_view key) {
  static const json::Array kEmpty;
  const json::Value* f = v.find(key);
  return f != nullptr && f->isArray() ? f->asArray() : kEmpty;
}

double number(const json::Value& v, std::string_view key) {
  const json::Value* f = v.find(key);
  return f != nullptr && f->isNumber() ? f->asDouble() : 0;
}

// "3m ago" for Marathon's ISO timestamps; "-" when absent.
std::string ageOf(const json::Value& v, std::string_view key, double now) {
  auto when = isoSeconds(str(v, key));
  return when ? age(*when, now) : "-";
}

std::string joined(const json::Array& values) {
  std::string out;
  for (const auto& v : values) {
    out += (out.empty() ? "" : ",") +
           (v.isString() ? v.asString() : fmt::format("{:g}", v.isNumber() ? v.asDouble() : 0));
  }
  return out.empty() ? "-" : out;
}

std::string readFile(const std::string& file, std::string* error) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(file);
  if (!in) {
    *error = fmt::format("cannot read '{}'", file);
    return "";
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string forceQuery(bool force) { return force ? "?force=true" : ""; }

// What a change answered: {"deploymentId", "version"}, or the raw JSON with --json.
int printChange(const AppsTarget& target, const Answer& a, const std::string& what) {
  if (target.json) {
    fmt::print("{}\n", a.body.empty() ? "{}" : a.body);
    return 0;
  }
  if (a.deployment_id.empty()) {
    fmt::print("{}\n", what);
  } else {
    fmt::print("{} (deployment {})\n", what, a.deployment_id);
  }
  return 0;
}

}  // namespace

int appList(const AppsTarget& target) {
  auto apps = getJson(target, "/v2/apps");
  if (!apps) {
    return fail(apps.error().message());
  }
  if (target.json) {
    fmt::print("{}\n", json::stringify((*apps)["apps"]));
    return 0;
  }
  std::vector<Row> rows;
  for (const auto& a : arr(*apps, "apps")) {
    rows.push_back({str(a, "id"),
                    fmt::format("{:g}/{:g}", number(a, "tasksRunning"), number(a, "instances")),
                    fmt::format("{:g}", number(a, "tasksStaged")),
                    fmt::format("{:g}/{:g}", number(a, "tasksHealthy"),
                                number(a, "tasksHealthy") + number(a, "tasksUnhealthy")),
                    str(a, "cpus"), str(a, "mem"), arr(a, "deployments").empty() ? "-" : "yes",
                    str(a, "cmd")});
  }
  printTable({"ID", "RUNNING", "STAGED", "HEALTHY", "CPUS", "MEM", "DEPLOYING", "CMD"}, rows);
  return 0;
}

int appShow(const AppsTarget& target, const std::string& id) {
  auto shown = getJson(target, appPath(id));
  if (!shown) {
    return fail(shown.error().message());
  }
  const json::Value& app = (*shown)["app"];
  if (target.json) {
    fmt::print("{}\n", json::stringify(app));
    return 0;
  }
  double now = nowSeconds();
  auto version = isoSeconds(str(app, "version"));
  fmt::print("id          {}\n", str(app, "id"));
  fmt::print("cmd         {}\n", str(app, "cmd"));
  fmt::print("instances   {:g} ({:g} running, {:g} staged, {:g} healthy, {:g} unhealthy)\n",
             number(app, "instances"), number(app, "tasksRunning"), number(app, "tasksStaged"),
             number(app, "tasksHealthy"), number(app, "tasksUnhealthy"));
  fmt::print("resources   cpus {} mem {} disk {}\n", str(app, "cpus"), str(app, "mem"),
             str(app, "disk"));
  fmt::print("version     {}\n", version ? whenText(*version, now) : str(app, "version"));
  std::string deployments;
  for (const auto& d : arr(app, "deployments")) {
    deployments += (deployments.empty() ? "" : ", ") + str(d, "id");
  }
  fmt::print("deployments {}\n", deployments.empty() ? "-" : deployments);
  std::vector<Row> rows;
  for (const auto& t : arr(app, "tasks")) {
    std::string health = "-";
    for (const auto& h : arr(t, "healthCheckResults")) {
      health = h["alive"].isBool() && h["alive"].asBool() ? "healthy" : "unhealthy";
    }
    rows.push_back({str(t, "id"), str(t, "state"), health, str(t, "host"), joined(arr(t, "ports")),
                    ageOf(t, "startedAt", now)});
  }
  fmt::print("\n");
  printTable({"TASK", "STATE", "HEALTH", "HOST", "PORTS", "STARTED"}, rows);
  auto versions = getJson(target, appPath(id) + "/versions");
  if (versions) {
    fmt::print("\nversions    ");
    std::string list;
    for (const auto& v : arr(*versions, "versions")) {
      auto when = isoSeconds(v.isString() ? v.asString() : "");
      list += (list.empty() ? "" : "\n            ") + (v.isString() ? v.asString() : "") +
              (when ? " (" + age(*when, now) + ")" : "");
    }
    fmt::print("{}\n", list.empty() ? "-" : list);
  }
  return 0;
}

int appAdd(const AppsTarget& target, const std::string& file) {
  std::string error;
  std::string body = readFile(file, &error);
  if (!error.empty()) {
    return fail(error);
  }
  auto r = call(target, "POST", "/v2/apps", body);
  if (!r) {
    return fail(r.error().message());
  }
  auto created = json::parse(r->body);
  std::string id = created && created->isObject() ? str(*created, "id") : "";
  return printChange(target, *r, fmt::format("Created app {}", id));
}

int appUpdate(const AppsTarget& target, const std::string& id, const std::string& file,
              bool force) {
  std::string error;
  std::string body = readFile(file, &error);
  if (!error.empty()) {
    return fail(error);
  }
  auto r = call(target, "PUT", appPath(id) + forceQuery(force), body);
  if (!r) {
    return fail(r.error().message());
  }
  return printChange(target, *r, fmt::format("Updated app {}", id));
}

int appScale(const AppsTarget& target, const std::string& id, int64_t instances, bool force) {
  if (instances < 0) {
    return fail("the instance count must be 0 or more");
  }
  auto r = call(target, "PUT", appPath(id) + forceQuery(force),
                fmt::format("{{\"instances\": {}}}", instances));
  if (!r) {
    return fail(r.error().message());
  }
  return printChange(target, *r, fmt::format("Scaling app {} to {} instances", id, instances));
}

int appRestart(const AppsTarget& target, const std::string& id, bool force) {
  auto r = call(target, "POST", appPath(id) + "/restart" + forceQuery(force));
  if (!r) {
    return fail(r.error().message());
  }
  return printChange(target, *r, fmt::format("Restarting app {}", id));
}

int appRemove(const AppsTarget& target, const std::string& id, bool force) {
  auto r = call(target, "DELETE", appPath(id) + forceQuery(force));
  if (!r) {
    return fail(r.error().message());
  }
  return printChange(target, *r, fmt::format("Removing app {}", id));
}

int deploymentList(const AppsTarget& target) {
  auto deployments = getJson(target, "/v2/deployments");
  if (!deployments) {
    return fail(deployments.error().message());
  }
  if (target.json) {
    fmt::print("{}\n", json::stringify(*deployments));
    return 0;
  }
  double now = nowSeconds();
  std::vector<Row> rows;
  for (const auto& d : deployments->isArray() ? deployments->asArray() : json::Array{}) {
    std::string actions;
    for (const auto& a : arr(d, "currentActions")) {
      actions += (actions.empty() ? "" : ",") + str(a, "action");
    }
    rows.push_back({str(d, "id"), joined(arr(d, "affectedApps")), actions.empty() ? "-" : actions,
                    fmt::format("{}/{}", str(d, "currentStep"), str(d, "totalSteps")),
                    ageOf(d, "version", now)});
  }
  printTable({"ID", "APPS", "ACTIONS", "STEP", "STARTED"}, rows);
  return 0;
}

int deploymentCancel(const AppsTarget& target, const std::string& id, bool force) {
  auto r = call(target, "DELETE", "/v2/deployments/" + id + forceQuery(force));
  if (!r) {
    return fail(r.error().message());
  }
  return printChange(target, *r,
                     force ? fmt::format("Deployment {} stopped", id)
                           : fmt::format("Deployment {} cancelled: rolling back", id));
}

}  // namespace plateau::cli
