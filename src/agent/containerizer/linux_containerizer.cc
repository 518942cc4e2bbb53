#include "agent/containerizer/linux_containerizer.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>

#include <fmt/format.h>

#include "agent/containerizer/cgroups.h"
#include "agent/containerizer/isolators.h"
#include "agent/containerizer/launcher.h"
#include "agent/containerizer/proc_tree.h"
#include "common/resources.h"
#include "runtime/clock.h"
#include "runtime/event_loop.h"

namespace plateau::agent {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::vector<std::string>& knownIsolators() {
  static const std::vector<std::string> names = {
      "posix/cpu", "posix/mem", "cgroups/cpu", "cgroups/mem", "cgroups/pids", "disk/du",
      "namespaces/pid", "filesystem/posix", "gpu/nvidia",
      // Containers with an image (agent/images): their rootfs, mounts and runtime config.
      "filesystem/linux", "docker/runtime",
      // HOST_PATH volumes (agent/host_path_volumes.h), bound by plateau-rootfs.
      "volume/host_path"};
  return names;
}

namespace {

// Gives the sandbox (and everything in it) to the user the container runs as.
Status chownTree(const std::string& dir, uid_t uid, gid_t gid) {
  if (::lchown(dir.c_str(), uid, gid) != 0) {
    return {StatusCode::kPermissionDenied, fmt::format("Failed to chown sandbox '{}' to {}:{}: {}",
                                                       dir, uid, gid, strerror(errno))};
  }
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    (void)::lchown(it->path().c_str(), uid, gid);
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> parseIsolation(const std::string& flag) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= flag.size()) {
    size_t end = flag.find(',', start);
    if (end == std::string::npos) {
      end = flag.size();
    }
    std::string name = flag.substr(start, end - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    start = end + 1;
    if (name.empty()) {
      continue;
    }
    const auto& known = knownIsolators();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) {
        list += (list.empty() ? "" : ", ") + k;
      }
      return invalidArgument(
          fmt::format("Flag '--isolation': unknown isolator '{}' (known: {})", name, list));
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  }
  return out;
}

Status validateContainerizerOptions(const ContainerizerOptions& options) {
  auto names = parseIsolation(options.isolation);
  if (!names) {
    return names.error();
  }
  if (!options.launcher.empty() && options.launcher != "posix" && options.launcher != "linux") {
    return {StatusCode::kInvalidArgument, "Flag '--launcher' must be 'posix' or 'linux'"};
  }
  bool pid_ns = std::find(names->begin(), names->end(), "namespaces/pid") != names->end();
  if (pid_ns && options.launcher == "posix") {
    return {StatusCode::kInvalidArgument,
            "Flag '--isolation': 'namespaces/pid' needs the linux launcher (--launcher=linux)"};
  }
  if (pid_ns && options.launcher.empty() && ::geteuid() != 0) {
    return {StatusCode::kInvalidArgument,
            "Flag '--isolation': 'namespaces/pid' needs the linux launcher, which needs root"};
  }
  if (options.container_disk_watch_interval <= 0ns) {
    return {StatusCode::kInvalidArgument,
            "Flag '--container_disk_watch_interval' must be positive"};
  }
  if (options.cgroups_destroy_timeout < 0ns) {
    return {StatusCode::kInvalidArgument, "Flag '--cgroups_destroy_timeout' must not be negative"};
  }
  if (options.cgroups_root.empty() || options.cgroups_root.find("..") != std::string::npos) {
    return {StatusCode::kInvalidArgument,
            "Flag '--cgroups_root' must be a non-empty relative path without '..'"};
  }
  return {};
}

LinuxContainerizer::LinuxContainerizer(EventLoop& loop, const Clock& clock,
                                       ContainerizerOptions options,
                                       std::shared_ptr<spdlog::logger> log)
    : loop_(loop),
      clock_(clock),
      options_(std::move(options)),
      log_(std::move(log)),
      reaper_([](const std::string& dir) { return cgroups::destroy(dir, 0ns); }) {}

LinuxContainerizer::~LinuxContainerizer() {
  if (watch_timer_ != 0) {
    loop_.cancel(watch_timer_);
  }
}

namespace {

// The cgroups settings the flags give, on the hierarchy found at --cgroups_hierarchy.
Result<CgroupsConfig> cgroupsConfig(const std::string& isolator,
                                    const ContainerizerOptions& options) {
  auto layout = cgroups::detect(options.cgroups_hierarchy);
  if (!layout) {
    return invalidArgument(fmt::format("Flag '--isolation': {} needs cgroups: {}", isolator,
                                       layout.error().message()));
  }
  // A short wait in line covers processes that die at once; the rest is retried off it.
  auto wait = std::min<std::chrono::nanoseconds>(options.cgroups_destroy_timeout, 1s);
  return CgroupsConfig{.layout = *layout,
                       .root = options.cgroups_root,
                       .enable_cfs = options.cgroups_enable_cfs,
                       .limit_swap = options.cgroups_limit_swap,
                       .count_pids_and_tids = options.cgroups_cpu_enable_pids_and_tids_count,
                       .revocable_cpu_low_priority = options.revocable_cpu_low_priority,
                       .destroy_wait = wait};
}

// cgroups/cpu, cgroups/mem or cgroups/pids, once the controllers it needs are known present.
Result<std::unique_ptr<Isolator>> cgroupsIsolator(const std::string& name,
                                                  const CgroupsConfig& config,
                                                  const ContainerizerOptions& options) {
  const cgroups::Layout& layout = config.layout;
  std::vector<std::string> needed = name == "cgroups/cpu"
                                        ? std::vector<std::string>{"cpu", "cpuacct"}
                                    : name == "cgroups/mem" ? std::vector<std::string>{"memory"}
                                                            : std::vector<std::string>{"pids"};
  for (const auto& controller : needed) {
    bool present = layout.version == cgroups::Version::kV2
                       ? (controller == "cpuacct" ||
                          std::find(layout.v2_controllers.begin(), layout.v2_controllers.end(),
                                    controller) != layout.v2_controllers.end())
                       : layout.mounts.contains(controller);
    if (!present) {
      return invalidArgument(fmt::format(
          "Flag '--isolation': {} needs the '{}' cgroup controller, which '{}' does not have", name,
          controller, options.cgroups_hierarchy));
    }
  }
  if (name == "cgroups/cpu") {
    return makeCgroupsCpuIsolator(config);
  }
  if (name == "cgroups/pids") {
    return makeCgroupsPidsIsolator(config);
  }
  // As Mesos's memory subsystem: no swap accounting, no starting with --cgroups_limit_swap.
  if (config.limit_swap) {
    if (Status s = cgroups::checkSwapLimit(layout, config.root); !s.isOk()) {
      return invalidArgument(fmt::format("Flag '--cgroups_limit_swap': {}", s.message()));
    }
  }
  return makeCgroupsMemIsolator(config);
}

}  // namespace

Result<std::unique_ptr<LinuxContainerizer>> LinuxContainerizer::create(
    EventLoop& loop, const Clock& clock, ContainerizerOptions options,
    std::shared_ptr<spdlog::logger> log) {
  if (Status s = validateContainerizerOptions(options); !s.isOk()) {
    return std::unexpected(s);
  }
  auto names = parseIsolation(options.isolation);
  std::unique_ptr<LinuxContainerizer> c(
      new LinuxContainerizer(loop, clock, options, std::move(log)));
  c->names_ = *names;
  std::optional<CgroupsConfig> cgroups_config;
  for (const auto& name : *names) {
    if (name == "gpu/nvidia") {
      continue;  // the agent assigns GPUs and confines devices itself (src/agent/gpu)
    }
    std::unique_ptr<Isolator> isolator;
    if (name == "posix/cpu" || name == "posix/mem") {
      isolator = makePosixIsolator(name);
    } else if (name == "cgroups/cpu" || name == "cgroups/mem" || name == "cgroups/pids") {
      if (!cgroups_config) {
        auto config = cgroupsConfig(name, options);
        if (!config) {
          return std::unexpected(config.error());
        }
        cgroups_config = std::move(*config);
      }
      auto made = cgroupsIsolator(name, *cgroups_config, options);
      if (!made) {
        return std::unexpected(made.error());
      }
      isolator = std::move(*made);
    } else if (name == "disk/du") {
      isolator = makeDiskDuIsolator(loop, options.container_disk_watch_interval,
                                    options.enforce_container_disk_quota);
    } else if (name == "namespaces/pid") {
      isolator = makePidNamespaceIsolator(options.disallow_sharing_agent_pid_namespace);
    } else {
      isolator = makeFilesystemPosixIsolator();
    }
    c->isolators_.push_back(std::move(isolator));
  }
  if (!options.executor_zygote.empty()) {
    c->zygote_ = std::make_unique<ExecutorZygote>(options.executor_zygote);
  }
  LinuxContainerizer* self = c.get();
  c->watch_timer_ = loop.every(500ms, [self] { self->watch(); });
  return c;
}

namespace {

// Makes the sandbox and the output files the child will open belong to `ids`.
Status giveSandboxTo(const UserIds& ids, const LaunchSpec& process, const std::string& directory) {
  // Output files exist before the child opens them, so they belong to the user too.
  for (const auto& path : {process.stdout_path, process.stderr_path}) {
    if (!path.empty()) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  if (ids.uid != ::geteuid() || ids.gid != ::getegid()) {
    return chownTree(directory, ids.uid, ids.gid);
  }
  return {};
}

// USER, LOGNAME and HOME name the user the child runs as, not the agent's.
void setUserEnvironment(const UserIds& ids, std::vector<std::string>* env) {
  std::erase_if(*env, [](const std::string& e) {
    return e.starts_with("USER=") || e.starts_with("LOGNAME=") || e.starts_with("HOME=");
  });
  env->push_back("USER=" + ids.name);
  env->push_back("LOGNAME=" + ids.name);
  if (!ids.home.empty()) {
    env->push_back("HOME=" + ids.home);
  }
}

// Starts the container's first process, placed in the cgroups whose `procs` files are given.
Result<pid_t> startChild(const ChildSpec& child, const std::vector<std::string>& procs) {
  // Nothing to do between fork and exec (no cgroup, namespace or user): posix_spawn, which
  // does not copy the agent's address space, is the cheaper way.
  bool plain = procs.empty() && child.clone_flags == 0 && !child.user;
  if (plain) {
    return launchProcess(child.process);
  }
  return launchChild(child, [&](pid_t pid) -> Status {
    for (const auto& file : procs) {
      if (Status s = cgroups::writeFile(file, std::to_string(pid)); !s.isOk()) {
        return s;
      }
    }
    return {};
  });
}

}  // namespace

Result<ChildSpec> LinuxContainerizer::childSpec(const ContainerConfig& config,
                                                const LaunchSpec& process,
                                                const std::string& user) const {
  ChildSpec child;
  child.process = process;
  if (!options_.switch_user || user.empty()) {
    return child;
  }
  auto ids = lookupUser(user);
  if (!ids) {
    return std::unexpected(ids.error());
  }
  if (Status s = giveSandboxTo(*ids, process, config.directory); !s.isOk()) {
    return std::unexpected(s);
  }
  setUserEnvironment(*ids, &child.process.env);
  for (gid_t gid : config.supplementary_groups) {
    if (std::find(ids->groups.begin(), ids->groups.end(), gid) == ids->groups.end()) {
      ids->groups.push_back(gid);
    }
  }
  child.user = *ids;
  return child;
}

Result<std::vector<std::string>> LinuxContainerizer::prepareIsolators(const ContainerConfig& config,
                                                                      ChildSpec* child) {
  bool linux_launcher =
      options_.launcher == "linux" || (options_.launcher.empty() && ::geteuid() == 0);
  std::vector<std::string> procs;
  for (size_t i = 0; i < isolators_.size(); i++) {
    Isolator& isolator = *isolators_[i];
    if (Status s = isolator.prepare(config); !s.isOk()) {
      keep(config.container_id, cleanupIsolators(config.container_id, i), clock_.now());
      return std::unexpected(
          Status(s.code(), fmt::format("Isolator {} failed: {}", isolator.name(), s.message())));
    }
    for (auto& file : isolator.procsFiles(config.container_id)) {
      if (std::find(procs.begin(), procs.end(), file) == procs.end()) {
        procs.push_back(file);
      }
    }
    if (linux_launcher) {
      child->clone_flags |= isolator.cloneFlags(config);
    }
  }
  return procs;
}

std::vector<std::string> LinuxContainerizer::cleanupIsolators(const std::string& container_id,
                                                              size_t count) {
  std::vector<std::string> left;
  for (size_t i = count; i > 0; i--) {
    std::ranges::copy(isolators_[i - 1]->cleanup(container_id), std::back_inserter(left));
  }
  return left;
}

void LinuxContainerizer::keep(const std::string& container_id, const std::vector<std::string>& dirs,
                              Clock::TimePoint started) {
  for (const auto& dir : dirs) {
    reaper_.add(container_id, dir, started + options_.cgroups_destroy_timeout);
  }
  if (!dirs.empty()) {
    reap();  // a timeout shorter than the wait in line has passed already
  }
}

void LinuxContainerizer::reap() {
  if (reaper_.pending() == 0) {
    return;
  }
  for (const auto& failure : reaper_.poll(clock_.now())) {
    log_->error(
        "container_destroy_failed container_id={} cgroup={} timeout={}ms error=\"{}\"",
        failure.container_id.empty() ? "(orphan)" : failure.container_id, failure.dir,
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.cgroups_destroy_timeout)
            .count(),
        failure.error);
  }
}

Result<pid_t> LinuxContainerizer::launch(ContainerConfig config, const LaunchSpec& process,
                                         const std::string& user) {
  const std::string id = config.container_id;
  if (containers_.contains(id)) {
    return std::unexpected(
        Status(StatusCode::kAlreadyExists, fmt::format("Container '{}' already exists", id)));
  }
  auto child = childSpec(config, process, user);
  if (!child) {
    return std::unexpected(child.error());
  }
  auto procs = prepareIsolators(config, &*child);
  if (!procs) {
    return std::unexpected(procs.error());
  }
  auto cloned = zygote_ ? zygote_->launch(*child, *procs) : std::nullopt;
  auto pid = cloned ? std::move(*cloned) : startChild(*child, *procs);
  if (!pid) {
    keep(id, cleanupIsolators(id, isolators_.size()), clock_.now());
    return pid;
  }
  config.pid = *pid;
  containers_[id].config = config;
  log_->info("container_launched container_id={} pid={} isolation={} user={}", id, *pid,
             options_.isolation, child->user ? child->user->name : "(agent)");
  return pid;
}

void LinuxContainerizer::setLimitationCallback(LimitationCallback on_limitation) {
  on_limitation_ = std::move(on_limitation);
}

void LinuxContainerizer::recover(const std::vector<ContainerConfig>& alive) {
  std::set<std::string> ids;
  for (const auto& config : alive) {
    ids.insert(config.container_id);
    containers_[config.container_id].config = config;
  }
  Clock::TimePoint started = clock_.now();
  for (auto& isolator : isolators_) {
    keep("", isolator->recover(ids), started);
  }
}

void LinuxContainerizer::update(const std::string& container_id, double cpus, double mem_mb,
                                double disk_mb) {
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return;
  }
  it->second.config.cpus = cpus;
  // The memory limit only grows: lowering it under what the container already uses would make
  // the kernel kill it (Mesos's memory isolator keeps the hard limit for the same reason).
  it->second.config.mem_mb = std::max(it->second.config.mem_mb, mem_mb);
  it->second.config.disk_mb = disk_mb;
  for (auto& isolator : isolators_) {
    if (Status s = isolator->update(it->second.config); !s.isOk()) {
      log_->warn("container_update_failed container_id={} isolator={} error=\"{}\"", container_id,
                 isolator->name(), s.message());
    }
  }
}

