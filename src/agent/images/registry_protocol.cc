#include "agent/images/registry_protocol.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/json.h"

namespace plateau::agent::images {

namespace {

constexpr const char* kSchema2 = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
constexpr const char* kSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  size_t b = text.find_first_not_of(" \t");
  size_t e = text.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : text.substr(b, e - b + 1);
}

const std::string* stringField(const json::Value& object, std::string_view key) {
  const json::Value* v = object.isObject() ? object.find(key) : nullptr;
  return v != nullptr && v->isString() ? &v->asString() : nullptr;
}

Result<Manifest> pickPlatform(const json::Value& doc, const std::string& os,
                              const std::string& arch) {
  const json::Value* manifests = doc.find("manifests");
  if (manifests == nullptr || !manifests->isArray()) {
    return invalidArgument("Malformed image index: no 'manifests' array");
  }
  std::vector<std::string> seen;
  for (const auto& entry : manifests->asArray()) {
    const std::string* digest = stringField(entry, "digest");
    const json::Value* platform = entry.isObject() ? entry.find("platform") : nullptr;
    if (digest == nullptr || platform == nullptr || !platform->isObject()) {
      continue;
    }
    const std::string* entry_os = stringField(*platform, "os");
    const std::string* entry_arch = stringField(*platform, "architecture");
    std::string name =
        fmt::format("{}/{}", entry_os ? *entry_os : "?", entry_arch ? *entry_arch : "?");
    if (entry_os != nullptr && entry_arch != nullptr && *entry_os == os && *entry_arch == arch) {
      if (!isSha256Digest(*digest)) {
        return invalidArgument(fmt::format("Image index names an invalid digest '{}'", *digest));
      }
      Manifest out;
      out.platform_manifest = *digest;
      return out;
    }
    seen.push_back(name);
  }
  return notFound(
      fmt::format("The image index has no manifest for {}/{} (it has: {})", os, arch,
                  seen.empty() ? std::string("none") : fmt::format("{}", fmt::join(seen, ", "))));
}

Result<Manifest> imageManifest(const json::Value& doc) {
  const std::string* config = doc.find("config") ? stringField(doc["config"], "digest") : nullptr;
  const json::Value* layers = doc.find("layers");
  if (config == nullptr || layers == nullptr || !layers->isArray()) {
    return invalidArgument("Malformed image manifest: it needs 'config.digest' and 'layers'");
  }
  if (!isSha256Digest(*config)) {
    return invalidArgument(
        fmt::format("Image manifest names an invalid config digest '{}'", *config));
  }
  Manifest out;
  out.config_digest = *config;
  for (const auto& layer : layers->asArray()) {
    const std::string* digest = stringField(layer, "digest");
    if (digest == nullptr || !isSha256Digest(*digest)) {
      return invalidArgument("Image manifest has a layer without a valid sha256 'digest'");
    }
    if (std::find(out.layers.begin(), out.layers.end(), *digest) == out.layers.end()) {
      out.layers.push_back(*digest);
    }
    const std::string* media = stringField(layer, "mediaType");
    if (media != nullptr && (media->find(".foreign.") != std::string::npos ||
                             media->find(".nondistributable.") != std::string::npos)) {
      auto& urls = out.foreign_urls[*digest];
      if (const json::Value* list = layer.find("urls"); list != nullptr && list->isArray()) {
        for (const auto& url : list->asArray()) {
          if (url.isString()) {
            urls.push_back(url.asString());
          }
        }
      }
    }
  }
  return out;
}

// Schema 1: fsLayers and history top first; history[0].v1Compatibility is the top layer's
// Docker v1 json, with the image's config.
Result<Manifest> schema1Manifest(const json::Value& doc) {
  const json::Value* fs_layers = doc.find("fsLayers");
  const json::Value* history = doc.find("history");
  if (fs_layers == nullptr || !fs_layers->isArray() || fs_layers->size() == 0) {
    return invalidArgument("Malformed schema 1 manifest: no 'fsLayers'");
  }
  Manifest out;
  const auto& entries = fs_layers->asArray();
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const std::string* digest = stringField(*it, "blobSum");
    if (digest == nullptr || !isSha256Digest(*digest)) {
      return invalidArgument("Schema 1 manifest has a layer without a valid sha256 'blobSum'");
    }
    // A digest seen again (schema 1 repeats the empty layer) keeps its topmost place.
    out.layers.erase(std::remove(out.layers.begin(), out.layers.end(), *digest), out.layers.end());
    out.layers.push_back(*digest);
  }
  out.config = ImageConfig{};
  if (history != nullptr && history->isArray() && history->size() > 0) {
    const std::string* v1 = stringField((*history)[0], "v1Compatibility");
    if (v1 != nullptr) {
      auto top = json::parse(*v1);
      if (!top) {
        return invalidArgument("Schema 1 manifest: history[0].v1Compatibility is not JSON");
      }
      auto config = parseImageConfig(*top);
      if (!config) {
        return std::unexpected(config.error());
      }
      out.config = *config;
    }
  }
  return out;
}

}  // namespace

const char* const kManifestAccept =
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v1+prettyjws, "
    "application/vnd.docker.distribution.manifest.v1+json";

