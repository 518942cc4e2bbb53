// `plateau agent|framework|task show ID`: one object from the master's /master/state, as
// "field  value" lines (or its JSON with --json); an agent's stored images are asked of the
// agent itself.

#include <algorithm>
#include <cstdlib>
#include "cli/credentials.h"

#include <fmt/format.h>

#include "cli/lists.h"
#include "cli/ops.h"
#include "cli/time_text.h"
#include "common/json.h"
#include "http/client.h"

namespace plateau::cli {

using namespace std::chrono_literals;

namespace {

const json::Array& arrayOf(const json::Value& v, std::string_view key) {
  static const json::Array kEmpty;
  const json::Value* f = v.find(key);
  return f != nullptr && f->isArray() ? f->asArray() : kEmpty;
}

// A value on one line: scalars as they are, resources as "cpus:1 mem:32", lists as a count.
std::string brief(const json::Value& v) {
  if (v.isString()) return v.asString();
  if (v.isBool()) return v.asBool() ? "true" : "false";
  if (v.isNumber()) return fmt::format("{}", v.asDouble());
  if (v.isArray()) return fmt::format("{} item(s)", v.asArray().size());
  if (v.isObject()) {
    std::string out;
    for (const auto& [key, value] : v.asObject()) {
      if (value.isObject() || value.isArray()) continue;
      out += fmt::format("{}{}:{}", out.empty() ? "" : " ", key, brief(value));
    }
    return out;
  }
  return "";
}

size_t keyWidth(const json::Value& object) {
  size_t width = 0;
  for (const auto& [key, value] : object.asObject()) {
    width = std::max(width, key.size());
  }
  return width;
}

// Mesos's time fields (registered_time, unregistered_time, ...) are seconds since the epoch;
// 0 means "not yet".
bool isTimeField(std::string_view key, const json::Value& value) {
  return key.ends_with("_time") && value.isNumber();
}

void printObject(const json::Value& object) {
  size_t width = keyWidth(object);
  double now = nowSeconds();
  for (const auto& [key, value] : object.asObject()) {
    if (isTimeField(key, value) && value.asDouble() <= 0) {
      continue;
    }
    std::string text = isTimeField(key, value) ? whenText(value.asDouble(), now) : brief(value);
    if (!text.empty()) {
      fmt::print("{:<{}}  {}\n", key, width, text);
    }
  }
}

// Beyond Mesos: the images an agent stores, from its own /state (nothing when it keeps none or
// cannot be reached).
void printAgentImages(const json::Value& agent) {
  const json::Value* pid = agent.find("pid");
  size_t at = pid != nullptr && pid->isString() ? pid->asString().find('@') : std::string::npos;
  size_t colon = at == std::string::npos ? at : pid->asString().rfind(':');
  if (colon == std::string::npos || colon < at) {
    return;
  }
  const std::string& text = pid->asString();
  http::Endpoint endpoint{text.substr(at + 1, colon - at - 1),
                          static_cast<uint16_t>(std::atoi(text.c_str() + colon + 1))};
  auto response = http::fetchSync(endpoint, {.method = "GET", .path = "/state"}, 5s);
  if (!response || response->status != 200) {
    return;
  }
  auto state = json::parse(response->body);
  if (!state || !state->isObject()) {
    return;
  }
  for (const auto& image : arrayOf(*state, "images")) {
    fmt::print("{:<{}}  {} ({} layers, {:.1f} MB)\n", "image", keyWidth(agent),
               image["name"].asString(), image["layers"].asDouble(),
               image["size_bytes"].asDouble() / 1e6);
  }
}

}  // namespace

int show(ShowKind kind, const std::string& master, const std::string& id, bool as_json) {
  const char* what = kind == ShowKind::kAgent       ? "agent"
                     : kind == ShowKind::kFramework ? "framework"
                                                    : "task";
  auto endpoint = leadingMaster(master);
  if (!endpoint) {
    fmt::print(stderr, "Error: {}\n", endpoint.error().message());
    return 2;
  }
  auto body = masterStateBody(*endpoint);
  if (!body) {
    fmt::print(stderr, "Error: {}\n", body.error().message());
    return 1;
  }
  auto state = json::parse(*body);
  if (!state) {
    fmt::print(stderr, "Error: the master's state is not valid JSON: {}\n",
               state.error().message());
    return 1;
  }
  const json::Value* found = nullptr;
  if (kind == ShowKind::kAgent) {
    for (const auto& a : arrayOf(*state, "slaves")) {
      if (a["id"].asString() == id) found = &a;
    }
  } else {
    for (const char* group : {"frameworks", "completed_frameworks"}) {
      for (const auto& f : arrayOf(*state, group)) {
        if (kind == ShowKind::kFramework) {
          if (f["id"].asString() == id) found = &f;
          continue;
        }
        for (const char* list : {"tasks", "completed_tasks"}) {
          for (const auto& t : arrayOf(f, list)) {
            if (t["id"].asString() == id) found = &t;
          }
        }
      }
    }
  }
  if (found == nullptr) {
    fmt::print(stderr, "Error: no {} '{}' on the master at {}: list them with `plateau {} list`\n",
               what, id, endpoint->toString(), what);
    return 1;
  }
  if (as_json) {
    fmt::print("{}\n", json::stringify(*found));
    return 0;
  }
  printObject(*found);
  if (kind == ShowKind::kTask) {
    double now = nowSeconds();
    for (const auto& s : arrayOf(*found, "statuses")) {
      std::string when =
          s["timestamp"].isNumber() ? " at " + whenText(s["timestamp"].asDouble(), now, true) : "";
      fmt::print("{:<{}}  {}{}{}\n", "status", keyWidth(*found), s["state"].asString(), when,
                 s.find("message") != nullptr ? fmt::format(": {}", s["message"].asString()) : "");
    }
  }
  if (kind == ShowKind::kAgent) {
    printAgentImages(*found);
  }
  if (kind == ShowKind::kFramework) {
    fmt::print("{:<{}}  {} active, {} completed\n", "tasks", keyWidth(*found),
               arrayOf(*found, "tasks").size(), arrayOf(*found, "completed_tasks").size());
  }
  return 0;
}

}  // namespace plateau::cli
