#include "agent/images/image_user.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace plateau::agent::images {

namespace {

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); i++) {
    if (i == line.size() || line[i] == sep) {
      out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

template <typename F>
void eachLine(std::string_view text, F fn) {
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty() && line.front() != '#') {
      fn(line);
    }
  }
}

bool parseId(std::string_view text, unsigned* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// The file's text; "" with `missing` set when it does not exist. Refuses symbolic links.
Result<std::string> readNoFollow(int dir, const char* name, bool* missing) {
  int fd = ::openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      *missing = true;
      return std::string();
    }
    return std::unexpected(
        Status(StatusCode::kInvalidArgument,
               fmt::format("cannot read the image's /etc/{}: {}", name,
                           errno == ELOOP ? "it is a symbolic link" : std::strerror(errno))));
  }
  std::string text;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (64u << 20)) {
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

Result<ImageUser> parseImageUser(std::string_view passwd, std::string_view group,
                                 const std::string& name) {
  std::optional<ImageUser> user;
  std::string bad;
  eachLine(passwd, [&](std::string_view line) {
    auto f = split(line, ':');
    if (user || f.empty() || f[0] != name) {
      return;
    }
    unsigned uid = 0;
    unsigned gid = 0;
    if (f.size() < 7 || !parseId(f[2], &uid) || !parseId(f[3], &gid)) {
      bad = std::string(line);
      return;
    }
    user = ImageUser{name, uid, gid, {}, std::string(f[5])};
  });
  if (!user) {
    if (!bad.empty()) {
      return std::unexpected(
          Status(StatusCode::kInvalidArgument,
                 fmt::format("the image's /etc/passwd has a malformed line for user '{}'", name)));
    }
    return std::unexpected(Status(
        StatusCode::kNotFound, fmt::format("user '{}' is not in the image's /etc/passwd", name)));
  }
  eachLine(group, [&](std::string_view line) {
    auto f = split(line, ':');
    unsigned gid = 0;
    if (f.size() < 4 || !parseId(f[2], &gid)) {
      return;
    }
    for (auto member : split(f[3], ',')) {
      if (member == name && gid != user->gid) {
        user->groups.push_back(gid);
      }
    }
  });
  return *user;
}

Result<ImageUser> readImageUser(const std::string& root, const std::string& name) {
  int etc = ::open((root + "/etc").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (etc < 0) {
    return std::unexpected(
        Status(StatusCode::kNotFound,
               fmt::format("user '{}' is not in the image: it has no /etc/passwd (/etc: {})", name,
                           errno == ENOTDIR || errno == ELOOP ? "not a plain folder"
                                                              : std::strerror(errno))));
  }
  bool no_passwd = false;
  bool no_group = false;
  auto passwd = readNoFollow(etc, "passwd", &no_passwd);
  auto group = readNoFollow(etc, "group", &no_group);
  ::close(etc);
  if (!passwd) {
    return std::unexpected(passwd.error());
  }
  if (no_passwd) {
    return std::unexpected(
        Status(StatusCode::kNotFound,
               fmt::format("user '{}' is not in the image: it has no /etc/passwd", name)));
  }
  return parseImageUser(*passwd, group ? *group : std::string(), name);
}

}  // namespace plateau::agent::images
