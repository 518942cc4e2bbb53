#include "cli/roles.h"
#include "cli/credentials.h"
#include "cli/ops.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <mesos/v1/master/master.pb.h>

#include "cli/lists.h"
#include "cli/tls_options.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "http/client.h"
#include "http/content.h"
#include "http/message.h"

namespace plateau::cli {

using namespace std::chrono_literals;
namespace operator_api = mesos::v1::master;

namespace {

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return 1;
}

// "cpus:2;mem:1024" -> the scalar map of a QuotaConfig.
Status fillScalars(const std::string& text, const char* flag,
                   google::protobuf::Map<std::string, mesos::v1::Value::Scalar>* out) {
  // Parsed here rather than as Resources, which drop zero quantities: "cpus:0" is a limit.
  auto bad = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("Invalid value for flag '--{}': {} (expected e.g. 'cpus:2;mem:1024')",
                              flag, why));
  };
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(';', begin);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string item = text.substr(begin, end - begin);
    begin = end + 1;
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) {
      continue;
    }
    const size_t colon = item.find(':');
    const std::string name = item.substr(0, colon);
    if (colon == std::string::npos || name.empty() ||
        name.find_first_of("()[]{} ") != std::string::npos) {
      return bad(fmt::format("'{}' is not an unreserved scalar NAME:VALUE", item));
    }
    const std::string value = item.substr(colon + 1);
    char* rest = nullptr;
    const double number = std::strtod(value.c_str(), &rest);
    if (value.empty() || *rest != '\0' || !std::isfinite(number) || number < 0) {
      return bad(fmt::format("'{}' needs a non-negative number, got '{}'", name, value));
    }
    (*out)[name].set_value(number);
  }
  return {};
}

std::string scalarsText(const google::protobuf::Map<std::string, mesos::v1::Value::Scalar>& map) {
  std::map<std::string, double> sorted;
  for (const auto& [name, scalar] : map) {
    sorted[name] = scalar.value();
  }
  std::string text;
  for (const auto& [name, value] : sorted) {
    text += fmt::format("{}{}:{}", text.empty() ? "" : ";", name, value);
  }
  return text.empty() ? "-" : text;
}

}  // namespace

int quotaGet(const std::string& master, bool json) {
  operator_api::Call call;
  call.set_type(operator_api::Call::GET_QUOTA);
  auto r = postOperatorCall(master, call);
  if (!r) {
    return fail(r.error().message());
  }
  if (r->status != 200) {
    return fail(fmt::format("the master answered HTTP {}: {}", r->status, r->body));
  }
  operator_api::Response response;
  if (Status s = fromJson(r->body, &response); !s.isOk()) {
    return fail(fmt::format("unreadable answer from the master: {}", s.message()));
  }
  const auto& status = response.get_quota().status();
  if (json) {
    fmt::print("{}\n", toJson(status));
    return 0;
  }
  fmt::print("{:<24} {:<32} {}\n", "ROLE", "GUARANTEES", "LIMITS");
  for (const auto& config : status.configs()) {
    fmt::print("{:<24} {:<32} {}\n", config.role(), scalarsText(config.guarantees()),
               scalarsText(config.limits()));
  }
  return 0;
}

int quotaSet(const std::string& master, const std::string& role, const std::string& guarantee,
             const std::string& limit, bool force) {
  operator_api::Call call;
  call.set_type(operator_api::Call::UPDATE_QUOTA);
  call.mutable_update_quota()->set_force(force);
  auto* config = call.mutable_update_quota()->add_quota_configs();
  config->set_role(role);
  if (Status s = fillScalars(guarantee, "guarantee", config->mutable_guarantees()); !s.isOk()) {
    return fail(s.message());
  }
  if (Status s = fillScalars(limit, "limit", config->mutable_limits()); !s.isOk()) {
    return fail(s.message());
  }
  auto r = postOperatorCall(master, call);
  if (!r) {
    return fail(r.error().message());
  }
  if (r->status != 200) {
    return fail(fmt::format("the master answered HTTP {}: {}", r->status, r->body));
  }
  if (config->guarantees().empty() && config->limits().empty()) {
    fmt::print("Quota of role {} removed\n", role);
  } else {
    fmt::print("Role {} now has guarantees {} and limits {}\n", role,
               scalarsText(config->guarantees()), scalarsText(config->limits()));
  }
  return 0;
}

int explain(const std::string& master, const std::string& what, bool json) {
  auto endpoint = leadingMaster(master);
  if (!endpoint) {
    return fail(endpoint.error().message());
  }
  auto ask = [&](const std::string& param) {
    return fetch(*endpoint,
                 {.method = "GET",
                  .path = fmt::format("/master/explain?{}={}", param, http::urlEncode(what))},
                 10s);
  };
  // A framework id first; if the master knows no such framework, the argument is a role.
  auto r = ask("framework_id");
  if (r && r->status == 404) {
    r = ask("role");
  }
  if (!r) {
    return fail(connectionFailure("the master", endpoint->toString(), r.error().message()));
  }
  if (r->status != 200) {
    return fail(fmt::format("the master answered HTTP {}: {}", r->status, r->body));
  }
  if (json) {
    fmt::print("{}\n", r->body);
    return 0;
  }
  auto doc = json::parse(r->body);
  if (!doc || !doc->isObject()) {
    return fail("unreadable answer from the master");
  }
  if (doc->find("framework_id") != nullptr) {
    fmt::print("Framework {} ({})\n", (*doc)["framework_id"].asString(), (*doc)["name"].asString());
  }
  fmt::print("{:<24} {:<14} {}\n", "ROLE", "CODE", "WHY");
  for (const auto& e : (*doc)["explanations"].asArray()) {
    fmt::print("{:<24} {:<14} {}\n", e["role"].asString(), e["code"].asString(),
               e["message"].asString());
  }
  return 0;
}

}  // namespace plateau::cli
