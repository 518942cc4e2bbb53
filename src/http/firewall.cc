#include "http/firewall.h"

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::http {

Result<Firewall> Firewall::parse(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc) {
    return invalidArgument(fmt::format("--firewall_rules: {}", doc.error().message()));
  }
  if (!doc->isObject()) {
    return invalidArgument(
        "--firewall_rules: expected a JSON object such as "
        "{\"disabled_endpoints\": {\"paths\": [\"/files/browse\"]}}");
  }
  Firewall firewall;
  const json::Value& rule = (*doc)["disabled_endpoints"];
  if (rule.isNull()) {
    return firewall;
  }
  const json::Value& paths = rule["paths"];
  if (!rule.isObject() || !(paths.isNull() || paths.isArray())) {
    return invalidArgument(
        "--firewall_rules: 'disabled_endpoints' must be an object with an array 'paths'");
  }
  for (size_t i = 0; i < paths.size(); i++) {
    const json::Value& path = paths[i];
    if (!path.isString() || !path.asString().starts_with('/')) {
      return invalidArgument(fmt::format(
          "--firewall_rules: disabled_endpoints.paths[{}] must be a path starting with '/'", i));
    }
    firewall.disabled_.insert(path.asString());
  }
  return firewall;
}

std::optional<Response> Firewall::check(const Request& request) const {
  if (disabled_.empty()) {
    return std::nullopt;
  }
  std::string path = request.path;
  if (!disabled_.contains(path)) {
    path = urlDecode(request.path);
    if (!disabled_.contains(path)) {
      return std::nullopt;
    }
  }
  return Response::text(403, fmt::format("Endpoint '{}' is disabled", path));
}

Handler guarded(Firewall firewall, Handler inner) {
  if (firewall.disabledPaths().empty()) {
    return inner;
  }
  return [firewall = std::move(firewall), inner = std::move(inner)](Request& request,
                                                                    Responder responder) {
    if (auto refused = firewall.check(request)) {
      return responder.respond(std::move(*refused));
    }
    inner(request, std::move(responder));
  };
}

}  // namespace plateau::http
