#include "agent/containerizer/cgroups.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace plateau::agent::cgroups {

namespace fs = std::filesystem;

namespace {

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty()) {
      out.push_back(line);
    }
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<std::string> splitWords(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > start) {
      out.emplace_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parseV1Mounts(std::string_view proc_mounts) {
  std::map<std::string, std::string> out;
  for (std::string_view line : splitLines(proc_mounts)) {
    // device mountpoint type options dump pass
    auto fields = splitWords(line, ' ');
    if (fields.size() < 4 || fields[2] != "cgroup") {
      continue;
    }
    for (const auto& option : splitWords(fields[3], ',')) {
      if (option == "rw" || option == "ro" || option.find('=') != std::string::npos ||
          option.starts_with("no") || option == "relatime" || option == "clone_children" ||
          option == "xattr") {
        continue;
      }
      out.emplace(option, fields[1]);
    }
  }
  return out;
}

Result<Layout> detect(const std::string& hierarchy) {
  Layout layout;
  std::error_code ec;
  fs::path controllers = fs::path(hierarchy) / "cgroup.controllers";
  if (fs::exists(controllers, ec)) {
    layout.version = Version::kV2;
    layout.unified = hierarchy;
    auto text = readFile(controllers.string());
    if (text) {
      layout.v2_controllers =
          splitWords(std::string_view(*text).substr(0, text->find_last_not_of("\n") + 1), ' ');
    }
    return layout;
  }
  auto mounts = readFile("/proc/self/mounts");
  if (!mounts) {
    return std::unexpected(mounts.error());
  }
  layout.version = Version::kV1;
  for (auto& [controller, mount] : parseV1Mounts(*mounts)) {
    // Only mounts under the configured hierarchy count (e.g. /sys/fs/cgroup/memory).
    if (mount == hierarchy || mount.starts_with(hierarchy + "/")) {
      layout.mounts[controller] = mount;
    }
  }
  if (layout.mounts.empty()) {
    return failedPrecondition(fmt::format(
        "No cgroup v2 hierarchy at '{}' and no cgroup v1 controller mounted under it", hierarchy));
  }
  return layout;
}

std::string rootPath(const Layout& layout, const std::string& controller, const std::string& root) {
  if (layout.version == Version::kV2) {
    return (fs::path(layout.unified) / root).string();
  }
  auto it = layout.mounts.find(controller);
  if (it == layout.mounts.end()) {
    return "";
  }
  return (fs::path(it->second) / root).string();
}

std::string containerPath(const Layout& layout, const std::string& controller,
                          const std::string& root, const std::string& container_id) {
  std::string parent = rootPath(layout, controller, root);
  return parent.empty() ? "" : (fs::path(parent) / container_id).string();
}

uint64_t cpuShares(double cpus, bool low_priority) {
  const uint64_t per_cpu = low_priority ? kSharesPerRevocableCpu : kSharesPerCpu;
  auto shares = static_cast<uint64_t>(std::llround(std::max(0.0, cpus) * per_cpu));
  return std::max(shares, kMinShares);
}

uint64_t cfsQuotaUs(double cpus, uint64_t period_us) {
  auto quota = static_cast<uint64_t>(std::llround(std::max(0.0, cpus) * period_us));
  return std::max(quota, kMinCfsQuotaUs);
}

uint64_t sharesToWeight(uint64_t shares) {
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

std::string cpuMax(std::optional<uint64_t> quota_us, uint64_t period_us) {
  return quota_us ? fmt::format("{} {}", *quota_us, period_us) : fmt::format("max {}", period_us);
}

uint64_t memoryLimitBytes(double mem_mb) {
  auto bytes = static_cast<uint64_t>(std::max(0.0, mem_mb) * 1024 * 1024);
  return std::max(bytes, kMinMemoryBytes);
}

std::map<std::string, uint64_t> parseKeyValues(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (std::string_view line : splitLines(text)) {
    auto words = splitWords(line, ' ');
    if (words.size() != 2) {
      continue;
    }
    try {
      out[words[0]] = std::stoull(words[1]);
    } catch (...) {
      // "max" and other non-numbers are not counters.
    }
  }
  return out;
}

uint64_t oomKills(std::string_view text) {
  auto values = parseKeyValues(text);
  auto it = values.find("oom_kill");
  return it == values.end() ? 0 : it->second;
}

std::vector<pid_t> parsePids(std::string_view text) {
  std::vector<pid_t> out;
  for (std::string_view line : splitLines(text)) {
    try {
      out.push_back(static_cast<pid_t>(std::stol(std::string(line))));
    } catch (...) {
    }
  }
  return out;
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return unavailable(fmt::format("Failed to open '{}': {}", path, strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status writeFile(const std::string& path, const std::string& value) {
  // One write(2) so the kernel sees the whole value at once.
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return {StatusCode::kUnavailable,
            fmt::format("Failed to open '{}': {}", path, strerror(errno))};
  }
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return {StatusCode::kUnavailable,
            fmt::format("Failed to write '{}' to '{}': {}", value, path, strerror(err))};
  }
  return {};
}

Status enableV2Controllers(const std::string& unified, const std::string& dir,
                           const std::vector<std::string>& controllers) {
  std::string value;
  for (const auto& c : controllers) {
    value += (value.empty() ? "+" : " +") + c;
  }
  if (value.empty()) {
    return {};
  }
  fs::path current(unified);
  fs::path rel = fs::path(dir).lexically_relative(unified);
  // Every ancestor of the container's cgroup delegates the controllers to its children.
  std::vector<fs::path> parents{current};
  for (const auto& part : rel) {
    current /= part;
    parents.push_back(current);
  }
  parents.pop_back();  // the container's own cgroup holds processes, not children
  for (const auto& p : parents) {
    if (Status s = writeFile((p / "cgroup.subtree_control").string(), value); !s.isOk()) {
      return s;
    }
  }
  return {};
}

namespace {

// One pass over a cgroup: SIGKILL to whatever cgroup.procs lists, then rmdir. OK once removed
// (or gone); Unavailable with what stops it otherwise.
Status killAndRemove(const std::string& dir) {
  auto procs = readFile((fs::path(dir) / "cgroup.procs").string());
  std::vector<pid_t> pids = procs ? parsePids(*procs) : std::vector<pid_t>{};
  for (pid_t pid : pids) {
    ::kill(pid, SIGKILL);
  }
  // A killed process leaves the cgroup as it exits; rmdir is refused (EBUSY) until then.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
    return {};
  }
  int err = errno;
  std::string left;
  for (pid_t pid : pids) {
    left += (left.empty() ? "" : ",") + std::to_string(pid);
  }
  return {StatusCode::kUnavailable,
          pids.empty() ? fmt::format("Failed to remove cgroup '{}': {}", dir, strerror(err))
                       : fmt::format("Failed to remove cgroup '{}': processes {} are still in it",
                                     dir, left)};
}

}  // namespace

Status destroy(const std::string& dir, std::chrono::nanoseconds budget) {
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir, ec)) {
    return {};
  }
  fs::path kill = fs::path(dir) / "cgroup.kill";
  if (fs::exists(kill, ec)) {
    (void)writeFile(kill.string(), "1");
  }
  // Real time on purpose: this waits on the kernel, not on the agent's logic.
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (int attempt = 0;; attempt++) {
    Status s = killAndRemove(dir);
    if (s.isOk() || std::chrono::steady_clock::now() >= deadline) {
      return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 1 : 10));
  }
}

