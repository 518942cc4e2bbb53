#include "endpoints/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "common/fd.h"
#include "common/json.h"

namespace plateau::files {

namespace {

constexpr int64_t kMaxReadLength = 16 * 4096;  // Mesos's limit: 16 pages per read

struct Resolved {
  std::string shown;     // the path as the client named it, normalized
  std::string sandbox;   // the sandbox's real directory
  std::string relative;  // inside the sandbox ("" or "." for the sandbox itself)
};

std::string trimSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

std::optional<Resolved> resolve(const std::string& path, const std::vector<Attachment>& sandboxes) {
  std::string wanted = trimSlashes(path);
  for (const auto& a : sandboxes) {
    if (a.file) {
      auto slash = a.directory.rfind('/');
      if (slash != std::string::npos && slash + 1 < a.directory.size() &&
          (wanted == trimSlashes(a.virtual_path) || wanted == a.directory)) {
        return Resolved{wanted, slash == 0 ? "/" : a.directory.substr(0, slash),
                        a.directory.substr(slash + 1)};
      }
      continue;
    }
    for (const std::string& root : {trimSlashes(a.virtual_path), trimSlashes(a.directory)}) {
      if (root.empty()) {
        continue;
      }
      if (wanted == root) {
        return Resolved{wanted, a.directory, "."};
      }
      if (wanted.starts_with(root + "/")) {
        return Resolved{wanted, a.directory, wanted.substr(root.size() + 1)};
      }
    }
  }
  return std::nullopt;
}

// Opens `relative` beneath `sandbox`: the kernel refuses any '..' or symlink leaving it.
int openBeneath(const std::string& sandbox, const std::string& relative, int flags) {
  Fd root(::open(sandbox.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    return -1;
  }
  open_how how{};
  // O_NONBLOCK: a FIFO a task planted must not block the agent's loop.
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NONBLOCK);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof(how)));
}

http::Response openError(const std::string& path) {
  if (errno == EXDEV || errno == ELOOP) {
    return http::Response::text(403, fmt::format("'{}' leads outside the sandbox", path));
  }
  if (errno == ENOENT || errno == ENOTDIR) {
    return http::Response::text(404, fmt::format("No such file or directory '{}'", path));
  }
  return http::Response::text(500, fmt::format("Cannot open '{}': {}", path, std::strerror(errno)));
}

std::string modeString(mode_t mode) {
  std::string s = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    s += (mode & (1 << (8 - i))) ? rwx[i] : '-';
  }
  return s;
}

void writeEntry(json::Writer& w, const std::string& path, const struct stat& st) {
  struct passwd* pw = ::getpwuid(st.st_uid);
  struct group* gr = ::getgrgid(st.st_gid);
  w.beginObject();
  w.key("gid");
  w.value(gr != nullptr ? std::string(gr->gr_name) : std::to_string(st.st_gid));
  w.key("mode");
  w.value(modeString(st.st_mode));
  w.key("mtime");
  w.value(static_cast<double>(st.st_mtime));
  w.key("nlink");
  w.value(static_cast<int64_t>(st.st_nlink));
  w.key("path");
  w.value(path);
  w.key("size");
  w.value(static_cast<int64_t>(st.st_size));
  w.key("uid");
  w.value(pw != nullptr ? std::string(pw->pw_name) : std::to_string(st.st_uid));
  w.endObject();
}

http::Response browse(const Resolved& r) {
  Fd dir(openBeneath(r.sandbox, r.relative, O_RDONLY));
  struct stat self {};
  if (dir.get() < 0 || ::fstat(dir.get(), &self) != 0) {
    return openError(r.shown);
  }
  if (!S_ISDIR(self.st_mode)) {
    // As in Mesos: a file lists as itself.
    std::string out;
    json::Writer w(&out);
    w.beginArray();
    writeEntry(w, r.shown, self);
    w.endArray();
    return http::Response::json(std::move(out));
  }
  DIR* d = ::fdopendir(dir.get());
  if (d == nullptr) {
    return openError(r.shown);
  }
  int fd = dir.release();
  std::vector<std::pair<std::string, struct stat>> entries;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    struct stat st {};
    if (name == "." || name == ".." || ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    entries.emplace_back(name, st);
  }
  ::closedir(d);
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  json::Writer w(&out);
  w.beginArray();
  for (const auto& [name, st] : entries) {
    writeEntry(w, r.shown + "/" + name, st);
  }
  w.endArray();
  return http::Response::json(std::move(out));
}

