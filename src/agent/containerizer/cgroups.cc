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

uint64_t cpuShares(double cpus) {
  auto shares = static_cast<uint64_t>(std::llround(std::max(0.0, cpus) * kSharesPerCpu));
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

Status destroy(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir, ec)) {
    return {};
  }
  fs::path kill = fs::path(dir) / "cgroup.kill";
  if (fs::exists(kill, ec)) {
    (void)writeFile(kill.string(), "1");
  }
  for (int attempt = 0; attempt < 50; attempt++) {
    auto procs = readFile((fs::path(dir) / "cgroup.procs").string());
    if (!procs) {
      break;
    }
    auto pids = parsePids(*procs);
    if (pids.empty()) {
      break;
    }
    for (pid_t pid : pids) {
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 1 : 10));
  }
  // A killed process leaves the cgroup as it exits; rmdir is refused (EBUSY) until then.
  for (int attempt = 0; attempt < 100; attempt++) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
      return {};
    }
    if (errno != EBUSY) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {StatusCode::kUnavailable,
          fmt::format("Failed to remove cgroup '{}': {}", dir, strerror(errno))};
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
