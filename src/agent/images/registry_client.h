#pragma once

// A Docker registry v2 / OCI distribution client for one repository of one registry, used by a
// pull on its worker thread (blocking calls; never on the agent's loop).
// - Authentication as the registry asks in `WWW-Authenticate`: Bearer (a token fetched from the
//   challenge's realm with its service and scope, with Basic credentials when there are some,
//   anonymously otherwise) or Basic. A token is kept for the client's later requests.
// - Redirects (blobs are often served elsewhere) are followed, up to 5; credentials are sent
//   only to the registry's own host.
// - Manifests: an index or manifest list is resolved to this machine's platform (linux/amd64).
// - Blobs are written to a file and checked against their sha256 digest.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/images/registry_http.h"
#include "agent/images/registry_protocol.h"
#include "common/status.h"

namespace plateau::agent::images {

// When a long download deserves a line in the log: each time `bytes_step` more bytes came, or
// `interval` passed since the last line with some bytes more. Pure (the caller gives the time).
class ProgressTicker {
 public:
  using Clock = std::chrono::steady_clock;
  ProgressTicker(uint64_t bytes_step, Clock::duration interval, Clock::time_point start)
      : step_(bytes_step), interval_(interval), last_time_(start) {}
  bool due(uint64_t received, Clock::time_point now);

 private:
  uint64_t step_;
  Clock::duration interval_;
  uint64_t last_bytes_ = 0;
  Clock::time_point last_time_;
};

class RegistryClient {
 public:
  RegistryClient(RegistryUrl registry, std::string repository,
                 std::optional<Credentials> credentials);

  // The image manifest for `reference` (a tag or a digest), through an index when the
  // registry answers with one. NotFound for an unknown repository or reference,
  // PermissionDenied when the registry refuses (missing or wrong credentials).
  Result<Manifest> manifest(const std::string& reference);

  // Downloads the blob into `path` and verifies it: InvalidArgument ("digest mismatch") when
  // its bytes do not hash to `digest` (the file is then removed). Returns the size. With
  // `resume`, what `path` already holds is taken as the blob's first bytes and only the rest is
  // asked for (an HTTP Range); a registry that answers with the whole blob, or a kept part that
  // proves wrong, means one download afresh. The file is kept when the download breaks off.
  // `urls`: a foreign layer's URLs (Manifest::foreign_urls): the blob is fetched from the first
  // http(s) URL that serves it, never from the registry; Unavailable names each URL's failure.
  Result<uint64_t> blob(const std::string& digest, const std::string& path, bool resume = false,
                        const std::vector<std::string>& urls = {});

  // A blob small enough for memory (an image config), verified the same way.
  Result<std::string> smallBlob(const std::string& digest);

  uint64_t requests() const { return requests_; }

  // Called on the pulling thread while a blob downloads (digest, bytes so far, its size), at
  // most every kProgressBytes or kProgressInterval (ProgressTicker), so a large pull shows
  // its progress within each layer.
  using Progress = std::function<void(const std::string&, uint64_t, uint64_t)>;
  void onProgress(Progress fn) { progress_ = std::move(fn); }
  static constexpr uint64_t kProgressBytes = 16ull << 20;
  static constexpr std::chrono::seconds kProgressInterval{5};

 private:
  // `range_from` > 0 asks for the body from that byte on (Range: bytes=N-).
  Result<HttpAnswer> get(const std::string& path, const std::string& accept,
                         const std::string& body_file, uint64_t range_from = 0);
  // The same from any URL (credentials only to the registry's own host).
  Result<HttpAnswer> getUrl(RegistryUrl url, const std::string& accept,
                            const std::string& body_file, uint64_t range_from);
  Result<uint64_t> fetchBlob(const RegistryUrl& from, const std::string& digest,
                             const std::string& path, bool resume);
  Status authenticate(const HttpAnswer& challenge);
  Status answerError(const HttpAnswer& answer, const std::string& what) const;

  RegistryUrl registry_;
  std::string repository_;
  std::optional<Credentials> credentials_;
  std::string authorization_;  // "Bearer ..." or "Basic ..." once the registry asked
  uint64_t requests_ = 0;
  Progress progress_;
  std::function<void(uint64_t, uint64_t)> on_body_;  // the blob being fetched (fetchBlob)
};

}  // namespace plateau::agent::images
