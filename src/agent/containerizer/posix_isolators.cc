// posix/cpu, posix/mem, namespaces/pid and filesystem/posix: the isolators without cgroups.

#include <sched.h>

#include "agent/containerizer/isolators.h"
#include "agent/containerizer/proc_tree.h"

namespace plateau::agent {

namespace {

class PosixIsolator : public Isolator {
 public:
  explicit PosixIsolator(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void usage(const ContainerConfig& container, json::Value* stats) override {
    TreeUsage u = treeUsage(container.pid);
    if (name_ == "posix/cpu") {
      stats->set("cpus_user_time_secs", u.user_secs);
      stats->set("cpus_system_time_secs", u.system_secs);
    } else {
      stats->set("mem_rss_bytes", u.rss_bytes);
    }
    stats->set("processes", u.processes);
    stats->set("threads", u.threads);
  }

 private:
  std::string name_;
};

class PidNamespaceIsolator : public Isolator {
 public:
  std::string name() const override { return "namespaces/pid"; }
  int cloneFlags() const override { return CLONE_NEWPID | CLONE_NEWNS; }
};

class FilesystemPosixIsolator : public Isolator {
 public:
  std::string name() const override { return "filesystem/posix"; }
};

}  // namespace

std::unique_ptr<Isolator> makePosixIsolator(const std::string& name) {
  return std::make_unique<PosixIsolator>(name);
}

std::unique_ptr<Isolator> makePidNamespaceIsolator() {
  return std::make_unique<PidNamespaceIsolator>();
}

std::unique_ptr<Isolator> makeFilesystemPosixIsolator() {
  return std::make_unique<FilesystemPosixIsolator>();
}

}  // namespace plateau::agent
