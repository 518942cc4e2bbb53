// The flags parser: the input cut at NUL bytes into a command line for a FlagSet holding one
// flag of each kind (string, port, int, double, bool, duration, an inert one, a deprecated
// alias), then help and the values written as JSON.

#include <chrono>

#include "common/flags.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto args = plateau::fuzz::split(plateau::fuzz::text(data, size), '\0');
  if (args.size() > 64) {
    return 0;
  }
  namespace flags = plateau::flags;
  std::string work_dir = "/var/lib/plateau";
  uint16_t port = 5050;
  int count = 3;
  double ratio = 0.5;
  bool enabled = false;
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);
  flags::FlagSet set("fuzz", "the flags fuzz target");
  set.add("work_dir", &work_dir, "a string", {.aliases = {"old_work_dir"}});
  set.add("port", &port, "a port");
  set.add("count", &count, "an int");
  set.add("ratio", &ratio, "a double");
  set.add("enabled", &enabled, "a bool");
  set.addDuration("timeout", &timeout, "a duration");
  set.addInert("cgroups_root", flags::FlagSet::Kind::kString, "mesos", "inert", "no cgroups");
  set.addInert("max_size", flags::FlagSet::Kind::kBytes, "1GB", "inert bytes", "no effect");
  std::vector<const char*> argv = {"fuzz"};
  for (const auto& arg : args) {
    argv.push_back(arg.c_str());
  }
  if (set.parse(static_cast<int>(argv.size()), argv.data()).isOk()) {
    (void)flags::flagsJson(set.values());
    (void)set.ignoredGiven();
    (void)set.deprecatedUsed();
  }
  return 0;
}
