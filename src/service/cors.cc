#include "service/cors.h"

#include <memory>

namespace plateau::service {

namespace {

constexpr const char* kAllowOrigin = "access-control-allow-origin";

// Forwards to the original Responder, adding the header on the way.
class CrossOriginExchange : public http::Exchange {
 public:
  explicit CrossOriginExchange(http::Responder inner) : inner_(std::move(inner)) {}

  void respond(http::Response response) override {
    response.headers[kAllowOrigin] = "*";
    inner_.respond(std::move(response));
  }

  std::shared_ptr<http::Stream> stream(int status, http::Headers headers) override {
    headers[kAllowOrigin] = "*";
    return inner_.stream(status, std::move(headers));
  }

 private:
  http::Responder inner_;
};

}  // namespace

std::optional<http::Responder> allowCrossOrigin(const http::Request& request,
                                                http::Responder responder) {
  if (request.method == "OPTIONS" && !request.header("access-control-request-method").empty()) {
    responder.respond(http::Response{
        .status = 204,
        .headers = {{kAllowOrigin, "*"},
                    {"access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE"},
                    {"access-control-allow-headers", "content-type, accept"},
                    {"access-control-max-age", "600"}},
        .body = ""});
    return std::nullopt;
  }
  return http::Responder(std::make_shared<CrossOriginExchange>(std::move(responder)));
}

}  // namespace plateau::service
