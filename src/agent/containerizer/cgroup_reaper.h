#pragma once

// The cgroups a container's destruction left behind because processes were still in them (a
// process the kernel cannot kill yet: frozen, or in uninterruptible sleep). Each is tried again
// at every poll until it is removed or its deadline (--cgroups_destroy_timeout after the
// destruction began) passes; then it is given up and reported as a failed destruction, as Mesos
// reports a container destroy that timed out. Pure: the removal attempt and the time come in.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/clock.h"

namespace plateau::agent {

class CgroupReaper {
 public:
  // One try at killing what is in the cgroup at `dir` and removing it (OK: removed or gone).
  using Attempt = std::function<Status(const std::string& dir)>;

  struct Failure {
    std::string container_id;
    std::string dir;
    std::string error;  // the last attempt's
  };

  explicit CgroupReaper(Attempt attempt) : attempt_(std::move(attempt)) {}

  // Keeps `dir`, a cgroup of `container_id` (or of an orphan), until it is removed or `deadline`.
  void add(std::string container_id, std::string dir, Clock::TimePoint deadline);
  // Tries every cgroup kept once. Those removed are forgotten; those whose deadline has passed
  // (at `now`) and that are still there are forgotten and returned.
  std::vector<Failure> poll(Clock::TimePoint now);
  // How many cgroups are kept.
  size_t pending() const { return pending_.size(); }
  // Containers whose destruction poll() has given up on so far (Mesos's
  // containerizer/mesos/container_destroy_errors): each container once, however many of its
  // cgroups were left (they share one deadline). An orphan (empty id) is named by its cgroup's
  // last path component, the container id it was made for.
  uint64_t failedContainers() const { return failed_containers_; }

 private:
  struct Entry {
    std::string container_id;
    std::string dir;
    Clock::TimePoint deadline;
  };
  Attempt attempt_;
  std::vector<Entry> pending_;
  uint64_t failed_containers_ = 0;
};

}  // namespace plateau::agent
