#pragma once

// The sandbox files API, in Mesos's shapes: /files/browse, /files/read (offset/length, for
// tailing logs) and /files/download. Only attached sandboxes are served, and no request ever
// reaches outside one: paths are resolved beneath the sandbox by the kernel (openat2 with
// RESOLVE_BENEATH), so neither '..' nor a symlink a task planted can escape it.

#include <string>
#include <vector>

#include "http/message.h"

namespace plateau::agent {

// A sandbox as the files API exposes it: requests name `virtual_path` (or the sandbox's real
// path) followed by a path inside it.
struct Attachment {
  std::string virtual_path;
  std::string directory;
};

// Answers GET /files/{browse,read,download}[.json]. 404 for a path outside every attachment.
http::Response serveFiles(const http::Request& request, const std::vector<Attachment>& sandboxes);

}  // namespace plateau::agent
