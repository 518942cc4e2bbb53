#include "cli/credentials.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/base64.h"
#include "common/json.h"

namespace plateau::cli {
namespace {

const CredentialOptions* g_options = nullptr;  // set once by main(), read by fetch()

Result<std::string> readFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return std::unexpected(
        Status(StatusCode::kInvalidArgument, fmt::format("{}: cannot read '{}'", flag, path)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string field(const json::Value& doc, std::string_view name) {
  const json::Value* v = doc.find(name);
  return v != nullptr && v->isString() ? v->asString() : "";
}

}  // namespace

std::string Credentials::authorization() const {
  if (!token.empty()) {
    return "Bearer " + token;
  }
  if (!principal.empty()) {
    return "Basic " + base64::encode(principal + ":" + secret);
  }
  return "";
}

Result<Credentials> resolveCredentials(const CredentialOptions& options) {
  if (!options.principal.empty()) {
    Credentials out{options.principal, options.secret, ""};
    if (!options.secret_file.empty()) {
      auto secret = readFile("--secret_file", options.secret_file);
      if (!secret) {
        return std::unexpected(secret.error());
      }
      while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
        secret->pop_back();
      }
      out.secret = std::move(*secret);
    }
    return out;
  }
  if (options.config.empty()) {
    return Credentials{};
  }
  auto text = readFile("--config", options.config);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto doc = json::parse(*text);
  if (!doc || !doc->isObject()) {
    return std::unexpected(
        Status(StatusCode::kInvalidArgument,
               fmt::format("--config: '{}' is not a JSON object with 'principal' and 'secret' or "
                           "'token'{}",
                           options.config, doc ? "" : ": " + doc.error().message())));
  }
  return Credentials{field(*doc, "principal"), field(*doc, "secret"), field(*doc, "token")};
}

void useCredentials(const CredentialOptions* options) { g_options = options; }

Result<Credentials> currentCredentials() {
  return g_options == nullptr ? Credentials{} : resolveCredentials(*g_options);
}

Result<http::Response> fetch(const http::Endpoint& endpoint, http::ClientRequest request,
                             std::chrono::milliseconds timeout) {
  auto credentials = currentCredentials();
  if (!credentials) {
    return std::unexpected(credentials.error());
  }
  if (std::string header = credentials->authorization(); !header.empty()) {
    request.headers["authorization"] = header;
  }
  return http::fetchSync(endpoint, std::move(request), timeout);
}

}  // namespace plateau::cli
