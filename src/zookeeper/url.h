#pragma once

// ZooKeeper URLs as Mesos spells them: zk://[user:pass@]host:port[,host:port...]/path.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace plateau::zk {

// A parsed zk:// URL. Invariant: servers is non-empty, path starts with '/', has no trailing
// '/' and is not "/".
struct Url {
  std::string servers;                                             // "host:port,host:port"
  std::string path;                                                // "/mesos"
  std::optional<std::pair<std::string, std::string>> credentials;  // digest user, password

  // Parses `text`; kInvalidArgument with a message naming the offending part otherwise.
  static Result<Url> parse(std::string_view text);
  // The URL for logs: "zk://user@servers/path", never the password.
  std::string toString() const;
};

}  // namespace plateau::zk
