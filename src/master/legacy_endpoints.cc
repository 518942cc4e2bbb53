// The JSON endpoints that Mesos tools scrape besides /master/state (state-summary,
// frameworks, slaves, tasks, roles, weights, teardown), and /metrics in Prometheus's text
// format from the numbers of /metrics/snapshot. Shapes follow Mesos's.

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_json.h"
#include "common/task_json.h"
#include "master/master.h"
#include "master/state_json.h"

namespace plateau::master {

namespace operator_api = mesos::v1::master;

namespace {

// Form fields of an application/x-www-form-urlencoded body.
std::map<std::string, std::string> formFields(const std::string& body) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) {
      end = body.size();
    }
    std::string pair = body.substr(start, end - start);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      fields[http::urlDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : http::urlDecode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return fields;
}

std::optional<size_t> sizeParam(const http::Request& request, const std::string& name,
                                size_t fallback) {
  auto text = request.queryParam(name);
  if (!text) {
    return fallback;
  }
  size_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    return std::nullopt;
  }
  return value;
}

void countTaskStates(json::Writer& w, const std::map<v1::TaskState, uint64_t>& states) {
  for (int s = v1::TaskState_MIN; s <= v1::TaskState_MAX; ++s) {
    if (!v1::TaskState_IsValid(s)) {
      continue;
    }
    auto state = static_cast<v1::TaskState>(s);
    auto it = states.find(state);
    w.key(v1::TaskState_Name(state));
    w.value(it == states.end() ? uint64_t{0} : it->second);
  }
}

// What /master/state-summary shows of an agent's or a framework's tasks: how many are in each
// state, and the ids of the frameworks (or agents) they involve.
struct TaskSummary {
  std::map<v1::TaskState, uint64_t> states;
  std::set<std::string> ids;
};

void writeTaskSummary(json::Writer& w, const TaskSummary& summary, const char* ids_key) {
  countTaskStates(w, summary.states);
  w.key(ids_key);
  w.beginArray();
  for (const auto& id : summary.ids) {
    w.value(id);
  }
  w.endArray();
}

// The agent's tasks by state, and the frameworks with tasks or executors on it.
TaskSummary agentTaskSummary(const Agent& agent, const TaskBook& tasks) {
  TaskSummary summary;
  for (const auto& [framework_id, task_id] : tasks.on(agent.id)) {
    summary.ids.insert(framework_id);
    if (const Task* task = tasks.find(framework_id, task_id)) {
      summary.states[task->info.state()]++;
    }
  }
  summary.ids.insert(agent.frameworks_with_executors.begin(),
                     agent.frameworks_with_executors.end());
  return summary;
}

// The framework's tasks by state, and the agents with its tasks or executors.
TaskSummary frameworkTaskSummary(const Framework& fw, const TaskBook& tasks) {
  TaskSummary summary;
  for (const auto& [task_id, task] : tasks.of(fw.id)) {
    summary.states[task.info.state()]++;
    summary.ids.insert(task.info.agent_id().value());
  }
  for (const auto& [agent_id, executors] : fw.executors) {
    summary.ids.insert(agent_id);
  }
  return summary;
}

// As Mesos: the agent's fields of /master/state, its tasks by state and its frameworks.
void writeAgentSummary(json::Writer& w, const Agent& agent, const TaskSummary& tasks,
                       const Resources& offered, const DrainBook::Hold* hold,
                       const ViewFilter& view) {
  w.beginObject();
  writeAgentFields(w, agent, offered, hold, view.showsAll() ? nullptr : &view, /*full=*/false);
  writeTaskSummary(w, tasks, "framework_ids");
  w.endObject();
}

void writeFrameworkSummary(json::Writer& w, const std::string& id, const Framework& fw,
                           const TaskSummary& tasks, const Resources& offered) {
  w.beginObject();
  w.key("id");
  w.value(id);
  w.key("name");
  w.value(fw.info.name());
  w.key("hostname");  // no "pid": as Mesos, for a framework of the HTTP API
  w.value(fw.info.hostname());
  w.key("webui_url");
  w.value(fw.info.webui_url());
  w.key("active");
  w.value(fw.active);
  w.key("connected");
  w.value(fw.connected);
  w.key("recovered");
  w.value(fw.recovered);
  w.key("used_resources");
  writeResourcesModel(w, fw.used());
  w.key("offered_resources");
  writeResourcesModel(w, offered);
  w.key("capabilities");
  writeFrameworkCapabilities(w, fw.info);
  writeTaskSummary(w, tasks, "slave_ids");
  w.endObject();
}

}  // namespace

bool Master::isLegacyEndpoint(const std::string& path) {
  static const std::set<std::string> kPaths = {"/master/state-summary",
                                               "/state-summary",
                                               "/master/frameworks",
                                               "/frameworks",
                                               "/master/slaves",
                                               "/slaves",
                                               "/master/tasks",
                                               "/tasks",
                                               "/master/tasks.json",
                                               "/tasks.json",
                                               "/master/roles",
                                               "/roles",
                                               "/master/roles.json",
                                               "/roles.json",
                                               "/master/teardown",
                                               "/teardown",
                                               "/master/weights",
                                               "/weights",
                                               "/metrics"};
  return kPaths.contains(path);
}

