#pragma once

// The isolators, one factory each (classes live in their own .cc files).

#include <chrono>
#include <memory>
#include <string>

#include "agent/containerizer/cgroups.h"
#include "agent/containerizer/isolator.h"

namespace plateau {
class EventLoop;
}

namespace plateau::agent {

// posix/cpu, posix/mem: usage from the executor's process tree in /proc; no enforcement.
std::unique_ptr<Isolator> makePosixIsolator(const std::string& name);

// Where cgroups isolators put their containers.
struct CgroupsConfig {
  cgroups::Layout layout;
  std::string root;  // --cgroups_root, relative to each hierarchy
  bool enable_cfs = false;
  bool limit_swap = false;                 // --cgroups_limit_swap (cgroups/mem)
  bool count_pids_and_tids = false;        // --cgroups_cpu_enable_pids_and_tids_count (cgroups/cpu)
  bool revocable_cpu_low_priority = true;  // --revocable_cpu_low_priority (cgroups/cpu)
  // How long cleanup and recover wait for a cgroup to empty before they hand it back.
  std::chrono::nanoseconds destroy_wait = std::chrono::seconds(1);
};
// cgroups/cpu: shares (and CFS quota with --cgroups_enable_cfs), cpuacct usage, throttling;
// containers with revocable cpus get 10 shares per cpu instead of 1024
// (revocable_cpu_low_priority); with count_pids_and_tids, the processes and threads of the
// container's cgroup.
std::unique_ptr<Isolator> makeCgroupsCpuIsolator(const CgroupsConfig& config);
// cgroups/mem: hard limit (of memory and swap together with limit_swap), usage, OOM-kill
// detection.
std::unique_ptr<Isolator> makeCgroupsMemIsolator(const CgroupsConfig& config);
// cgroups/pids: accounting (no limit).
std::unique_ptr<Isolator> makeCgroupsPidsIsolator(const CgroupsConfig& config);

// disk/du: measures each sandbox every `interval` on a worker thread; with `enforce`, a sandbox
// over its disk resource is a limitation.
std::unique_ptr<Isolator> makeDiskDuIsolator(EventLoop& loop, std::chrono::nanoseconds interval,
                                             bool enforce);

// namespaces/pid: a new pid namespace and a mount namespace with its own /proc, or the agent's
// pid namespace for a container that asks to share it (refused with `disallow_sharing`).
std::unique_ptr<Isolator> makePidNamespaceIsolator(bool disallow_sharing);
// filesystem/posix: the sandbox on the host filesystem; nothing to do.
std::unique_ptr<Isolator> makeFilesystemPosixIsolator();

}  // namespace plateau::agent
