#include "zookeeper/url.h"

#include <charconv>

namespace plateau::zk {

namespace {

constexpr std::string_view kScheme = "zk://";

Result<void> checkServer(std::string_view server, std::string_view text) {
  auto fail = [&](std::string_view why) -> Result<void> {
    return invalidArgument("ZooKeeper URL '" + std::string(text) + "': server '" +
                           std::string(server) + "' " + std::string(why));
  };
  if (server.empty()) {
    return fail("is empty (stray ',')");
  }
  auto colon = server.rfind(':');
  if (colon == std::string_view::npos || (server.front() == '[' && server[colon - 1] != ']')) {
    return fail("has no port (expected host:port)");
  }
  std::string_view host = server.substr(0, colon);
  std::string_view port = server.substr(colon + 1);
  if (host.empty() || host == "[]") {
    return fail("has no host");
  }
  if (host.front() == '[' ? host.back() != ']'
                          : host.find_first_of("[]:") != std::string_view::npos) {
    return fail("has a malformed host (IPv6 addresses go in brackets)");
  }
  int value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    return fail("has an invalid port '" + std::string(port) + "' (expected 1-65535)");
  }
  return {};
}

Result<void> checkPath(std::string_view path, std::string_view text) {
  auto fail = [&](std::string_view why) -> Result<void> {
    return invalidArgument("ZooKeeper URL '" + std::string(text) + "': path '" + std::string(path) +
                           "' " + std::string(why));
  };
  if (path == "/") {
    return fail("is the root; give a node such as /mesos");
  }
  if (path.back() == '/') {
    return fail("ends with '/'");
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) {
      return fail("has an empty component ('//')");
    }
    if (part == "." || part == "..") {
      return fail("has a '.' or '..' component");
    }
    for (char c : part) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return fail("has a control character");
      }
    }
    start = end + 1;
  }
  return {};
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  if (!text.starts_with(kScheme)) {
    return invalidArgument("ZooKeeper URL '" + std::string(text) + "' must start with 'zk://'");
  }
  std::string_view rest = text.substr(kScheme.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return invalidArgument("ZooKeeper URL '" + std::string(text) +
                           "' has no path (expected zk://host:port/path)");
  }
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = rest.substr(slash);

  Url url;
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return invalidArgument("ZooKeeper URL '" + std::string(text.substr(0, kScheme.size())) +
                             "...': credentials must be 'user:password@'");
    }
    url.credentials.emplace(std::string(userinfo.substr(0, colon)),
                            std::string(userinfo.substr(colon + 1)));
  }
  // From here on, error messages quote the URL without its password.
  Url shown;
  shown.credentials = url.credentials;
  shown.servers = std::string(authority);
  shown.path = std::string(path);
  std::string safe = shown.toString();

  if (authority.empty()) {
    return invalidArgument("ZooKeeper URL '" + safe + "' has no servers");
  }
  size_t start = 0;
  while (true) {
    size_t comma = authority.find(',', start);
    std::string_view server = authority.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (auto ok = checkServer(server, safe); !ok) {
      return std::unexpected(ok.error());
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  if (auto ok = checkPath(path, safe); !ok) {
    return std::unexpected(ok.error());
  }
  url.servers = std::string(authority);
  url.path = std::string(path);
  return url;
}

std::string Url::toString() const {
  std::string out(kScheme);
  if (credentials) {
    out += credentials->first + "@";
  }
  return out + servers + path;
}

}  // namespace plateau::zk
