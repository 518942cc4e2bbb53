#include "cli/lists.h"
#include "cli/credentials.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "cli/time_text.h"
#include "cli/tls_options.h"
#include "client/master_detector.h"
#include "common/json.h"
#include "http/client.h"

namespace plateau::cli {

using namespace std::chrono_literals;

namespace {

using Row = std::vector<std::string>;

}  // namespace

void printTable(const Row& header, const std::vector<Row>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    widths[i] = header[i].size();
    for (const auto& row : rows) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print = [&](const Row& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    fmt::print("{}\n", line);
  };
  print(header);
  for (const auto& row : rows) {
    print(row);
  }
}

namespace {

std::string str(const json::Value& v, std::string_view key) {
  const json::Value* f = v.find(key);
  if (f == nullptr) return "";
  if (f->isString()) return f->asString();
  if (f->isBool()) return f->asBool() ? "true" : "false";
  if (f->isNumber()) return fmt::format("{}", f->asDouble());
  return json::stringify(*f);
}

std::string num(const json::Value& v, std::string_view object, std::string_view key) {
  const json::Value* o = v.find(object);
  if (o == nullptr || o->find(key) == nullptr) return "0";
  return fmt::format("{:g}", (*o)[key].asDouble());
}

const json::Array& arr(const json::Value& v, std::string_view key) {
  static const json::Array kEmpty;
  const json::Value* f = v.find(key);
  return f != nullptr && f->isArray() ? f->asArray() : kEmpty;
}

// When a task entered its current state, as an age ("3m ago"): its latest status's time.
std::string lastChange(const json::Value& task, double now) {
  double latest = 0;
  for (const auto& status : arr(task, "statuses")) {
    const json::Value* ts = status.find("timestamp");
    if (ts != nullptr && ts->isNumber()) {
      latest = std::max(latest, ts->asDouble());
    }
  }
  return latest > 0 ? age(latest, now) : "-";
}

}  // namespace

// The master to ask: host:port as given, or the leader elected through ZooKeeper (zk://).
Result<http::Endpoint> leadingMaster(const std::string& master) {
  EventLoop loop;
  auto detector = client::createMasterDetector(loop, master);
  if (!detector) {
    return std::unexpected(Status(StatusCode::kInvalidArgument,
                                  fmt::format("invalid --master: {}", detector.error().message())));
  }
  std::optional<Result<client::MasterDetector::Leader>> found;
  (*detector)->detect(std::nullopt, [&](Result<client::MasterDetector::Leader> leader) {
    found = std::move(leader);
  });
  loop.runUntil([&] { return found.has_value(); }, 15s);
  if (!found || !*found || !found->value()) {
    return unavailable(fmt::format("no leading master found through '{}'", master));
  }
  return *found->value();
}

Result<std::string> masterStateBody(const http::Endpoint& endpoint) {
  auto response = fetch(endpoint, {.method = "GET", .path = "/master/state"}, 10s);
  if (!response) {
    return unavailable(connectionFailure("the master", endpoint.toString(),
                                         response.error().message(),
                                         "Is plateau-master running? Pass --master=HOST:PORT."));
  }
  if (response->status != 200) {
    return unavailable(
        fmt::format("the master answered HTTP {}: {}", response->status, response->body));
  }
  return std::move(response->body);
}

int list(ListKind kind, const std::string& master, bool as_json) {
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
  json::Array out;
  std::vector<Row> rows;
  double now = nowSeconds();
  Row header;
  switch (kind) {
    case ListKind::kAgents:
      header = {"ID", "HOSTNAME", "ACTIVE", "CPUS", "MEM", "DISK"};
      for (const auto& a : arr(*state, "slaves")) {
        out.push_back(a);
        rows.push_back({str(a, "id"), str(a, "hostname"), str(a, "active"),
                        num(a, "used_resources", "cpus") + "/" + num(a, "resources", "cpus"),
                        num(a, "used_resources", "mem") + "/" + num(a, "resources", "mem"),
                        num(a, "used_resources", "disk") + "/" + num(a, "resources", "disk")});
      }
      break;
    case ListKind::kFrameworks:
      header = {"ID", "NAME", "ROLE", "ACTIVE", "TASKS", "CPUS", "MEM"};
      for (const auto& f : arr(*state, "frameworks")) {
        out.push_back(f);
        rows.push_back({str(f, "id"), str(f, "name"), str(f, "role"), str(f, "active"),
                        std::to_string(arr(f, "tasks").size()), num(f, "used_resources", "cpus"),
                        num(f, "used_resources", "mem")});
      }
      break;
    case ListKind::kTasks:
      header = {"ID", "NAME", "STATE", "SINCE", "FRAMEWORK", "AGENT"};
      for (const char* group : {"frameworks", "completed_frameworks"}) {
        for (const auto& f : arr(*state, group)) {
          for (const char* list : {"tasks", "completed_tasks"}) {
            for (const auto& t : arr(f, list)) {
              out.push_back(t);
              rows.push_back({str(t, "id"), str(t, "name"), str(t, "state"), lastChange(t, now),
                              str(t, "framework_id"), str(t, "slave_id")});
            }
          }
        }
      }
      break;
  }
  if (as_json) {
    fmt::print("{}\n", json::stringify(json::Value(std::move(out))));
  } else {
    printTable(header, rows);
  }
  return 0;
}

}  // namespace plateau::cli
