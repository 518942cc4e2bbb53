// Marathon's /v2/groups: groups are the paths above app ids ("/shop" holds "/shop/web"); a
// group posted with nested groups and apps is flattened into its apps.

#include <set>

#include <fmt/format.h>

#include "apps/api.h"

namespace plateau::apps {

namespace {

// The group an app or group id belongs to: "/shop/web" -> "/shop", "/web" -> "/".
std::string parentOf(const std::string& id) {
  auto slash = id.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : id.substr(0, slash);
}

bool under(const std::string& id, const std::string& group) {
  return group == "/" || id == group || id.starts_with(group + "/");
}

// Collects the apps of `group` (a JSON group) and of its groups, ids resolved against their
// group's id, which is resolved against `parent`.
std::optional<Invalid> flatten(const json::Value& group, const std::string& parent,
                               const std::string& where, std::vector<json::Value>& apps,
                               std::vector<std::string>& app_groups, std::string* id_out) {
  if (!group.isObject()) {
    return Invalid{422, "Object is not valid", {{where, {"error.expected.jsobject"}}}};
  }
  std::string raw = group["id"].isString() ? group["id"].asString() : "";
  auto id = raw.empty() ? std::optional<std::string>(parent) : canonicalId(raw, parent);
  if (!id) {
    return Invalid{422, "Object is not valid", {{where + "/id", {idRuleMessage()}}}};
  }
  if (id_out != nullptr) {
    *id_out = *id;
  }
  for (const auto& app : group["apps"].asArray()) {
    apps.push_back(app);
    app_groups.push_back(*id);
  }
  const auto& groups = group["groups"].asArray();
  for (size_t k = 0; k < groups.size(); ++k) {
    if (auto bad = flatten(groups[k], *id, fmt::format("{}/groups({})", where, k), apps, app_groups,
                           nullptr)) {
      return bad;
    }
  }
  return std::nullopt;
}

}  // namespace

void Api::writeGroup(json::Writer& w, const std::string& id) const {
  std::set<std::string> children;
  w.beginObject();
  w.key("id");
  w.value(id);
  w.key("apps");
  w.beginArray();
  std::string version;
  for (const auto& [app_id, app] : orchestrator_.apps()) {
    if (!under(app_id, id) || app_id == id) {
      continue;
    }
    version = std::max(version, app.version);
    std::string parent = parentOf(app_id);
    if (parent == id) {
      writeApp(w, app, false);
      continue;
    }
    // The child group on the way down to this app.
    std::string rest = app_id.substr(id == "/" ? 1 : id.size() + 1);
    std::string child = (id == "/" ? "" : id) + "/" + rest.substr(0, rest.find('/'));
    children.insert(child);
  }
  w.endArray();
  w.key("groups");
  w.beginArray();
  for (const auto& child : children) {
    writeGroup(w, child);
  }
  w.endArray();
  w.key("pods");
  w.beginArray();
  w.endArray();
  w.key("dependencies");
  w.beginArray();
  w.endArray();
  w.key("version");
  version.empty() ? w.null() : w.value(version);
  w.key("enforceRole");
  w.value(false);  // roles are not enforced per group (Marathon's default)
  w.endObject();
}

void Api::groups(service::Call& call, http::Responder r) {
  std::string id = "/";
  if (call.params.contains("id")) {
    auto parsed = canonicalId(call.param("id"));
    bool exists =
        parsed && std::any_of(orchestrator_.apps().begin(), orchestrator_.apps().end(),
                              [&](const auto& entry) {
                                return entry.first != *parsed && under(entry.first, *parsed);
                              });
    if (!exists) {
      r.respond(service::messageAnswer(
          404, fmt::format("Group '{}' does not exist", parsed.value_or(call.param("id")))));
      return;
    }
    id = *parsed;
  }
  std::string out;
  json::Writer w(&out);
  writeGroup(w, id);
  r.respond(service::jsonAnswer(200, std::move(out)));
}

void Api::putGroup(service::Call& call, http::Responder r, bool create) {
  auto body = parseBody(call.request.body);
  if (!body) {
    r.respond(invalidAnswer(body.error()));
    return;
  }
  std::string base = "/";
  if (call.params.contains("id")) {
    auto id = canonicalId(call.param("id"));
    if (!id) {
      r.respond(invalidAnswer({422, "Object is not valid", {{"/id", {idRuleMessage()}}}}));
      return;
    }
    base = *id;
  }
  std::vector<json::Value> items;
  std::vector<std::string> item_groups;
  std::string group_id;
  if (auto bad = flatten(*body, base, "", items, item_groups, &group_id)) {
    r.respond(invalidAnswer(*bad));
    return;
  }
  if (create) {
    for (const auto& [app_id, app] : orchestrator_.apps()) {
      if (group_id != "/" && under(app_id, group_id)) {
        r.respond(service::messageAnswer(
            409,
            fmt::format("Group {} is already created. Use PUT to change this group.", group_id)));
        return;
      }
    }
  }
  std::vector<App> apps;
  for (size_t k = 0; k < items.size(); ++k) {
    json::Value list;
    list.push(items[k]);
    auto parsed = parseApps(list, item_groups[k], !create);
    if (!parsed) {
      r.respond(invalidAnswer(parsed.error()));
      return;
    }
    apps.push_back(std::move(parsed->front()));
  }
  if (apps.empty()) {
    // Marathon creates empty groups; ours exist only through their apps.
    std::string out;
    json::Writer w(&out);
    w.beginObject();
    w.key("version");
    w.value(now());
    w.key("deploymentId");
    w.null();
    w.endObject();
    r.respond(service::jsonAnswer(create ? 201 : 200, std::move(out)));
    return;
  }
  auto response = deployApps(call, apps, create ? 201 : 200);
  if (create && response.status == 201) {
    response.headers["location"] = "/v2/groups" + (group_id == "/" ? "" : group_id);
  }
  r.respond(std::move(response));
}

void Api::deleteGroup(service::Call& call, http::Responder r) {
  auto id = canonicalId(call.param("id"));
  std::vector<std::string> doomed;
  for (const auto& [app_id, app] : orchestrator_.apps()) {
    if (id && app_id != *id && under(app_id, *id)) {
      doomed.push_back(app_id);
    }
  }
  if (doomed.empty()) {
    r.respond(service::messageAnswer(
        404, fmt::format("Group '{}' does not exist", id.value_or(call.param("id")))));
    return;
  }
  auto change = orchestrator_.deleteApps(doomed, call.queryFlag("force"));
  r.respond(change ? changeAnswer(*change) : refusalAnswer(change.error()));
}

}  // namespace plateau::apps