json::Value LinuxContainerizer::usage(const std::string& container_id) {
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return {};
  }
  const ContainerConfig& config = it->second.config;
  json::Value stats = json::Object{};
  stats.set("timestamp", clock_.wallSeconds());
  // Summed from several resources; rounded to thousandths as resource scalars are, so that
  // 0.1 + 0.2 reads 0.3.
  stats.set("cpus_limit", milliToScalar(scalarToMilli(config.cpus)));
  stats.set("mem_limit_bytes", cgroups::memoryLimitBytes(config.mem_mb));
  for (auto& isolator : isolators_) {
    isolator->usage(config, &stats);
  }
  return stats;
}

std::optional<Limitation> LinuxContainerizer::limitation(const std::string& container_id) {
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return std::nullopt;
  }
  for (auto& isolator : isolators_) {
    if (auto limit = isolator->check(it->second.config)) {
      it->second.limited = true;
      return limit;
    }
  }
  return std::nullopt;
}

void LinuxContainerizer::watch() {
  reap();
  std::vector<std::pair<std::string, Limitation>> found;
  for (auto& [id, container] : containers_) {
    if (container.limited) {
      continue;
    }
    for (auto& isolator : isolators_) {
      if (auto limit = isolator->check(container.config)) {
        container.limited = true;
        found.emplace_back(id, *limit);
        break;
      }
    }
  }
  for (auto& [id, limit] : found) {
    log_->warn("container_limitation container_id={} message=\"{}\"", id, limit.message);
    // Everything in it dies now; the executor's exit then ends the container.
    kill(id);
    if (on_limitation_) {
      on_limitation_(id, limit);
    }
  }
}

void LinuxContainerizer::terminate(const std::string& container_id) {
  auto it = containers_.find(container_id);
  if (it != containers_.end()) {
    signalTree(it->second.config.pid, SIGTERM);
  }
}

void LinuxContainerizer::kill(const std::string& container_id) {
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return;
  }
  signalTree(it->second.config.pid, SIGKILL);
  killTree(it->second.config.pid);
  for (auto& isolator : isolators_) {
    for (const auto& file : isolator->procsFiles(container_id)) {
      if (auto text = cgroups::readFile(file)) {
        for (pid_t pid : cgroups::parsePids(*text)) {
          ::kill(pid, SIGKILL);
        }
      }
    }
  }
}

void LinuxContainerizer::destroy(const std::string& container_id) {
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    return;
  }
  Clock::TimePoint started = clock_.now();
  keep(container_id, cleanupIsolators(container_id, isolators_.size()), started);
  containers_.erase(it);
  log_->info("container_destroyed container_id={}", container_id);
}

}  // namespace plateau::agent
