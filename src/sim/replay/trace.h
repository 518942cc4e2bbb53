#pragma once

// The replay trace: one line per job (a batch of identical tasks submitted at once), as CSV with
// a header naming the columns. docs/sim.md ("Replay in virtual time") documents the format and
// how published cluster traces map onto it.
//
//   # comments and blank lines are skipped
//   arrival,role,framework,tasks,cpus,mem,duration,job
//   0.5,batch,batch-0,20,1,2048,600,j1
//
// Required columns: arrival (seconds from the trace's start), role, tasks (count), cpus (per
// task), mem (MB per task), duration (seconds each task runs once launched). Optional:
// framework (default: the role's name, i.e. one framework per role) and job (a name for
// reports; default: "line N"). Columns may come in any order; unknown columns are errors.

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::sim::replay {

// Bounds beyond which a value is refused as absurd.
inline constexpr int64_t kMaxTraceSpanUs = 366LL * 24 * 3600 * 1000000;  // arrival, duration
inline constexpr int64_t kMaxTasksPerJob = 1000000;
inline constexpr int64_t kMaxCpusMilli = 1000000LL * 1000;        // 1,000,000 cpus per task
inline constexpr int64_t kMaxMemMilli = 1024LL * 1048576 * 1000;  // 1 PiB (in MB) per task

// One job. Times in microseconds, cpus and mem in milli-units (exact, as Resources keeps them).
struct TraceJob {
  int64_t arrival_us = 0;
  std::string role;
  std::string framework;
  std::string job;
  int64_t tasks = 0;
  int64_t cpus_milli = 0;
  int64_t mem_milli = 0;
  int64_t duration_us = 0;
  size_t line = 0;  // where it came from (0: generated)
};

// Parses a trace; `source` names it in errors ("trace.csv:12: cpus must be ..."). The result
// is sorted by arrival, ties in file order. InvalidArgument naming the line for a missing or
// unknown column, a field that is not a number, a bad role name, or a value out of bounds
// (cpus in [0.001, 1e6], mem in [0, 1 PiB], tasks in [1, 1e6], arrival and duration up to
// 366 days, duration > 0).
Result<std::vector<TraceJob>> parseTrace(std::istream& in, std::string_view source);
// Reads and parses the file; InvalidArgument when it cannot be opened.
Result<std::vector<TraceJob>> loadTrace(const std::string& path);

// Writes jobs in the format parseTrace() reads (all columns, microsecond precision).
void writeTrace(std::ostream& out, const std::vector<TraceJob>& jobs);

// "12.5" from 12500000 us: seconds with up to six decimals, trailing zeros dropped.
std::string formatSeconds(int64_t us);
// "2048" from 2048000 milli-units: the value with up to three decimals.
std::string formatMilli(int64_t milli);

}  // namespace plateau::sim::replay