void Master::legacyEndpoint(const http::Request& request, http::Responder responder) {
  std::string path = request.path;
  if (path.starts_with("/master/")) {
    path = path.substr(7);
  }
  if (path.ends_with(".json")) {
    path.resize(path.size() - 5);
  }
  auto expect = [&](std::initializer_list<const char*> methods) {
    for (const char* m : methods) {
      if (request.method == m) {
        return true;
      }
    }
    std::string allow;
    for (const char* m : methods) {
      allow += allow.empty() ? m : fmt::format(", {}", m);
    }
    http::Response r = http::Response::text(405, fmt::format("Expecting one of {{ {} }}", allow));
    r.headers["allow"] = allow;
    responder.respond(std::move(r));
    return false;
  };
  if (path == "/teardown") {
    if (!expect({"POST"})) return;
    if (!leading_ || !recovered_) {
      return responder.respond(notLeader(request));
    }
    auto fields = formFields(request.body);
    auto id = fields.find("frameworkId");
    if (id == fields.end()) {
      return responder.respond(
          http::Response::text(400, "Missing 'frameworkId' query parameter in the request body"));
    }
    Status status = teardownFramework(id->second);
    return responder.respond(status.isOk()
                                 ? http::Response{.status = 200, .headers = {}, .body = {}}
                                 : http::errorResponse(status));
  }
  if (path == "/weights") {
    if (!expect({"GET", "HEAD", "PUT"})) return;
    if (request.method != "PUT") {
      return responder.respond(weightsJson(booksFor(viewFilter(request.principal))));
    }
    if (!leading_ || !recovered_) {
      return responder.respond(notLeader(request));
    }
    auto parsed = json::parse(request.body);
    if (!parsed || !parsed->isArray()) {
      return responder.respond(
          http::Response::text(400, "Expecting a JSON array of WeightInfo in the request body"));
    }
    operator_api::Call::UpdateWeights update;
    for (const auto& item : parsed->asArray()) {
      if (Status s = fromJson(item, update.add_weight_infos()); !s.isOk()) {
        return responder.respond(
            http::Response::text(400, fmt::format("Failed to parse WeightInfo: {}", s.message())));
      }
    }
    auto shared = std::make_shared<http::Responder>(std::move(responder));
    return updateWeights(update, [shared](Status status) {
      shared->respond(status.isOk() ? http::Response{.status = 200, .headers = {}, .body = {}}
                                    : http::errorResponse(status));
    });
  }
  if (!expect({"GET", "HEAD"})) return;
  const ViewFilter view = viewFilter(request.principal);
  if (path == "/state-summary") return responder.respond(stateSummaryJson(view));
  if (path == "/frameworks") return responder.respond(frameworksJson(booksFor(view), request));
  if (path == "/slaves") return responder.respond(agentsJson(booksFor(view), request));
  if (path == "/tasks") return responder.respond(tasksJson(booksFor(view), request));
  if (path == "/roles") return responder.respond(rolesJson(booksFor(view)));
  // /metrics: Prometheus text from the one registry.
  http::Response r = http::Response::text(200, metrics_.registry.prometheus());
  r.headers["content-type"] = std::string(metrics::kPrometheusContentType);
  responder.respond(std::move(r));
}

