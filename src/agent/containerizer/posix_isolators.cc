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
  explicit PidNamespaceIsolator(bool disallow_sharing) : disallow_sharing_(disallow_sharing) {}
  std::string name() const override { return "namespaces/pid"; }
  Status prepare(const ContainerConfig& container) override {
    // Every container here is a top-level one (nested containers join their parent's
    // namespaces without the containerizer): sharing means the agent's pid namespace.
    if (container.share_pid_namespace && disallow_sharing_) {
      return {StatusCode::kFailedPrecondition,
              "Sharing the agent's pid namespace with a top-level container is not allowed "
              "(--disallow_sharing_agent_pid_namespace)"};
    }
    return {};
  }
  int cloneFlags(const ContainerConfig& container) const override {
    return container.share_pid_namespace ? 0 : CLONE_NEWPID | CLONE_NEWNS;
  }

 private:
  bool disallow_sharing_;
};

class FilesystemPosixIsolator : public Isolator {
 public:
  std::string name() const override { return "filesystem/posix"; }
};

}  // namespace

std::unique_ptr<Isolator> makePosixIsolator(const std::string& name) {
  return std::make_unique<PosixIsolator>(name);
}

std::unique_ptr<Isolator> makePidNamespaceIsolator(bool disallow_sharing) {
  return std::make_unique<PidNamespaceIsolator>(disallow_sharing);
}

std::unique_ptr<Isolator> makeFilesystemPosixIsolator() {
  return std::make_unique<FilesystemPosixIsolator>();
}

}  // namespace plateau::agent
