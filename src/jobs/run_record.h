#pragma once

// How the job scheduler keeps its state in a KvStore: the keys of jobs, runs and the framework
// id, a run's stored JSON form, and which task states end a run. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jobs/scheduler.h"

namespace plateau::jobs {

inline constexpr std::string_view kJobPrefix = "jobs/";
inline constexpr std::string_view kRunPrefix = "runs/";
inline constexpr std::string_view kFrameworkIdKey = "meta/framework_id";

std::string jobKey(const std::string& name);
// "runs/<job>/<seq, 16 digits>": a job's runs load in order.
std::string runKey(const std::string& job, uint64_t seq);
std::string storeRun(const Run& run);
// nullopt for a record that does not read as a run.
std::optional<Run> loadRun(std::string_view text);
// Whether a task in this state (a TaskState name) has ended.
bool terminalState(std::string_view state);

}  // namespace plateau::jobs
