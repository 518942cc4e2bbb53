#pragma once

// Docker image names as tasks give them (Image.Docker.name): [registry/]repository[:tag][@digest].

#include <string>

#include "common/status.h"

namespace plateau::agent::images {

struct ImageRef {
  std::string registry;    // "" when the name has none (the agent's --docker_registry serves it)
  std::string repository;  // "busybox", "library/busybox", "team/app"
  std::string tag;         // "latest" when neither tag nor digest is given
  std::string digest;      // "sha256:<64 hex>" or ""

  // The name without registry, as `docker save` tarballs in a --docker_registry directory are
  // named: "busybox:latest" (repository@digest when pinned by digest).
  std::string localName() const;
  // The full canonical form, used as the store's key.
  std::string str() const;
};

// Parses a name; InvalidArgument names the part that is wrong (empty name, upper case or other
// characters outside Docker's grammar in the repository, a tag longer than 128 characters, a
// digest that is not sha256 hex).
Result<ImageRef> parseImageRef(const std::string& name);

}  // namespace plateau::agent::images
