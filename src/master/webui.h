#pragma once

// The web UI's static files: GET / answers index.html, GET /static/... the assets beneath
// the web UI directory. Paths are resolved by the kernel beneath that directory, so no request
// reaches a file outside it.

#include <string>

#include "common/status.h"
#include "http/message.h"

namespace plateau::master::webui {

// The directory to serve: `flag` when set, else the source tree's webui/ (found through a
// compile-time definition), else the installed share/plateau/webui. "" when none exists.
std::string resolveDir(const std::string& flag);

// Whether the master answers `path` from the web UI directory.
bool isWebuiPath(const std::string& path);

// Serves GET/HEAD `request` from `dir` with a content type chosen by extension, an ETag and
// Cache-Control: no-cache (so browsers revalidate and answer 304 cheaply).
http::Response serve(const std::string& dir, const http::Request& request);

}  // namespace plateau::master::webui
