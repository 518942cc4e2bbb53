#include "master/webui.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "common/fd.h"

namespace plateau::master::webui {

namespace {

bool isDirectory(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string contentType(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) {
      return std::string(type);
    }
  }
  return "application/octet-stream";
}

// The path beneath the web UI directory that `path` names, or "" when it names nothing we
// serve: "/" is index.html; "/static/<name>" may not hold empty, "." or ".." segments.
std::string relativePath(const std::string& raw) {
  if (raw == "/" || raw == "/index.html") {
    return "index.html";
  }
  std::string path = http::urlDecode(raw);
  if (!path.starts_with("/static/") || path.find('\0') != std::string::npos ||
      path.find('\\') != std::string::npos) {
    return "";
  }
  std::string relative = path.substr(1);
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string::npos) {
      end = relative.size();
    }
    std::string_view segment(relative.data() + start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return "";
    }
    start = end + 1;
  }
  return relative;
}

}  // namespace

std::string resolveDir(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  // An installed master: <prefix>/bin/plateau-master beside <prefix>/share/plateau/webui.
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    std::string exe(self, static_cast<size_t>(n));
    std::string bin = exe.substr(0, exe.rfind('/'));
    std::string candidate = bin.substr(0, bin.rfind('/')) + "/share/plateau/webui";
    if (isDirectory(candidate)) {
      return candidate;
    }
  }
#ifdef PLATEAU_SOURCE_WEBUI_DIR
  // A master run from its build tree serves the source tree's files, so edits show at once.
  if (isDirectory(PLATEAU_SOURCE_WEBUI_DIR)) {
    return PLATEAU_SOURCE_WEBUI_DIR;
  }
#endif
  return "";
}

bool isWebuiPath(const std::string& path) {
  return path == "/" || path == "/index.html" || path.starts_with("/static/");
}

http::Response serve(const std::string& dir, const http::Request& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::Response::text(405, "Expecting 'GET'");
    r.headers["allow"] = "GET, HEAD";
    return r;
  }
  if (dir.empty()) {
    return http::Response::text(
        404, "No web UI directory found: start the master with --webui_dir=<plateau>/webui");
  }
  std::string relative = relativePath(request.path);
  if (relative.empty()) {
    return http::Response::text(404, fmt::format("No web UI file at '{}'", request.path));
  }
  Fd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    return http::Response::text(
        404, fmt::format("Cannot open the web UI directory '{}' (--webui_dir): {}", dir,
                         std::strerror(errno)));
  }
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  Fd file(
      static_cast<int>(::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof(how))));
  struct stat st {};
  if (file.get() < 0 || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return http::Response::text(404, fmt::format("No web UI file at '{}'", request.path));
  }
  std::string etag =
      fmt::format("\"{:x}-{:x}.{:x}\"", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  http::Response r;
  r.headers["etag"] = etag;
  // Revalidate every time: a rebuilt or upgraded UI shows at once, an unchanged one costs a 304.
  r.headers["cache-control"] = "no-cache";
  r.headers["x-content-type-options"] = "nosniff";
  if (request.header("if-none-match") == etag) {
    r.status = 304;
    return r;
  }
  r.headers["content-type"] = contentType(relative);
  if (request.method == "HEAD") {
    return r;
  }
  r.body.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < r.body.size()) {
    ssize_t n = ::read(file.get(), r.body.data() + got, r.body.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  r.body.resize(got);
  return r;
}

}  // namespace plateau::master::webui
