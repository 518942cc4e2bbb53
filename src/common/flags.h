#pragma once

// Command-line flags in Mesos's spelling (--name=value, --no-name), each also readable from
// PLATEAU_<NAME> or MESOS_<NAME>. Values use Mesos's syntax (durations like 15secs).
// The only place that reads the environment.
//
// Beyond the plain form a flag may have (FlagOptions): deprecated names Mesos still accepts
// (--slave_ping_timeout for --agent_ping_timeout), further environment variables
// (LIBPROCESS_IP for --ip), a value read from a file (`file:///path`, as Mesos reads JSON and
// text flags), and a reason why it has no effect in Plateau (accepted for compatibility; the
// daemon warns once at startup for each such flag given).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plateau::flags {

// Where a flag's value may name a file to read the value from.
enum class FileValue {
  kNone,       // the value is taken as given
  kUrl,        // `file:///path` is replaced by the file's contents
  kUrlOrPath,  // also an absolute `/path` (Mesos's JSON flags: --acls, --firewall_rules, ...)
};

struct FlagOptions {
  std::vector<std::string> aliases;  // deprecated names, also as MESOS_<ALIAS>
  std::vector<std::string> env;      // further environment variables, after PLATEAU_/MESOS_
  FileValue file = FileValue::kNone;
  std::string no_effect;  // non-empty: accepted, but has no effect in Plateau, for this reason
};

// What a flag is, for listings (the conformance table, /flags).
struct FlagInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string help;
  std::string no_effect;
};

class FlagSet {
 public:
  FlagSet(std::string program, std::string description);
  ~FlagSet();

  void add(const std::string& name, std::string* target, const std::string& help,
           FlagOptions options = {});
  void add(const std::string& name, uint16_t* target, const std::string& help,
           FlagOptions options = {});
  void add(const std::string& name, int* target, const std::string& help, FlagOptions options = {});
  void add(const std::string& name, double* target, const std::string& help,
           FlagOptions options = {});
  void add(const std::string& name, bool* target, const std::string& help,
           FlagOptions options = {});
  void addDuration(const std::string& name, std::chrono::nanoseconds* target,
                   const std::string& help, FlagOptions options = {});

  // Flags accepted for compatibility whose values nothing reads: the set owns their storage,
  // checks the value's type (a duration, a byte size, a bool, a number) and lists them with
  // `reason`. `default_value` is Mesos's default, in Mesos's syntax ("" for none).
  enum class Kind { kString, kBool, kInt, kDouble, kDuration, kBytes };
  void addInert(const std::string& name, Kind kind, const std::string& default_value,
                const std::string& help, const std::string& reason, FlagOptions options = {});

  // Parses argv then the environment (the command line wins). On --help, prints usage and
  // returns kFailedPrecondition with an empty message; a bad flag or value, or a file that
  // cannot be read, returns kInvalidArgument naming the flag.
  Status parse(int argc, const char* const* argv);
  std::string help() const;
  // Every flag and its current value, as Mesos lists flags in /master/state.
  std::vector<std::pair<std::string, std::string>> values() const;
  // Every flag, in registration order.
  std::vector<FlagInfo> describe() const;
  // After parse(): whether `name` was given (command line or environment).
  bool given(const std::string& name) const;
  // After parse(): each flag given that has no effect, with the reason; and each deprecated
  // name used, with the name to use instead. For one startup warning line each.
  std::vector<std::pair<std::string, std::string>> ignoredGiven() const;
  std::vector<std::pair<std::string, std::string>> deprecatedUsed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Prints the error or help and returns the exit code a main() should use, or -1 to go on.
int exitCodeFor(const Status& status, const FlagSet& flags);

// One startup line per deprecated name used and per flag given that has no effect, as a daemon
// logs them (through `warn`).
void reportFlagWarnings(const FlagSet& flags, const std::function<void(std::string)>& warn);

// The /flags endpoint's body, as Mesos's master and agent serve it: {"flags": {"name": "value"}}.
std::string flagsJson(const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace plateau::flags