bool isSha256Digest(const std::string& digest) {
  if (digest.size() != 71 || !digest.starts_with("sha256:")) {
    return false;
  }
  return std::all_of(digest.begin() + 7, digest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string RegistryUrl::authority() const {
  bool default_port = (https && port == "443") || (!https && port == "80");
  return default_port ? host : host + ":" + port;
}

std::string RegistryUrl::str() const {
  return fmt::format("{}://{}{}", https ? "https" : "http", authority(), path);
}

Result<RegistryUrl> parseRegistryUrl(const std::string& url) {
  RegistryUrl out;
  std::string rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.https = false;
    rest = url.substr(7);
  } else {
    return invalidArgument(fmt::format("'{}' is not an http:// or https:// URL", url));
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return invalidArgument(fmt::format("'{}' has no host (or has user info)", url));
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
    if (out.port.empty() || !std::all_of(out.port.begin(), out.port.end(), ::isdigit)) {
      return invalidArgument(fmt::format("'{}' has an invalid port", url));
    }
  } else {
    out.host = authority;
    out.port = out.https ? "443" : "80";
  }
  return out;
}

Result<RegistryUrl> resolveLocation(const RegistryUrl& base, const std::string& location) {
  if (location.starts_with("http://") || location.starts_with("https://")) {
    return parseRegistryUrl(location);
  }
  if (!location.starts_with("/")) {
    return invalidArgument(fmt::format("Unsupported redirect location '{}'", location));
  }
  RegistryUrl out = base;
  out.path = location;
  return out;
}

Result<Challenge> parseChallenge(const std::string& header) {
  std::string text = trim(header);
  size_t space = text.find(' ');
  Challenge out;
  out.scheme = lower(text.substr(0, space));
  if (out.scheme.empty()) {
    return invalidArgument("Empty WWW-Authenticate header");
  }
  size_t i = space == std::string::npos ? text.size() : space + 1;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) {
      i++;
    }
    size_t eq = text.find('=', i);
    if (eq == std::string::npos) {
      break;
    }
    std::string key = lower(trim(text.substr(i, eq - i)));
    std::string value;
    i = eq + 1;
    if (i < text.size() && text[i] == '"') {
      for (i++; i < text.size() && text[i] != '"'; i++) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          i++;
        }
        value += text[i];
      }
      i++;
    } else {
      size_t end = text.find(',', i);
      value = trim(text.substr(i, end == std::string::npos ? std::string::npos : end - i));
      i = end == std::string::npos ? text.size() : end;
    }
    out.params[key] = value;
  }
  return out;
}

Result<std::optional<Credentials>> credentialsFor(const std::string& config_json,
                                                  const std::string& authority) {
  auto doc = json::parse(config_json);
  if (!doc || !doc->isObject()) {
    return invalidArgument("Docker config is not a JSON object");
  }
  const json::Value* auths = doc->find("auths");
  if (auths == nullptr || !auths->isObject()) {
    return std::optional<Credentials>();
  }
  const bool hub = authority == "registry-1.docker.io" || authority == "index.docker.io" ||
                   authority == "docker.io";
  for (const auto& [key, entry] : auths->asObject()) {
    std::string host = key;
    if (auto url = parseRegistryUrl(key)) {
      host = url->authority();
    }
    host = host.substr(0, host.find('/'));
    if (host != authority && host != "*" && !(hub && host == "index.docker.io")) {
      continue;
    }
    if (const std::string* auth = stringField(entry, "auth"); auth != nullptr && !auth->empty()) {
      auto decoded = base64::decode(*auth);
      size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return invalidArgument(
            fmt::format("Docker config: the 'auth' of '{}' is not base64 of 'user:password'", key));
      }
      return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
    }
    const std::string* user = stringField(entry, "username");
    const std::string* password = stringField(entry, "password");
    if (user != nullptr && password != nullptr) {
      return Credentials{*user, *password};
    }
  }
  return std::optional<Credentials>();
}

Result<std::string> tokenFromResponse(const std::string& body) {
  auto doc = json::parse(body);
  if (doc && doc->isObject()) {
    for (const char* key : {"token", "access_token"}) {
      if (const std::string* token = stringField(*doc, key); token && !token->empty()) {
        return *token;
      }
    }
  }
  return invalidArgument("The token endpoint's answer has no 'token'");
}

Result<Manifest> parseManifest(const std::string& content_type, const std::string& body,
                               const std::string& os, const std::string& architecture) {
  auto doc = json::parse(body);
  if (!doc || !doc->isObject()) {
    return invalidArgument("The manifest is not a JSON object");
  }
  std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  const std::string* media = stringField(*doc, "mediaType");
  if ((type.empty() || type == "application/json" || type == "text/plain") && media != nullptr) {
    type = *media;
  }
  const json::Value* version = doc->find("schemaVersion");
  const bool v1 = version != nullptr && version->isNumber() && version->asDouble() == 1;
  if (type == kList || type == kOciIndex ||
      (type != kSchema2 && type != kOciManifest && !v1 && doc->find("manifests") != nullptr)) {
    return pickPlatform(*doc, os, architecture);
  }
  if (type == kSchema1 || type == kSchema1Signed || v1) {
    return schema1Manifest(*doc);
  }
  return imageManifest(*doc);
}

}  // namespace plateau::agent::images
