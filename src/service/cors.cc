#include "service/cors.h"

#include <memory>
#include <utility>

namespace plateau::service {

namespace {

constexpr const char* kAllowOrigin = "access-control-allow-origin";

// Forwards to the original Responder, adding the headers on the way.
class CrossOriginExchange : public http::Exchange {
 public:
  CrossOriginExchange(http::Responder inner, std::string allow_origin)
      : inner_(std::move(inner)), allow_origin_(std::move(allow_origin)) {}

  void respond(http::Response response) override {
    add(response.headers);
    inner_.respond(std::move(response));
  }

  std::shared_ptr<http::Stream> stream(int status, http::Headers headers) override {
    add(headers);
    return inner_.stream(status, std::move(headers));
  }

 private:
  void add(http::Headers& headers) const {
    headers[kAllowOrigin] = allow_origin_;
    if (allow_origin_ != "*") {
      headers["vary"] = "Origin";  // the answer differs by origin: caches must know
    }
  }

  http::Responder inner_;
  std::string allow_origin_;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// scheme://host[:port], nothing after.
bool looksLikeOrigin(std::string_view o) {
  size_t sep = o.find("://");
  if (sep == std::string_view::npos || sep == 0 || sep + 3 >= o.size()) {
    return false;
  }
  return o.find('/', sep + 3) == std::string_view::npos;
}

}  // namespace

std::expected<CorsPolicy, Status> CorsPolicy::parse(std::string_view list) {
  CorsPolicy policy;
  while (!trim(list).empty()) {
    size_t comma = list.find(',');
    std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry == "*") {
      policy.any_ = true;
    } else if (looksLikeOrigin(entry)) {
      policy.origins_.emplace_back(entry);
    } else {
      return std::unexpected(
          Status(StatusCode::kInvalidArgument,
                 "'" + std::string(entry) + "' is not an origin (scheme://host[:port]) nor '*'"));
    }
  }
  return policy;
}

CorsPolicy CorsPolicy::any() {
  CorsPolicy policy;
  policy.any_ = true;
  return policy;
}

std::string CorsPolicy::allowOrigin(const std::string& origin) const {
  if (any_) {
    return "*";
  }
  for (const auto& o : origins_) {
    if (o == origin) {
      return origin;
    }
  }
  return "";
}

std::optional<http::Responder> allowCrossOrigin(const http::Request& request,
                                                http::Responder responder,
                                                const CorsPolicy& policy) {
  std::string allow = policy.allowOrigin(request.header("origin"));
  if (allow.empty()) {
    return responder;
  }
  if (request.method == "OPTIONS" && !request.header("access-control-request-method").empty()) {
    http::Headers headers = {{kAllowOrigin, allow},
                             {"access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE"},
                             {"access-control-allow-headers", "content-type, accept"},
                             {"access-control-max-age", "600"}};
    if (allow != "*") {
      headers["vary"] = "Origin";
    }
    responder.respond(http::Response{.status = 204, .headers = std::move(headers), .body = ""});
    return std::nullopt;
  }
  return http::Responder(std::make_shared<CrossOriginExchange>(std::move(responder), allow));
}

std::optional<http::Responder> allowCrossOrigin(const http::Request& request,
                                                http::Responder responder) {
  static const CorsPolicy kAny = CorsPolicy::any();
  return allowCrossOrigin(request, std::move(responder), kAny);
}

}  // namespace plateau::service