http::Response Master::stateSummaryJson(const ViewFilter& view) const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("hostname");
  w.value(info_.hostname());
  if (!flags_.cluster.empty()) {
    w.key("cluster");
    w.value(flags_.cluster);
  }
  w.key("slaves");
  w.beginArray();
  for (const auto& [id, agent] : agents_.all()) {
    writeAgentSummary(w, agent, agentTaskSummary(agent, tasks_), offers_.offeredOn(agent.id),
                      drains_.find(id), view);
  }
  w.endArray();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [id, fw] : frameworks_.all()) {
    if (!view.framework(fw.info)) {
      continue;
    }
    writeFrameworkSummary(w, id, fw, frameworkTaskSummary(fw, tasks_), offers_.offeredTo(fw.id));
  }
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response frameworksJson(const Books& b, const http::Request& request) {
  auto only = request.queryParam("framework_id");
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [id, fw] : b.frameworks.all()) {
    if ((!only || *only == id) && b.showsFramework(fw)) {
      writeFramework(w, fw, b.tasks, b.offers, false, b.view);
    }
  }
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& fw : b.frameworks.completed()) {
    if ((!only || *only == fw.id) && b.showsFramework(fw)) {
      writeFramework(w, fw, b.tasks, b.offers, true, b.view);
    }
  }
  w.endArray();
  w.key("unregistered_frameworks");
  w.beginArray();
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response agentsJson(const Books& b, const http::Request& request) {
  auto only = request.queryParam("slave_id");
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("slaves");
  w.beginArray();
  for (const auto& [id, agent] : b.agents.all()) {
    if (!only || *only == id) {
      writeAgent(w, agent, b.offers.offeredOn(agent.id), b.drains.find(id), b.view);
    }
  }
  w.endArray();
  w.key("recovered_slaves");
  w.beginArray();
  for (const auto& [id, info] : b.agents.expected()) {
    if (!only || *only == id) {
      writeRecoveredAgent(w, info);
    }
  }
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response tasksJson(const Books& b, const http::Request& request) {
  auto limit = sizeParam(request, "limit", 100);
  auto offset = sizeParam(request, "offset", 0);
  std::string order = request.queryParam("order").value_or("des");
  if (!limit || !offset) {
    return http::Response::text(400, "'limit' and 'offset' must be non-negative integers");
  }
  if (order != "asc" && order != "des") {
    return http::Response::text(400, fmt::format("Unknown order '{}': use 'asc' or 'des'", order));
  }
  auto framework_filter = request.queryParam("framework_id");
  auto task_filter = request.queryParam("task_id");
  struct Entry {
    const v1::Task* task;
    const std::string* role;
    double started;
    const Task* live;  // a live task's whole form is written from it
  };
  std::vector<Entry> entries;
  auto add = [&](const v1::Task& task, const Framework& fw, const std::string& role,
                 const Task* live = nullptr) {
    if ((framework_filter && *framework_filter != task.framework_id().value()) ||
        (task_filter && *task_filter != task.task_id().value()) || !b.showsTask(task, fw)) {
      return;
    }
    double started = live != nullptr            ? live->startedAt()
                     : task.statuses_size() > 0 ? task.statuses(0).timestamp()
                                                : 0;
    entries.push_back({&task, &role, started, live});
  };
  for (const auto& [id, fw] : b.frameworks.all()) {
    for (const auto& [task_id, task] : b.tasks.of(fw.id)) {
      add(task.info, fw, task.role.empty() ? fw.role : task.role, &task);
    }
    for (const auto& task : b.tasks.completed(fw.id)) {
      add(task, fw, fw.role);
    }
    for (const auto& task : b.tasks.unreachable(fw.id)) {
      add(task, fw, fw.role);
    }
  }
  for (const auto& fw : b.frameworks.completed()) {
    for (const auto& task : b.tasks.completed(fw.id)) {
      add(task, fw, fw.role);
    }
  }
  // Tasks without a status yet (staging) are the newest.
  auto key = [](const Entry& e) { return e.started > 0 ? e.started : HUGE_VAL; };
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    if (key(a) != key(b)) {
      return order == "asc" ? key(a) < key(b) : key(a) > key(b);
    }
    return order == "asc" ? a.task->task_id().value() < b.task->task_id().value()
                          : a.task->task_id().value() > b.task->task_id().value();
  });
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("tasks");
  w.beginArray();
  v1::Task whole;
  for (size_t i = *offset; i < entries.size() && i - *offset < *limit; ++i) {
    if (entries[i].live != nullptr) {
      entries[i].live->copyInfo(&whole);
    }
    writeTask(w, entries[i].live != nullptr ? whole : *entries[i].task, *entries[i].role);
  }
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response rolesJson(const Books& b) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("roles");
  w.beginArray();
  for (const auto& [name, known] : knownRoles(b)) {
    if (!b.showsRole(name)) {
      continue;
    }
    Resources held;
    for (const auto& framework_id : known.second) {
      const Framework& fw = b.frameworks.all().at(framework_id);
      held += heldInRole(b, fw, name, false) + heldInRole(b, fw, name, true);
    }
    w.beginObject();
    w.key("name");
    w.value(name);
    w.key("weight");
    w.value(known.first);
    w.key("frameworks");
    w.beginArray();
    for (const auto& framework_id : known.second) {
      w.value(framework_id);
    }
    w.endArray();
    w.key("resources");
    writeResourcesModel(w, held);
    w.key("allocated");
    writeResourcesModel(w, held);
    if (auto quota = b.roles.quotas().find(name); quota != b.roles.quotas().end()) {
      // Mesos 1.9+: guarantee and limit by name, and what the role consumes.
      w.key("quota");
      w.beginObject();
      w.key("role");
      w.value(name);
      w.key("guarantee");
      w.beginObject();
      for (const auto& [resource, scalar] : quota->second.guarantees()) {
        w.key(resource);
        w.value(scalar.value());
      }
      w.endObject();
      w.key("limit");
      w.beginObject();
      for (const auto& [resource, scalar] : quota->second.limits()) {
        w.key(resource);
        w.value(scalar.value());
      }
      w.endObject();
      w.key("consumed");
      writeResourcesModel(w, held);
      w.endObject();
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response weightsJson(const Books& b) {
  std::string out;
  json::Writer w(&out);
  w.beginArray();
  for (const auto& [role, weight] : b.roles.weights()) {
    if (!b.showsRole(role)) {
      continue;
    }
    w.beginObject();
    w.key("weight");
    w.value(weight);
    w.key("role");
    w.value(role);
    w.endObject();
  }
  w.endArray();
  return http::Response::json(std::move(out));
}

}  // namespace plateau::master
