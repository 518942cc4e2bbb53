#include "service/router.h"

#include <algorithm>
#include <set>

#include "common/json.h"

namespace plateau::service {

namespace {

// Matches pattern[pi..] against segments[si..], filling `out`.
bool matchFrom(const std::vector<std::string>& pattern, size_t pi,
               const std::vector<std::string>& segments, size_t si,
               std::map<std::string, std::string>& out) {
  if (pi == pattern.size()) {
    return si == segments.size();
  }
  const std::string& p = pattern[pi];
  bool param = p.size() > 2 && p.front() == '{' && p.back() == '}';
  if (!param) {
    return si < segments.size() && segments[si] == p &&
           matchFrom(pattern, pi + 1, segments, si + 1, out);
  }
  bool rest = p[p.size() - 2] == '*';
  std::string name = p.substr(1, p.size() - (rest ? 3 : 2));
  if (si >= segments.size()) {
    return false;
  }
  size_t max_take = rest ? segments.size() - si : 1;
  for (size_t take = 1; take <= max_take; ++take) {
    std::string value;
    for (size_t i = si; i < si + take; ++i) {
      value += (i == si ? "" : "/") + segments[i];
    }
    out[name] = value;
    if (matchFrom(pattern, pi + 1, segments, si + take, out)) {
      return true;
    }
  }
  out.erase(name);
  return false;
}

}  // namespace

const std::string& Call::param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::vector<std::string> Call::queryValues(std::string_view name) const {
  std::vector<std::string> out;
  std::string_view q = request.query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key = http::urlDecode(std::string(pair.substr(0, eq)));
    if (key == name) {
      out.push_back(eq == std::string_view::npos
                        ? std::string()
                        : http::urlDecode(std::string(pair.substr(eq + 1))));
    }
  }
  return out;
}

bool Call::queryFlag(std::string_view name, bool fallback) const {
  auto values = queryValues(name);
  if (values.empty()) {
    return fallback;
  }
  std::string v = http::toLower(values.back());
  return v == "true" || v == "1" || v.empty();
}

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      slash = path.size();
    }
    if (slash > start) {
      out.push_back(http::urlDecode(std::string(path.substr(start, slash - start))));
    }
    start = slash + 1;
  }
  return out;
}

std::optional<std::map<std::string, std::string>> matchPattern(
    const std::vector<std::string>& pattern, const std::vector<std::string>& segments) {
  std::map<std::string, std::string> out;
  if (matchFrom(pattern, 0, segments, 0, out)) {
    return out;
  }
  return std::nullopt;
}

void Router::add(std::string method, std::string pattern, RouteHandler handler) {
  routes_.push_back({std::move(method), splitPath(pattern), std::move(handler)});
}

void Router::dispatch(http::Request& request, http::Responder responder) const {
  auto segments = splitPath(request.path);
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    auto params = matchPattern(route.segments, segments);
    if (!params) {
      continue;
    }
    if (route.method != request.method && !(route.method == "GET" && request.method == "HEAD")) {
      allowed.insert(route.method);
      continue;
    }
    Call call{request, std::move(*params)};
    route.handler(call, std::move(responder));
    return;
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) {
      allow += (allow.empty() ? "" : ", ") + m;
    }
    auto r = messageAnswer(405, "HTTP " + request.method + " is not allowed on " + request.path);
    r.headers["allow"] = allow;
    responder.respond(std::move(r));
    return;
  }
  responder.respond(messageAnswer(404, "The requested resource could not be found"));
}

http::Response jsonAnswer(int status, std::string body) {
  return http::Response::json(std::move(body), status);
}

http::Response messageAnswer(int status, std::string_view message) {
  std::string body;
  json::Writer w(&body);
  w.beginObject();
  w.key("message");
  w.value(message);
  w.endObject();
  return jsonAnswer(status, std::move(body));
}

}  // namespace plateau::service
