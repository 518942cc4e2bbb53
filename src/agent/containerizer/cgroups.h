#pragma once

// Control groups, v1 and v2: finding the hierarchies, naming a container's cgroup, translating
// resources into controller values, reading statistics back, and killing and removing a cgroup.
// The pure parts (parsing, paths, values) take text and return values so tests need no cgroupfs.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::agent::cgroups {

enum class Version { kV1, kV2 };

// Where the controllers are. v2: one unified tree at `unified`. v1: one mount per controller
// (several controllers may share a mount, e.g. "cpu,cpuacct").
struct Layout {
  Version version = Version::kV1;
  std::string unified;                        // v2 only
  std::map<std::string, std::string> mounts;  // v1: controller -> mount point
  std::vector<std::string> v2_controllers;    // v2: what <unified>/cgroup.controllers lists
};

// v2 when <hierarchy>/cgroup.controllers exists; otherwise the v1 mounts named in
// /proc/self/mounts. Fails when neither is usable.
Result<Layout> detect(const std::string& hierarchy);

// v1 controller -> mount point, from the text of /proc/mounts (only "cgroup" type entries).
std::map<std::string, std::string> parseV1Mounts(std::string_view proc_mounts);

// The directory of a container's cgroup for `controller`: v2 <unified>/<root>/<id>,
// v1 <mount of controller>/<root>/<id>. Empty when a v1 controller is not mounted.
std::string containerPath(const Layout& layout, const std::string& controller,
                          const std::string& root, const std::string& container_id);
// The parent holding all containers for `controller` (<...>/<root>).
std::string rootPath(const Layout& layout, const std::string& controller, const std::string& root);

// Mesos's floors: 2 shares, 1 ms of CFS quota, 32 MB of memory.
constexpr uint64_t kSharesPerCpu = 1024;
constexpr uint64_t kSharesPerRevocableCpu = 10;  // Mesos's low priority of revocable cpus
constexpr uint64_t kMinShares = 2;
constexpr uint64_t kCfsPeriodUs = 100000;
constexpr uint64_t kMinCfsQuotaUs = 1000;
constexpr uint64_t kMinMemoryBytes = 32ull << 20;

// Shares of `cpus` (kSharesPerRevocableCpu each when `low_priority`), at least kMinShares.
uint64_t cpuShares(double cpus, bool low_priority = false);
uint64_t cfsQuotaUs(double cpus, uint64_t period_us = kCfsPeriodUs);
// v1 shares [2, 262144] -> v2 cpu.weight [1, 10000] (the conversion runc and systemd use).
uint64_t sharesToWeight(uint64_t shares);
// v2 cpu.max: "<quota> <period>", or "max <period>" without a quota.
std::string cpuMax(std::optional<uint64_t> quota_us, uint64_t period_us = kCfsPeriodUs);
uint64_t memoryLimitBytes(double mem_mb);

// "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control) -> map.
std::map<std::string, uint64_t> parseKeyValues(std::string_view text);
// Times the OOM killer acted in the cgroup: v1 memory.oom_control / v2 memory.events "oom_kill".
uint64_t oomKills(std::string_view text);
// The pids listed in a cgroup.procs text.
std::vector<pid_t> parsePids(std::string_view text);

// File access. read: the whole file, or an error naming it. write: the value, or the error.
Result<std::string> readFile(const std::string& path);
Status writeFile(const std::string& path, const std::string& value);

// v2: makes `controllers` (e.g. "cpu", "memory", "pids") available to the children of every
// directory from <unified> down to `dir` (writes "+name" to each cgroup.subtree_control).
Status enableV2Controllers(const std::string& unified, const std::string& dir,
                           const std::vector<std::string>& controllers);

// Kills every process in the cgroup at `dir` (v2 cgroup.kill when present, else SIGKILL to each
// pid in cgroup.procs) and removes it, trying again until `budget` has passed (a zero budget:
// one try). A missing directory is success; Unavailable names the cgroup and what is left in
// it (a process the kernel cannot kill yet: frozen, or in uninterruptible sleep).
Status destroy(const std::string& dir, std::chrono::nanoseconds budget);

// One write to a cgroup control file.
struct Write {
  std::string file;  // relative to the cgroup's directory
  std::string value;
  bool operator==(const Write&) const = default;
};
// The writes that set a memory cgroup's hard limit to `limit` bytes. With `limit_swap`
// (--cgroups_limit_swap) memory and swap are limited together, as Mesos does: v1 sets
// memory.memsw.limit_in_bytes to the same value, ordered so that memory.limit_in_bytes never
// exceeds it (the kernel refuses that): the memory limit first when it is lowered from
// `current` (the first time, from unlimited), the memory+swap one first when raised. v2 keeps
// swap separate, so a memory+swap limit equal to the memory limit is memory.swap.max = 0.
std::vector<Write> memoryLimitWrites(Version version, uint64_t current, uint64_t limit,
                                     bool limit_swap);
// Whether the kernel accounts swap in memory cgroups (--cgroups_limit_swap needs it): makes
// <root> in the memory hierarchy and looks for memory.memsw.limit_in_bytes (v1) or
// memory.swap.max (v2) in it. FailedPrecondition names the missing file.
Status checkSwapLimit(const Layout& layout, const std::string& root);

// The subsystem names of a comma-separated list (--agent_subsystems), without empty items
// and duplicates, in their order.
std::vector<std::string> parseSubsystems(std::string_view list);
// The cgroup the agent runs in for --agent_subsystems, under --cgroups_root (Mesos's name).
constexpr const char* kAgentCgroup = "slave";
// Moves process `pid` (all its threads) into <root>/slave for each subsystem (v1: in each
// subsystem's hierarchy; v2: the unified one, with the subsystems enabled down to it), creating
// the cgroups as needed. Returns the other processes found there already (an earlier agent, or
// something it started). InvalidArgument names --agent_subsystems when a subsystem is not
// available; Unavailable when a cgroup cannot be made or joined.
Result<std::vector<pid_t>> joinAgentCgroup(const Layout& layout, const std::string& root,
                                           const std::vector<std::string>& subsystems, pid_t pid);

// Names of the cgroups directly under `dir` (orphan recovery).
std::vector<std::string> children(const std::string& dir);

}  // namespace plateau::agent::cgroups
