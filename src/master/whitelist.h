#pragma once

// Mesos's --whitelist (deprecated there, still honoured): a file holding the hostnames of the
// agents whose resources may be offered, one a line. The master reads it at start and again
// every kWhitelistInterval, and hands each new list to the allocator (Allocator::updateWhitelist).

#include <chrono>
#include <optional>
#include <set>
#include <string>

namespace plateau::master {

// How often the file is read again (Mesos's WHITELIST_WATCH_INTERVAL).
inline constexpr std::chrono::seconds kWhitelistInterval{5};

// The hostnames in a whitelist file's text: its non-empty lines, surrounding whitespace
// trimmed. An empty text is an empty whitelist (no agent is offered), as in Mesos.
std::set<std::string> parseWhitelist(const std::string& text);

// Reads one --whitelist file and reports when what it lists changes. Reading is one small
// blocking read of a local file, cheap enough for the master's loop every few seconds.
class WhitelistFile {
 public:
  // `flag`: the flag's value: "" or "*" (no whitelist: every agent), "/path" or "file:///path".
  explicit WhitelistFile(std::string flag);

  // Whether there is a file to read at all.
  bool watching() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  // What poll() found.
  struct Change {
    std::optional<std::set<std::string>> hostnames;  // nullopt: every agent
  };
  // Reads the file. A whitelist different from the last one read is returned; an unreadable
  // file keeps the last one (nullopt at first: every agent) and sets `*error` to why.
  std::optional<Change> poll(std::string* error);

 private:
  std::string path_;
  std::optional<std::set<std::string>> last_;
};

}  // namespace plateau::master
