#pragma once

// The pure parts of the Docker registry HTTP API v2 / OCI distribution protocol: registry URLs,
// `WWW-Authenticate` challenges, manifests of every kind a registry may answer with (Docker
// schema 2, OCI image manifests, OCI image indexes and Docker manifest lists, Docker schema 1)
// and Docker's config.json credentials. No I/O.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/images/image_config.h"
#include "common/status.h"

namespace plateau::agent::images {

// The media types a pull asks for, in the manifest request's Accept header.
extern const char* const kManifestAccept;

struct RegistryUrl {
  bool https = true;
  std::string host;  // as in the URL ("127.0.0.1", "registry-1.docker.io")
  std::string port;  // "443", "80" or the URL's own
  std::string path;  // the rest, starting with '/' ("/" when the URL has none)

  // "host" or "host:port" when the port is not the scheme's default (Host header, auth key).
  std::string authority() const;
  std::string str() const;  // scheme://authority/path
};

// http:// and https:// URLs only; InvalidArgument otherwise.
Result<RegistryUrl> parseRegistryUrl(const std::string& url);

// A redirect's Location against the URL that answered it (absolute, or a path on its host).
Result<RegistryUrl> resolveLocation(const RegistryUrl& base, const std::string& location);

// One challenge of a `WWW-Authenticate` header: "Bearer realm=...,service=...,scope=..." or
// "Basic realm=...". The scheme is lower-cased; parameter values are unquoted.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
Result<Challenge> parseChallenge(const std::string& header);

struct Credentials {
  std::string username;
  std::string password;
};

// The credentials Docker's config.json (its "auths": {"<registry>": {"auth": base64(user:pass)}}
// or "username"/"password") holds for the registry at `authority`. Keys are matched as Docker
// does: the authority itself, or a URL whose host (and port) is the authority;
// "https://index.docker.io/v1/" stands for Docker Hub; "*" (ours, for Image.Docker.credential)
// matches any registry. nullopt when none matches;
// InvalidArgument when the JSON or an "auth" value is malformed.
Result<std::optional<Credentials>> credentialsFor(const std::string& config_json,
                                                  const std::string& authority);

// The token in a token endpoint's answer ("token", else "access_token").
Result<std::string> tokenFromResponse(const std::string& body);

// What a manifest request answered.
struct Manifest {
  // An index or manifest list: the digest of the manifest picked for the platform.
  std::optional<std::string> platform_manifest;
  // An image manifest: its layers' blob digests, bottom first (no duplicates), and either the
  // digest of its config blob (schema 2, OCI) or the config itself (schema 1).
  std::vector<std::string> layers;
  // Foreign (non-distributable) layers: digest → the `urls` the manifest gives for it (Docker's
  // foreign media type, OCI's nondistributable ones); they are fetched from there.
  std::map<std::string, std::vector<std::string>> foreign_urls;
  std::string config_digest;
  std::optional<ImageConfig> config;
};

// Parses a manifest by its Content-Type (or, when that is missing or generic, by its
// "mediaType"/"schemaVersion"). An index picks the entry for `os`/`architecture` (NotFound,
// listing what the index has, when none matches). InvalidArgument on malformed manifests or
// digests that are not "sha256:<64 hex>".
Result<Manifest> parseManifest(const std::string& content_type, const std::string& body,
                               const std::string& os = "linux",
                               const std::string& architecture = "amd64");

// "sha256:<64 lowercase hex>".
bool isSha256Digest(const std::string& digest);

}  // namespace plateau::agent::images
