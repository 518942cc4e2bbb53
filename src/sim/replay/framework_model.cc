#include "sim/replay/framework_model.h"

#include <algorithm>
#include <limits>

namespace plateau::sim::replay {

void FrameworkModel::enqueue(uint32_t job, int64_t tasks) {
  queue_.push_back({job, tasks});
  pending_tasks_ += tasks;
}

std::vector<Launch> FrameworkModel::pack(int64_t cpus_milli, int64_t mem_milli,
                                         const std::vector<TraceJob>& jobs, size_t lookahead) {
  std::vector<Launch> launches;
  const size_t scan = std::min(lookahead, queue_.size());
  bool emptied = false;
  for (size_t i = 0; i < scan; ++i) {
    Waiting& w = queue_[i];
    const TraceJob& job = jobs[w.job];
    int64_t fit = std::min(w.left, cpus_milli / job.cpus_milli);
    if (job.mem_milli > 0) {
      fit = std::min(fit, mem_milli / job.mem_milli);
    }
    if (fit <= 0) {
      continue;
    }
    launches.push_back({w.job, fit});
    cpus_milli -= fit * job.cpus_milli;
    mem_milli -= fit * job.mem_milli;
    w.left -= fit;
    pending_tasks_ -= fit;
    emptied = emptied || w.left == 0;
  }
  if (emptied) {
    auto end = queue_.begin() + static_cast<std::ptrdiff_t>(scan);
    queue_.erase(std::remove_if(queue_.begin(), end, [](const Waiting& w) { return w.left == 0; }),
                 end);
  }
  return launches;
}

}  // namespace plateau::sim::replay
