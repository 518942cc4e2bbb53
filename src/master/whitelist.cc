#include "master/whitelist.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace plateau::master {

std::set<std::string> parseWhitelist(const std::string& text) {
  std::set<std::string> hostnames;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) {
      continue;
    }
    hostnames.insert(line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1));
  }
  return hostnames;
}

WhitelistFile::WhitelistFile(std::string flag) {
  if (flag.starts_with("file://")) {
    flag.erase(0, 7);
  }
  if (flag != "*") {
    path_ = std::move(flag);
  }
}

std::optional<WhitelistFile::Change> WhitelistFile::poll(std::string* error) {
  if (!watching()) {
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    *error = errno != 0 ? std::strerror(errno) : "cannot be opened";
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = "cannot be read";
    return std::nullopt;
  }
  std::set<std::string> hostnames = parseWhitelist(text);
  if (last_ == hostnames) {
    return std::nullopt;
  }
  last_ = hostnames;
  return Change{.hostnames = std::move(hostnames)};
}

}  // namespace plateau::master
