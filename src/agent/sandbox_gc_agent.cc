// The agent's side of sandbox garbage collection (agent/sandbox_gc.h): which sandboxes are
// scheduled (executors' runs when they end, those an earlier agent left, and with
// --gc_non_executor_container_sandboxes ended standalone containers'), the disk watch, and
// what a removal takes with it.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "agent/images/image_gc.h"
#include "agent/sandbox_gc.h"
#include "agent/tree_remover.h"

namespace plateau::agent {

namespace fs = std::filesystem;

namespace {

// Where collected sandboxes wait for the worker thread, on the work directory's file system.
constexpr const char* kTrash = ".sandbox_trash";

// Removes the folders above `path` (gone already) that it left empty, up to (not including)
// `stop`: a few rmdir calls, cheap enough for the loop.
void removeEmptyParents(const fs::path& path, const fs::path& stop) {
  std::error_code ec;
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
  fs::path containers = fs::path(flags_.work_dir) / "containers";
  tree_remover_ = std::make_unique<TreeRemover>(timers_);
  // What an earlier agent moved to the trash but had not removed yet.
  for (const auto& left : subfolders(fs::path(flags_.work_dir) / kTrash)) {
    tree_remover_->remove(left.string());
  }
  sandbox_gc_ = std::make_unique<SandboxGc>(
      timers_, clock_,
      SandboxGc::Options{.gc_delay = flags_.gc_delay, .disk_headroom = flags_.gc_disk_headroom},
      [this, containers](const std::string& path) {
        fs::path p(path);
        bool standalone = p.parent_path() == containers;
        if (standalone && standaloneRunning(p.filename().string())) {
          return;  // started again under the same id: not garbage
        }
        collectSandbox(path, standalone);
      });
  disk_watch_timer_ = timers_.every(flags_.disk_watch_interval, [this] { diskWatchTick(); });
}

void Agent::collectSandbox(const std::string& path, bool standalone) {
  const fs::path p(path);
  const fs::path stop = fs::path(flags_.work_dir) / (standalone ? "containers" : "slaves");
  // The rename takes the sandbox out of its place at once (its id may be used again, the
  // executor's checkpoint may go); its files go on the worker thread. Across file systems, or
  // when the rename fails otherwise, the sandbox is removed where it is, off the loop too.
  std::error_code ec;
  const fs::path trash = fs::path(flags_.work_dir) / kTrash;
  fs::create_directories(trash, ec);
  const fs::path moved = trash / fmt::format("{}-{}", ::getpid(), ++sandboxes_trashed_);
  fs::rename(p, moved, ec);
  if (!ec) {
    removeEmptyParents(p, stop);
    tree_remover_->remove(moved.string());
  } else {
    tree_remover_->remove(path, [p, stop] { removeEmptyParents(p, stop); });
  }
  log_->info("sandbox_removed path={}", path);
  // .../frameworks/<fw>/executors/<ex>/runs/<container>: the executor's checkpoint goes too when
  // nothing of it is left to report.
  fs::path executor = p.parent_path().parent_path();
  if (!standalone && executor.parent_path().filename() == "executors") {
    maybeRemoveExecutorCheckpoint(executor.parent_path().parent_path().filename().string(),
                                  executor.filename().string());
  }
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
