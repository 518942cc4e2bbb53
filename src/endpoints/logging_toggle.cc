#include "endpoints/logging_toggle.h"

#include <charconv>
#include <cstdint>

#include <fmt/format.h>

#include "common/units.h"

namespace plateau::endpoints {

http::Response toggleLogging(const http::Request& request, LoggingLevel& level) {
  if (request.method != "GET" && request.method != "POST") {
    http::Response r = http::Response::text(405, "Expecting 'GET' or 'POST'");
    r.headers["allow"] = "GET, POST";
    return r;
  }
  auto level_text = request.queryParam("level");
  if (!level_text) {
    return http::Response::text(400, "Expecting 'level=value' in query");
  }
  uint32_t value = 0;
  const char* end = level_text->data() + level_text->size();
  auto parsed = std::from_chars(level_text->data(), end, value);
  if (level_text->empty() || parsed.ec != std::errc() || parsed.ptr != end) {
    return http::Response::text(
        400, fmt::format("Invalid level '{}': expecting a non-negative integer", *level_text));
  }
  auto duration_text = request.queryParam("duration");
  if (!duration_text) {
    return http::Response::text(400, "Expecting 'duration=value' in query");
  }
  auto duration = parseDuration(*duration_text);
  if (!duration || duration->count() < 0) {
    return http::Response::text(
        400, fmt::format("Invalid duration '{}': expecting a duration such as 10secs or 15mins",
                         *duration_text));
  }
  level.set(value, *duration);
  return http::Response{.status = 200, .headers = {}, .body = {}};
}

}  // namespace plateau::endpoints