std::optional<int64_t> intParam(const http::Request& request, const std::string& name) {
  auto text = request.queryParam(name);
  if (!text) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return std::numeric_limits<int64_t>::min();
  }
  return value;
}

http::Response read(const http::Request& request, const Resolved& r) {
  auto offset = intParam(request, "offset");
  auto length = intParam(request, "length");
  if ((offset && *offset == std::numeric_limits<int64_t>::min()) ||
      (length && (*length == std::numeric_limits<int64_t>::min() || *length < -1))) {
    return http::Response::text(400, "Failed to parse 'offset' or 'length': expecting integers");
  }
  Fd file(openBeneath(r.sandbox, r.relative, O_RDONLY));
  if (file.get() < 0) {
    return openError(r.shown);
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    return openError(r.shown);
  }
  if (S_ISDIR(st.st_mode)) {
    return http::Response::text(400, "Cannot read a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return http::Response::text(400, "Can only read regular files");
  }
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  // No offset (or -1): the file's size, so a client can start tailing from the end.
  if (!offset || *offset < 0) {
    w.key("data");
    w.value("");
    w.key("offset");
    w.value(static_cast<int64_t>(st.st_size));
    w.endObject();
    return http::Response::json(std::move(out));
  }
  int64_t want = (!length || *length < 0) ? kMaxReadLength : std::min(*length, kMaxReadLength);
  int64_t start = std::min<int64_t>(*offset, st.st_size);
  std::string data(static_cast<size_t>(std::max<int64_t>(0, std::min(want, st.st_size - start))),
                   '\0');
  ssize_t n = data.empty() ? 0 : ::pread(file.get(), data.data(), data.size(), start);
  if (n < 0) {
    return openError(r.shown);
  }
  data.resize(static_cast<size_t>(n));
  w.key("data");
  w.value(data);
  w.key("offset");
  w.value(start);
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response download(const Resolved& r) {
  Fd file(openBeneath(r.sandbox, r.relative, O_RDONLY));
  if (file.get() < 0) {
    return openError(r.shown);
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) {
    return openError(r.shown);
  }
  if (S_ISDIR(st.st_mode)) {
    return http::Response::text(400, "Cannot download a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return http::Response::text(400, "Can only download regular files");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pread(file.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n <= 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  std::string name = r.shown.substr(r.shown.find_last_of('/') + 1);
  http::Response response{.status = 200, .headers = {}, .body = std::move(data)};
  response.headers["content-type"] = "application/octet-stream";
  response.headers["content-disposition"] = fmt::format("attachment; filename={}", name);
  return response;
}

Status errnoStatus(const std::string& path) {
  if (errno == EXDEV || errno == ELOOP) {
    return Status(StatusCode::kPermissionDenied,
                  fmt::format("'{}' leads outside the sandbox", path));
  }
  if (errno == ENOENT || errno == ENOTDIR) {
    return Status(StatusCode::kNotFound, fmt::format("No such file or directory '{}'", path));
  }
  return Status(StatusCode::kInternal,
                fmt::format("Cannot open '{}': {}", path, std::strerror(errno)));
}

FileEntry entryOf(const std::string& path, const struct stat& st) {
  struct passwd* pw = ::getpwuid(st.st_uid);
  struct group* gr = ::getgrgid(st.st_gid);
  return FileEntry{.path = path,
                   .nlink = static_cast<int64_t>(st.st_nlink),
                   .size = static_cast<uint64_t>(st.st_size),
                   .mtime = static_cast<int64_t>(st.st_mtime),
                   .mode = static_cast<uint32_t>(st.st_mode),
                   .uid = pw != nullptr ? std::string(pw->pw_name) : std::to_string(st.st_uid),
                   .gid = gr != nullptr ? std::string(gr->gr_name) : std::to_string(st.st_gid)};
}

}  // namespace

Result<std::vector<FileEntry>> listFiles(const std::string& path,
                                         const std::vector<Attachment>& sandboxes) {
  auto r = resolve(path, sandboxes);
  if (!r) {
    return notFound(fmt::format("No file or directory attached at '{}'", path));
  }
  Fd dir(openBeneath(r->sandbox, r->relative, O_RDONLY));
  struct stat self {};
  if (dir.get() < 0 || ::fstat(dir.get(), &self) != 0) {
    return std::unexpected(errnoStatus(r->shown));
  }
  std::vector<FileEntry> out;
  if (!S_ISDIR(self.st_mode)) {
    out.push_back(entryOf(r->shown, self));
    return out;
  }
  DIR* d = ::fdopendir(dir.get());
  if (d == nullptr) {
    return std::unexpected(errnoStatus(r->shown));
  }
  int fd = dir.release();
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    struct stat st {};
    if (name == "." || name == ".." || ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    out.push_back(entryOf(r->shown + "/" + name, st));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  return out;
}

Result<FileData> readFile(const std::string& path, uint64_t offset, std::optional<uint64_t> length,
                          const std::vector<Attachment>& sandboxes) {
  auto r = resolve(path, sandboxes);
  if (!r) {
    return notFound(fmt::format("No file or directory attached at '{}'", path));
  }
  Fd file(openBeneath(r->sandbox, r->relative, O_RDONLY));
  struct stat st {};
  if (file.get() < 0 || ::fstat(file.get(), &st) != 0) {
    return std::unexpected(errnoStatus(r->shown));
  }
  if (!S_ISREG(st.st_mode)) {
    return invalidArgument(fmt::format("'{}' is not a regular file", r->shown));
  }
  FileData out;
  out.size = static_cast<uint64_t>(st.st_size);
  uint64_t want = std::min<uint64_t>(length.value_or(kMaxReadLength), kMaxReadLength);
  uint64_t start = std::min(offset, out.size);
  out.data.resize(std::min(want, out.size - start));
  ssize_t n = out.data.empty() ? 0
                               : ::pread(file.get(), out.data.data(), out.data.size(),
                                         static_cast<off_t>(start));
  if (n < 0) {
    return std::unexpected(errnoStatus(r->shown));
  }
  out.data.resize(static_cast<size_t>(n));
  return out;
}

http::Response serveFiles(const http::Request& request, const std::vector<Attachment>& sandboxes) {
  std::string endpoint = request.path;
  if (endpoint.ends_with(".json")) {
    endpoint.resize(endpoint.size() - 5);
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return http::Response::text(405, fmt::format("Expecting 'GET', received '{}'", request.method));
  }
  if (endpoint == "/files/debug") {
    std::string out;
    json::Writer w(&out);
    w.beginObject();
    for (const auto& a : sandboxes) {
      w.key(a.virtual_path);
      w.value(a.directory);
    }
    w.endObject();
    return http::Response::json(std::move(out));
  }
  auto path = request.queryParam("path");
  if (!path || path->empty()) {
    return http::Response::text(400, "Expecting 'path=value' in query");
  }
  auto resolved = resolve(*path, sandboxes);
  if (!resolved) {
    return http::Response::text(404, fmt::format("No file or directory attached at '{}'", *path));
  }
  if (endpoint == "/files/browse") {
    return browse(*resolved);
  }
  if (endpoint == "/files/read") {
    return read(request, *resolved);
  }
  if (endpoint == "/files/download") {
    return download(*resolved);
  }
  return http::Response::text(404, fmt::format("No endpoint at '{}'", request.path));
}

}  // namespace plateau::files
