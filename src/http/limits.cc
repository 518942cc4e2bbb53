#include "http/limits.h"

#include <charconv>

#include <fmt/format.h>

#include "common/units.h"

namespace plateau::http {

namespace {

constexpr std::string_view kPrefix = "PLATEAU_HTTP_";

Status bad(const std::string& variable, const std::string& value, const char* expected) {
  return {StatusCode::kInvalidArgument,
          fmt::format("{}='{}': expected {}", variable, value, expected)};
}

Status applyBytes(const EnvironmentMap& env, const std::string& name, size_t* out) {
  std::string variable = std::string(kPrefix) + name;
  auto it = env.find(variable);
  if (it == env.end()) {
    return Status::ok();
  }
  auto bytes = parseBytes(it->second);
  if (!bytes || *bytes == 0) {
    return bad(variable, it->second, "a positive byte size such as 64KB or 16MB");
  }
  *out = static_cast<size_t>(*bytes);
  return Status::ok();
}

Status applyDuration(const EnvironmentMap& env, const std::string& name,
                     std::chrono::milliseconds* out) {
  std::string variable = std::string(kPrefix) + name;
  auto it = env.find(variable);
  if (it == env.end()) {
    return Status::ok();
  }
  auto d = parseDuration(it->second);
  auto ms =
      d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d) : std::chrono::milliseconds(0);
  if (ms.count() <= 0) {
    return bad(variable, it->second, "a duration of at least 1ms such as 60secs");
  }
  *out = ms;
  return Status::ok();
}

Status applyCount(const EnvironmentMap& env, const std::string& name, size_t* out) {
  std::string variable = std::string(kPrefix) + name;
  auto it = env.find(variable);
  if (it == env.end()) {
    return Status::ok();
  }
  const std::string& v = it->second;
  size_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n == 0) {
    return bad(variable, v, "a positive whole number");
  }
  *out = n;
  return Status::ok();
}

}  // namespace

Result<ServerOptions> applyServerLimits(const EnvironmentMap& env, ServerOptions o) {
  for (Status s : {applyBytes(env, "MAX_REQUEST_LINE", &o.max_request_line_bytes),
                   applyBytes(env, "MAX_HEADERS", &o.max_header_bytes),
                   applyBytes(env, "MAX_BODY", &o.max_body_bytes),
                   applyBytes(env, "MAX_STREAM_BUFFER", &o.max_stream_buffer_bytes),
                   applyCount(env, "MAX_CONNECTIONS", &o.max_connections),
                   applyDuration(env, "REQUEST_TIMEOUT", &o.request_timeout),
                   applyDuration(env, "WRITE_TIMEOUT", &o.write_timeout),
                   applyDuration(env, "HANDSHAKE_TIMEOUT", &o.handshake_timeout)}) {
    if (!s.isOk()) {
      return std::unexpected(s);
    }
  }
  return o;
}

}  // namespace plateau::http
