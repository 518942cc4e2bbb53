#include "agent/containerizer/proc_tree.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace plateau::agent {

namespace fs = std::filesystem;

std::vector<pid_t> processTree(pid_t root) {
  std::vector<pid_t> out;
  if (root <= 0 || ::kill(root, 0) != 0) {
    return out;
  }
  out.push_back(root);
  // Breadth first; a bound on the walk keeps a runaway fork bomb from stalling the caller.
  for (size_t i = 0; i < out.size() && out.size() < 100000; i++) {
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", out[i]), ec)) {
      std::ifstream in(task.path() / "children");
      pid_t child = 0;
      while (in >> child) {
        out.push_back(child);
      }
    }
  }
  return out;
}

TreeUsage treeUsage(pid_t root) {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  TreeUsage usage;
  for (pid_t pid : processTree(root)) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(in, line)) {
      continue;
    }
    size_t close = line.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    // Fields after the command, numbered as in proc(5) from 3 (state).
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f(3);
    std::string word;
    while (rest >> word) {
      f.push_back(word);
    }
    if (f.size() < 25) {
      continue;
    }
    usage.processes++;
    usage.user_secs += std::stod(f[14]) / ticks;
    usage.system_secs += std::stod(f[15]) / ticks;
    usage.threads += std::stoull(f[20]);
    usage.rss_bytes += std::stoull(f[24]) * page;
  }
  return usage;
}

void killTree(pid_t root) {
  for (pid_t pid : processTree(root)) {
    ::kill(pid, SIGKILL);
  }
}

}  // namespace plateau::agent
