#pragma once

// A process and its descendants, read from /proc (task/<tid>/children), and what they use.
// Costs a few small reads per process in the tree, nothing per other process on the host.

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace plateau::agent {

struct TreeUsage {
  double user_secs = 0;
  double system_secs = 0;
  uint64_t rss_bytes = 0;
  uint64_t processes = 0;
  uint64_t threads = 0;
};

// `root` and every live descendant (root first). Empty when root is gone.
std::vector<pid_t> processTree(pid_t root);

// Sums /proc/<pid>/stat over the tree.
TreeUsage treeUsage(pid_t root);

// SIGKILLs the whole tree (collected first, so reparenting cannot hide anyone).
void killTree(pid_t root);

}  // namespace plateau::agent
