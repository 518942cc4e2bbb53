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

#include <cstdint>
#include <optional>
#include <string>

#include "agent/images/registry_http.h"
#include "agent/images/registry_protocol.h"
#include "common/status.h"

namespace plateau::agent::images {

class RegistryClient {
 public:
  RegistryClient(RegistryUrl registry, std::string repository,
                 std::optional<Credentials> credentials);

  // The image manifest for `reference` (a tag or a digest), through an index when the
  // registry answers with one. NotFound for an unknown repository or reference,
  // PermissionDenied when the registry refuses (missing or wrong credentials).
  Result<Manifest> manifest(const std::string& reference);

  // Downloads the blob into `path` and verifies it: InvalidArgument ("digest mismatch") when
  // its bytes do not hash to `digest`. Returns the size.
  Result<uint64_t> blob(const std::string& digest, const std::string& path);

  // A blob small enough for memory (an image config), verified the same way.
  Result<std::string> smallBlob(const std::string& digest);

  uint64_t requests() const { return requests_; }

 private:
  Result<HttpAnswer> get(const std::string& path, const std::string& accept,
                         const std::string& body_file);
  Status authenticate(const HttpAnswer& challenge);
  Status answerError(const HttpAnswer& answer, const std::string& what) const;

  RegistryUrl registry_;
  std::string repository_;
  std::optional<Credentials> credentials_;
  std::string authorization_;  // "Bearer ..." or "Basic ..." once the registry asked
  uint64_t requests_ = 0;
};

}  // namespace plateau::agent::images
