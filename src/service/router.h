#pragma once

// The routing table of a REST service (plateau-apps, plateau-jobs): method plus a path pattern
// to a handler, with path parameters, and the JSON answers such services give. Patterns are
// '/'-separated: a literal segment, "{name}" (one segment) or "{name*}" (one or more segments,
// for ids that are paths such as Marathon's "/shop/web"); a "*" parameter takes as few segments
// as the rest of the pattern allows. Loop thread only.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace plateau::service {

// A matched request: the request itself and its path parameters (URL-decoded).
struct Call {
  http::Request& request;
  std::map<std::string, std::string> params;

  const std::string& param(const std::string& name) const;
  // Every value of a query parameter, in order ("embed=a&embed=b"); commas are not split.
  std::vector<std::string> queryValues(std::string_view name) const;
  // A boolean query parameter: "true"/"1" (any case) is true; absent is `fallback`.
  bool queryFlag(std::string_view name, bool fallback = false) const;
};

using RouteHandler = std::function<void(Call&, http::Responder)>;

class Router {
 public:
  void add(std::string method, std::string pattern, RouteHandler handler);
  // Runs the first route whose pattern and method match. A path that matches only under other
  // methods answers 405 with Allow; no match at all answers 404 {"message": ...}.
  void dispatch(http::Request& request, http::Responder responder) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

// Splits "/a/b/" into {"a", "b"} (empty segments dropped).
std::vector<std::string> splitPath(std::string_view path);
// `pattern` against `segments`; the parameters when it matches.
std::optional<std::map<std::string, std::string>> matchPattern(
    const std::vector<std::string>& pattern, const std::vector<std::string>& segments);

// A JSON answer (Content-Type application/json).
http::Response jsonAnswer(int status, std::string body);
// {"message": message} with `status`, as Marathon and Chronos answer errors.
http::Response messageAnswer(int status, std::string_view message);

}  // namespace plateau::service
