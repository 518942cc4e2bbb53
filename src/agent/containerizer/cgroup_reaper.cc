#include "agent/containerizer/cgroup_reaper.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace plateau::agent {

void CgroupReaper::add(std::string container_id, std::string dir, Clock::TimePoint deadline) {
  for (auto& entry : pending_) {
    if (entry.dir == dir) {
      entry.deadline = std::min(entry.deadline, deadline);
      return;
    }
  }
  pending_.push_back({std::move(container_id), std::move(dir), deadline});
}

std::vector<CgroupReaper::Failure> CgroupReaper::poll(Clock::TimePoint now) {
  std::vector<Failure> failed;
  std::erase_if(pending_, [&](const Entry& entry) {
    Status s = attempt_(entry.dir);
    if (s.isOk()) {
      return true;
    }
    if (now < entry.deadline) {
      return false;
    }
    failed.push_back({entry.container_id, entry.dir, s.message()});
    return true;
  });
  std::set<std::string> containers;
  for (const auto& failure : failed) {
    containers.insert(failure.container_id.empty()
                          ? std::filesystem::path(failure.dir).filename().string()
                          : failure.container_id);
  }
  failed_containers_ += containers.size();
  return failed;
}

}  // namespace plateau::agent