std::vector<Write> memoryLimitWrites(Version version, uint64_t current, uint64_t limit,
                                     bool limit_swap) {
  const std::string value = std::to_string(limit);
  if (version == Version::kV2) {
    std::vector<Write> out{{"memory.max", value}};
    if (limit_swap) {
      out.push_back({"memory.swap.max", "0"});
    }
    return out;
  }
  Write memory{"memory.limit_in_bytes", value};
  if (!limit_swap) {
    return {memory};
  }
  Write memsw{"memory.memsw.limit_in_bytes", value};
  return limit > current ? std::vector<Write>{memsw, memory} : std::vector<Write>{memory, memsw};
}

Status checkSwapLimit(const Layout& layout, const std::string& root) {
  std::string dir = rootPath(layout, "memory", root);
  if (dir.empty()) {
    return {StatusCode::kFailedPrecondition, "The memory cgroup controller is not mounted"};
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return {StatusCode::kFailedPrecondition,
            fmt::format("Failed to create cgroup '{}': {}", dir, ec.message())};
  }
  const bool v2 = layout.version == Version::kV2;
  if (v2) {
    if (Status s = enableV2Controllers(layout.unified, dir + "/c", {"memory"}); !s.isOk()) {
      return {StatusCode::kFailedPrecondition, s.message()};
    }
  }
  fs::path file = fs::path(dir) / (v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
  if (!fs::exists(file, ec)) {
    return {StatusCode::kFailedPrecondition,
            fmt::format("'{}' does not exist: this kernel does not account swap in memory "
                        "cgroups (swapaccount=1 on its command line turns it on)",
                        file.string())};
  }
  return {};
}

std::vector<std::string> parseSubsystems(std::string_view list) {
  std::vector<std::string> out;
  for (auto& word : splitWords(list, ',')) {
    word.erase(0, word.find_first_not_of(" \t"));
    word.erase(word.find_last_not_of(" \t") + 1);
    if (!word.empty() && std::find(out.begin(), out.end(), word) == out.end()) {
      out.push_back(word);
    }
  }
  return out;
}

namespace {

// Creates the agent's cgroup at `dir` and moves `pid` into it; adds who else is there to `others`.
Status joinCgroup(const std::string& dir, pid_t pid, std::vector<pid_t>* others) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return {StatusCode::kUnavailable,
            fmt::format("Failed to create cgroup '{}': {}", dir, ec.message())};
  }
  if (auto procs = readFile(dir + "/cgroup.procs")) {
    for (pid_t other : parsePids(*procs)) {
      if (other != pid && std::find(others->begin(), others->end(), other) == others->end()) {
        others->push_back(other);
      }
    }
  }
  return writeFile(dir + "/cgroup.procs", std::to_string(pid));
}

}  // namespace

