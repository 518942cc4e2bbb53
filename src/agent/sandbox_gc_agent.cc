// The agent's side of sandbox garbage collection (agent/sandbox_gc.h): which sandboxes are
// scheduled (executors' runs when they end, those an earlier agent left, and with
// --gc_non_executor_container_sandboxes ended standalone containers'), the disk watch, and
// what a removal takes with it.

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <vector>

#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "agent/images/image_gc.h"
#include "agent/sandbox_gc.h"

namespace plateau::agent {

namespace fs = std::filesystem;

namespace {

// Removes `path`, then the folders above it that it leaves empty, up to (not including) `stop`.
void removeWithEmptyParents(const fs::path& path, const fs::path& stop) {
  std::error_code ec;
  fs::remove_all(path, ec);
  for (fs::path dir = path.parent_path(); dir != stop && dir.has_relative_path();
       dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || ec) {
      break;
    }
    fs::remove(dir, ec);
  }
}

// The subfolders (not links) of `dir`; none when it cannot be read.
std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
      out.push_back(entry.path());
    }
  }
  return out;
}

}  // namespace

void Agent::initSandboxGc() {
  fs::path slaves = fs::path(flags_.work_dir) / "slaves";
  fs::path containers = fs::path(flags_.work_dir) / "containers";
  sandbox_gc_ = std::make_unique<SandboxGc>(
      timers_, clock_,
      SandboxGc::Options{.gc_delay = flags_.gc_delay, .disk_headroom = flags_.gc_disk_headroom},
      [this, slaves, containers](const std::string& path) {
        fs::path p(path);
        bool standalone = p.parent_path() == containers;
        if (standalone && standaloneRunning(p.filename().string())) {
          return;  // started again under the same id: not garbage
        }
        removeWithEmptyParents(p, standalone ? containers : slaves);
        log_->info("sandbox_removed path={}", path);
        // .../frameworks/<fw>/executors/<ex>/runs/<container>: the executor's checkpoint goes
        // too when nothing of it is left to report.
        fs::path executor = p.parent_path().parent_path();
        if (!standalone && executor.parent_path().filename() == "executors") {
          maybeRemoveExecutorCheckpoint(executor.parent_path().parent_path().filename().string(),
                                        executor.filename().string());
        }
      });
  disk_watch_timer_ = timers_.every(flags_.disk_watch_interval, [this] { diskWatchTick(); });
}

void Agent::scheduleSandboxGc(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    return;  // nothing on disk
  }
  // The time of its last change, on the agent's clock.
  double age = std::max(0.0, clock_.wallSeconds() - static_cast<double>(st.st_mtim.tv_sec) -
                                 static_cast<double>(st.st_mtim.tv_nsec) / 1e9);
  auto changed = clock_.now() - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::duration<double>(age));
  sandbox_gc_->schedule(path, changed);
}

void Agent::scheduleLeftSandboxes() {
  // Every executor run under --work_dir that no live executor owns: an earlier agent's (any
  // agent id), or one that ended while no agent ran.
  std::set<std::string> live;
  for (const auto& [fw_id, framework] : book_.frameworks()) {
    for (const auto& [ex_id, executor] : framework.executors()) {
      live.insert(executor.directory());
    }
  }
  for (const auto& agent : subfolders(fs::path(flags_.work_dir) / "slaves")) {
    for (const auto& framework : subfolders(agent / "frameworks")) {
      for (const auto& executor : subfolders(framework / "executors")) {
        for (const auto& run : subfolders(executor / "runs")) {
          if (!live.contains(run.string())) {
            scheduleSandboxGc(run.string());
          }
        }
      }
    }
  }
  scheduleEndedStandaloneSandboxes();
  log_->info("sandbox_gc gc_delay={}s disk_watch_interval={}s headroom={} scheduled={}",
             std::chrono::duration<double>(flags_.gc_delay).count(),
             std::chrono::duration<double>(flags_.disk_watch_interval).count(),
             flags_.gc_disk_headroom, sandbox_gc_->size());
}

bool Agent::standaloneRunning(const std::string& container_id) const {
  agent_api::Response listed;
  nested_->list(&listed, false, true);
  for (const auto& container : listed.get_containers().containers()) {
    if (container.container_id().value() == container_id) {
      return true;
    }
  }
  return false;
}

void Agent::scheduleEndedStandaloneSandboxes() {
  if (!flags_.gc_non_executor_container_sandboxes) {
    return;
  }
  agent_api::Response listed;
  nested_->list(&listed, false, true);
  std::set<std::string> running;
  for (const auto& container : listed.get_containers().containers()) {
    running.insert(container.container_id().value());
  }
  for (const auto& sandbox : subfolders(fs::path(flags_.work_dir) / "containers")) {
    std::string path = sandbox.string();
    if (running.contains(sandbox.filename().string())) {
      sandbox_gc_->unschedule(path);
    } else if (!sandbox_gc_->scheduled(path)) {
      scheduleSandboxGc(path);
    }
  }
}

void Agent::diskWatchTick() {
  scheduleEndedStandaloneSandboxes();
  auto usage = images::diskUsage(flags_.work_dir);
  if (!usage) {
    log_->warn("disk_usage_unavailable path={} error=\"{}\"", flags_.work_dir,
               usage.error().message());
    return;
  }
  size_t removed = sandbox_gc_->diskUsage(*usage);
  if (removed > 0) {
    log_->info("sandbox_gc_pruned disk_usage={:.3f} max_age={}s removed={}", *usage,
               std::chrono::duration<double>(
                   SandboxGc::maxAge(flags_.gc_delay, flags_.gc_disk_headroom, *usage))
                   .count(),
               removed);
  }
}

}  // namespace plateau::agent
