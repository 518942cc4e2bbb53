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
};
// cgroups/cpu: shares (and CFS quota with --cgroups_enable_cfs), cpuacct usage, throttling.
std::unique_ptr<Isolator> makeCgroupsCpuIsolator(const CgroupsConfig& config);
// cgroups/mem: hard limit, usage, OOM-kill detection.
std::unique_ptr<Isolator> makeCgroupsMemIsolator(const CgroupsConfig& config);
// cgroups/pids: accounting (no limit).
std::unique_ptr<Isolator> makeCgroupsPidsIsolator(const CgroupsConfig& config);

// disk/du: measures each sandbox every `interval` on a worker thread; with `enforce`, a sandbox
// over its disk resource is a limitation.
std::unique_ptr<Isolator> makeDiskDuIsolator(EventLoop& loop, std::chrono::nanoseconds interval,
                                             bool enforce);

// namespaces/pid: a new pid namespace and a mount namespace with its own /proc.
std::unique_ptr<Isolator> makePidNamespaceIsolator();
// filesystem/posix: the sandbox on the host filesystem; nothing to do.
std::unique_ptr<Isolator> makeFilesystemPosixIsolator();

}  // namespace plateau::agent