Result<std::vector<pid_t>> joinAgentCgroup(const Layout& layout, const std::string& root,
                                           const std::vector<std::string>& subsystems, pid_t pid) {
  const std::string cgroup = (fs::path(root) / kAgentCgroup).string();
  std::vector<pid_t> others;
  for (const auto& subsystem : subsystems) {
    bool present = layout.version == Version::kV2
                       ? std::find(layout.v2_controllers.begin(), layout.v2_controllers.end(),
                                   subsystem) != layout.v2_controllers.end()
                       : layout.mounts.contains(subsystem);
    if (!present) {
      return invalidArgument(
          fmt::format("Flag '--agent_subsystems': the '{}' cgroup subsystem is {}", subsystem,
                      layout.version == Version::kV2 ? "not available in " + layout.unified
                                                     : std::string("not mounted")));
    }
  }
  if (layout.version == Version::kV2) {
    // One cgroup for every controller: they only need to be enabled down to it.
    std::string dir = (fs::path(layout.unified) / cgroup).string();
    if (Status s = enableV2Controllers(layout.unified, dir, subsystems); !s.isOk()) {
      return std::unexpected(s);
    }
    if (Status s = joinCgroup(dir, pid, &others); !s.isOk()) {
      return std::unexpected(s);
    }
    return others;
  }
  std::vector<std::string> done;
  for (const auto& subsystem : subsystems) {
    std::string dir = (fs::path(layout.mounts.at(subsystem)) / cgroup).string();
    if (std::find(done.begin(), done.end(), dir) != done.end()) {
      continue;  // co-mounted with one already joined (cpu,cpuacct)
    }
    if (Status s = joinCgroup(dir, pid, &others); !s.isOk()) {
      return std::unexpected(s);
    }
    done.push_back(dir);
  }
  return others;
}

std::vector<std::string> children(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) {
      out.push_back(entry.path().filename().string());
    }
  }
  return out;
}

}  // namespace plateau::agent::cgroups
