#pragma once

// Command-line flags in Mesos's spelling (--name=value, --no-name), each also readable from
// PLATEAU_<NAME> or MESOS_<NAME>. Values use Mesos's syntax (durations like 15secs).
// The only place that reads the environment.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::flags {

class FlagSet {
 public:
  FlagSet(std::string program, std::string description);
  ~FlagSet();

  void add(const std::string& name, std::string* target, const std::string& help);
  void add(const std::string& name, uint16_t* target, const std::string& help);
  void add(const std::string& name, int* target, const std::string& help);
  void add(const std::string& name, double* target, const std::string& help);
  void add(const std::string& name, bool* target, const std::string& help);
  void addDuration(const std::string& name, std::chrono::nanoseconds* target,
                   const std::string& help);

  // Parses argv then the environment. On --help, prints usage and returns kFailedPrecondition
  // with an empty message; a bad flag returns kInvalidArgument naming it.
  Status parse(int argc, const char* const* argv);
  std::string help() const;
  // Every flag and its current value, as Mesos lists flags in /master/state.
  std::vector<std::pair<std::string, std::string>> values() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Prints the error or help and returns the exit code a main() should use, or -1 to go on.
int exitCodeFor(const Status& status, const FlagSet& flags);

// The /flags endpoint's body, as Mesos's master and agent serve it: {"flags": {"name": "value"}}.
std::string flagsJson(const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace plateau::flags
