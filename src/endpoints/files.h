#pragma once

// The files API, in Mesos's shapes, for the agent's sandboxes and the master's log:
// /files/browse, /files/read (offset/length, for tailing logs), /files/download and
// /files/debug. Only attached directories and files are served, and no request ever reaches
// outside one: paths are resolved beneath the attached directory by the kernel (openat2 with
// RESOLVE_BENEATH), so neither '..' nor a symlink a task planted can escape it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "http/message.h"

namespace plateau::files {

// A directory (a sandbox) as the files API exposes it: requests name `virtual_path` (or the
// directory's real path) followed by a path inside it. With `file` set, `directory` is one file
// (the master's log), served at `virtual_path` alone.
struct Attachment {
  std::string virtual_path;
  std::string directory;
  bool file = false;
};

// Answers GET /files/{browse,read,download,debug}[.json]. 404 for a path outside every
// attachment; /files/debug lists the attachments (virtual path: real path).
http::Response serveFiles(const http::Request& request, const std::vector<Attachment>& sandboxes);

// The same confinement for the v1 agent API's LIST_FILES and READ_FILE. Errors: kNotFound
// (no attachment or no such file), kPermissionDenied (leads outside), kInvalidArgument.
struct FileEntry {
  std::string path;
  int64_t nlink = 0;
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds
  uint32_t mode = 0;  // st_mode
  std::string uid;
  std::string gid;
};
Result<std::vector<FileEntry>> listFiles(const std::string& path,
                                         const std::vector<Attachment>& sandboxes);
struct FileData {
  uint64_t size = 0;  // the whole file's
  std::string data;
};
Result<FileData> readFile(const std::string& path, uint64_t offset, std::optional<uint64_t> length,
                          const std::vector<Attachment>& sandboxes);

}  // namespace plateau::files
