#include "agent/images/registry_client.h"

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/images/layer_unpack.h"
#include "common/base64.h"

namespace plateau::agent::images {

namespace {

constexpr int kMaxRedirects = 5;

// Query-string encoding of one parameter value.
std::string encodeQuery(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Status mismatch(const std::string& what, const std::string& expected, const std::string& got) {
  return {StatusCode::kInvalidArgument,
          fmt::format("digest mismatch: {} should be {} but its bytes hash to {}", what, expected,
                      got)};
}

}  // namespace

RegistryClient::RegistryClient(RegistryUrl registry, std::string repository,
                               std::optional<Credentials> credentials)
    : registry_(std::move(registry)),
      repository_(std::move(repository)),
      credentials_(std::move(credentials)) {}

Status RegistryClient::answerError(const HttpAnswer& answer, const std::string& what) const {
  std::string where =
      fmt::format("{} of '{}' from registry {}", what, repository_, registry_.authority());
  if (answer.status == 404) {
    return {StatusCode::kNotFound, fmt::format("{}: not found (404)", where)};
  }
  if (answer.status == 401 || answer.status == 403) {
    return {StatusCode::kPermissionDenied,
            fmt::format("{}: {}the registry refused access ({}){}", where,
                        answer.status == 401 ? "authentication failed: " : "", answer.status,
                        credentials_ ? " with the credentials given" : "; no credentials given")};
  }
  std::string body = answer.body.substr(0, 200);
  return {StatusCode::kUnavailable,
          fmt::format("{}: HTTP {}{}{}", where, answer.status, body.empty() ? "" : ": ", body)};
}

Status RegistryClient::authenticate(const HttpAnswer& answer) {
  auto challenge = parseChallenge(answer.header("www-authenticate"));
  if (!challenge) {
    return answerError(answer, "Authentication");
  }
  std::string basic;
  if (credentials_) {
    basic = "Basic " + base64::encode(credentials_->username + ":" + credentials_->password);
  }
  if (challenge->scheme == "basic") {
    if (basic.empty()) {
      return answerError(answer, "Authentication");
    }
    authorization_ = basic;
    return {};
  }
  if (challenge->scheme != "bearer" || challenge->params["realm"].empty()) {
    return {StatusCode::kUnimplemented,
            fmt::format("Registry {} asks for '{}' authentication, which is not supported",
                        registry_.authority(), challenge->scheme)};
  }
  auto realm = parseRegistryUrl(challenge->params["realm"]);
  if (!realm) {
    return {StatusCode::kInvalidArgument,
            fmt::format("Registry {}: bad token realm: {}", registry_.authority(),
                        realm.error().message())};
  }
  std::string scope = challenge->params.contains("scope")
                          ? challenge->params["scope"]
                          : fmt::format("repository:{}:pull", repository_);
  std::string query = "scope=" + encodeQuery(scope);
  if (challenge->params.contains("service")) {
    query += "&service=" + encodeQuery(challenge->params["service"]);
  }
  realm->path += (realm->path.find('?') == std::string::npos ? "?" : "&") + query;
  HttpGet request{.url = *realm};
  if (!basic.empty()) {
    request.headers.emplace_back("Authorization", basic);
  }
  requests_++;
  auto token = httpGet(request);
  if (!token) {
    return token.error();
  }
  if (token->status != 200) {
    return answerError(*token, "A token");
  }
  auto value = tokenFromResponse(token->body);
  if (!value) {
    return value.error();
  }
  authorization_ = "Bearer " + *value;
  return {};
}

Result<HttpAnswer> RegistryClient::get(const std::string& path, const std::string& accept,
                                       const std::string& body_file, uint64_t range_from) {
  RegistryUrl url = registry_;
  url.path = (registry_.path == "/" ? "" : registry_.path) + path;
  return getUrl(url, accept, body_file, range_from);
}

Result<HttpAnswer> RegistryClient::getUrl(RegistryUrl url, const std::string& accept,
                                          const std::string& body_file, uint64_t range_from) {
  const std::string path = url.path;
  bool authenticated = false;
  for (int hop = 0; hop <= kMaxRedirects; hop++) {
    HttpGet request{.url = url, .body_file = body_file};
    if (!body_file.empty()) {
      request.on_body = on_body_;
    }
    if (!accept.empty()) {
      request.headers.emplace_back("Accept", accept);
    }
    if (range_from > 0) {
      request.headers.emplace_back("Range", fmt::format("bytes={}-", range_from));
    }
    const bool own_host = url.authority() == registry_.authority() && url.https == registry_.https;
    if (own_host && !authorization_.empty()) {
      request.headers.emplace_back("Authorization", authorization_);
    }
    requests_++;
    auto answer = httpGet(request);
    if (!answer) {
      return answer;
    }
    if (answer->status == 401 && own_host && !authenticated) {
      authenticated = true;
      if (Status s = authenticate(*answer); !s.isOk()) {
        return std::unexpected(s);
      }
      hop--;
      continue;
    }
    if (answer->status >= 300 && answer->status < 400 && answer->status != 304) {
      auto next = resolveLocation(url, answer->header("location"));
      if (!next) {
        return std::unexpected(next.error());
      }
      url = *next;
      continue;
    }
    return answer;
  }
  return unavailable(fmt::format("GET {}: more than {} redirects", path, kMaxRedirects));
}

Result<Manifest> RegistryClient::manifest(const std::string& reference) {
  std::string ref = reference;
  for (int level = 0; level < 2; level++) {
    auto answer = get(fmt::format("/v2/{}/manifests/{}", repository_, ref), kManifestAccept, "");
    if (!answer) {
      return std::unexpected(answer.error());
    }
    if (answer->status != 200) {
      return std::unexpected(answerError(*answer, fmt::format("The manifest '{}'", ref)));
    }
    if (isSha256Digest(ref)) {
      if (std::string got = sha256Bytes(answer->body); got != ref) {
        return std::unexpected(mismatch(fmt::format("manifest {}", ref), ref, got));
      }
    }
    auto parsed = parseManifest(answer->header("content-type"), answer->body);
    if (!parsed || !parsed->platform_manifest) {
      return parsed;
    }
    ref = *parsed->platform_manifest;
  }
  return invalidArgument("An image index points at another index");
}

bool ProgressTicker::due(uint64_t received, Clock::time_point now) {
  if (received <= last_bytes_) {
    return false;
  }
  if (received - last_bytes_ < step_ && now - last_time_ < interval_) {
    return false;
  }
  last_bytes_ = received;
  last_time_ = now;
  return true;
}

Result<uint64_t> RegistryClient::blob(const std::string& digest, const std::string& path,
                                      bool resume, const std::vector<std::string>& urls) {
  if (urls.empty()) {
    RegistryUrl url = registry_;
    url.path = fmt::format("{}/v2/{}/blobs/{}", registry_.path == "/" ? "" : registry_.path,
                           repository_, digest);
    return fetchBlob(url, digest, path, resume);
  }
  // A foreign layer: from the first of its URLs that serves it (http or https only).
  std::vector<std::string> failures;
  for (const auto& given : urls) {
    auto url = given.starts_with("http://") || given.starts_with("https://")
                   ? parseRegistryUrl(given)
                   : invalidArgument("only http and https URLs are fetched");
    auto size = url ? fetchBlob(*url, digest, path, resume)
                    : Result<uint64_t>(std::unexpected(url.error()));
    if (size) {
      return size;
    }
    failures.push_back(fmt::format("{}: {}", given, size.error().message()));
  }
  return std::unexpected(
      Status(StatusCode::kUnavailable,
             fmt::format("the foreign layer {} could not be fetched from its URLs ({})", digest,
                         fmt::join(failures, "; "))));
}

Result<uint64_t> RegistryClient::fetchBlob(const RegistryUrl& from, const std::string& digest,
                                           const std::string& path, bool resume) {
  std::error_code ec;
  uint64_t have = resume ? std::filesystem::file_size(path, ec) : 0;
  if (ec) {
    have = 0;
  }
  ProgressTicker ticker(kProgressBytes, kProgressInterval, ProgressTicker::Clock::now());
  if (progress_) {
    on_body_ = [&](uint64_t received, uint64_t total) {
      if (ticker.due(received, ProgressTicker::Clock::now())) {
        progress_(digest, received, total);
      }
    };
  }
  struct Reset {
    std::function<void(uint64_t, uint64_t)>& fn;
    ~Reset() { fn = nullptr; }
  } reset{on_body_};
  for (;;) {
    auto answer = getUrl(from, "", path, have);
    if (!answer) {
      return std::unexpected(answer.error());
    }
    if (answer->status == 416 && have > 0) {  // nothing left after what is kept: start over
      std::filesystem::remove(path, ec);
      have = 0;
      continue;
    }
    if (answer->status != 200 && answer->status != 206) {
      return std::unexpected(answerError(*answer, fmt::format("The blob {}", digest)));
    }
    auto got = sha256File(path);
    if (!got) {
      return std::unexpected(got.error());
    }
    if (*got != digest) {
      std::filesystem::remove(path, ec);
      if (answer->status == 206) {  // the kept part was not this blob's: once more, whole
        have = 0;
        continue;
      }
      return std::unexpected(mismatch(fmt::format("layer {}", digest), digest, *got));
    }
    return answer->body_bytes;
  }
}

Result<std::string> RegistryClient::smallBlob(const std::string& digest) {
  auto answer = get(fmt::format("/v2/{}/blobs/{}", repository_, digest), "", "");
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (answer->status != 200) {
    return std::unexpected(answerError(*answer, fmt::format("The blob {}", digest)));
  }
  if (std::string got = sha256Bytes(answer->body); got != digest) {
    return std::unexpected(mismatch(fmt::format("config {}", digest), digest, got));
  }
  return std::move(answer->body);
}

}  // namespace plateau::agent::images
