#include "sim/replay/trace.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/roles.h"

namespace plateau::sim::replay {

namespace {

enum Column : size_t { kArrival, kRole, kFramework, kTasks, kCpus, kMem, kDuration, kJob, kCount };
constexpr std::array<std::string_view, kCount> kNames = {"arrival", "role", "framework", "tasks",
                                                         "cpus",    "mem",  "duration",  "job"};
constexpr std::array<bool, kCount> kRequired = {true, true, false, true, true, true, true, false};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    fields.push_back(
        trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) {
      return fields;
    }
    start = comma + 1;
  }
}

// A decimal (exponent allowed) scaled by `scale` and rounded; nullopt unless finite and whole.
std::optional<int64_t> scaled(std::string_view text, double scale) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || std::fabs(value * scale) > 9e18) {
    return std::nullopt;
  }
  return std::llround(value * scale);
}

// Maps header names to columns; an error for unknown, repeated or missing ones.
Result<std::array<int, kCount>> parseHeader(std::string_view line, const std::string& where) {
  std::array<int, kCount> index;
  index.fill(-1);
  auto fields = split(line);
  for (size_t i = 0; i < fields.size(); ++i) {
    auto it = std::find(kNames.begin(), kNames.end(), fields[i]);
    if (it == kNames.end()) {
      return invalidArgument(fmt::format("{}: unknown column '{}' (known: {})", where, fields[i],
                                         fmt::join(kNames, ", ")));
    }
    auto column = static_cast<size_t>(it - kNames.begin());
    if (index[column] >= 0) {
      return invalidArgument(fmt::format("{}: column '{}' appears twice", where, fields[i]));
    }
    index[column] = static_cast<int>(i);
  }
  for (size_t c = 0; c < kCount; ++c) {
    if (kRequired[c] && index[c] < 0) {
      return invalidArgument(fmt::format("{}: the header lacks the column '{}'", where, kNames[c]));
    }
  }
  return index;
}

struct Bound {
  const char* what;
  double scale;
  int64_t min;
  int64_t max;
  const char* range;
};

constexpr Bound kArrivalBound{"arrival", 1e6, 0, kMaxTraceSpanUs, "[0, 31622400] seconds"};
constexpr Bound kDurationBound{"duration", 1e6, 1, kMaxTraceSpanUs, "(0, 31622400] seconds"};
constexpr Bound kTasksBound{"tasks", 1, 1, kMaxTasksPerJob, "a whole number in [1, 1000000]"};
constexpr Bound kCpusBound{"cpus", 1e3, 1, kMaxCpusMilli, "[0.001, 1000000]"};
constexpr Bound kMemBound{"mem", 1e3, 0, kMaxMemMilli, "[0, 1073741824] MB"};

Result<int64_t> field(std::string_view text, const Bound& b, const std::string& where) {
  auto value = scaled(text, b.scale);
  if (!value) {
    return invalidArgument(fmt::format("{}: {} '{}' is not a number", where, b.what, text));
  }
  if (*value < b.min || *value > b.max ||
      (b.scale == 1 && text.find_first_of(".eE") != std::string_view::npos)) {
    return invalidArgument(fmt::format("{}: {} must be {}, got {}", where, b.what, b.range, text));
  }
  return *value;
}

Result<TraceJob> parseJob(const std::vector<std::string_view>& fields,
                          const std::array<int, kCount>& index, const std::string& where) {
  auto at = [&](Column c) { return index[c] < 0 ? std::string_view() : fields[index[c]]; };
  TraceJob job;
  for (auto [column, bound, target] : {std::tuple{kArrival, &kArrivalBound, &job.arrival_us},
                                       std::tuple{kDuration, &kDurationBound, &job.duration_us},
                                       std::tuple{kTasks, &kTasksBound, &job.tasks},
                                       std::tuple{kCpus, &kCpusBound, &job.cpus_milli},
                                       std::tuple{kMem, &kMemBound, &job.mem_milli}}) {
    auto value = field(at(column), *bound, where);
    if (!value) {
      return std::unexpected(value.error());
    }
    *target = *value;
  }
  job.role = std::string(at(kRole));
  if (Status s = roles::validate(job.role); !s.isOk()) {
    return invalidArgument(fmt::format("{}: role '{}': {}", where, job.role, s.message()));
  }
  job.framework = std::string(at(kFramework));
  if (job.framework.empty()) {
    job.framework = job.role;
  }
  job.job = std::string(at(kJob));
  return job;
}

}  // namespace

Result<std::vector<TraceJob>> parseTrace(std::istream& in, std::string_view source) {
  std::vector<TraceJob> jobs;
  std::optional<std::array<int, kCount>> index;
  size_t columns = 0;
  std::map<std::string, std::pair<std::string, size_t>, std::less<>> framework_roles;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    std::string_view text = trim(line);
    if (number == 1 && text.starts_with("\xEF\xBB\xBF")) {
      text.remove_prefix(3);  // a UTF-8 byte order mark, as spreadsheets write
    }
    if (text.empty() || text.front() == '#') {
      continue;
    }
    std::string where = fmt::format("{}:{}", source, number);
    if (!index) {
      auto header = parseHeader(text, where);
      if (!header) {
        return std::unexpected(header.error());
      }
      index = *header;
      columns = split(text).size();
      continue;
    }
    auto fields = split(text);
    if (fields.size() != columns) {
      return invalidArgument(
          fmt::format("{}: {} fields where the header names {}", where, fields.size(), columns));
    }
    auto job = parseJob(fields, *index, where);
    if (!job) {
      return std::unexpected(job.error());
    }
    job->line = number;
    auto [it, added] = framework_roles.try_emplace(job->framework, job->role, number);
    if (!added && it->second.first != job->role) {
      return invalidArgument(
          fmt::format("{}: framework '{}' has role '{}' here but '{}' on line {} "
                      "(a framework has one role)",
                      where, job->framework, job->role, it->second.first, it->second.second));
    }
    jobs.push_back(std::move(*job));
  }
  if (!index) {
    return invalidArgument(fmt::format("{}: no header line (expected e.g. '{}')", source,
                                       "arrival,role,framework,tasks,cpus,mem,duration"));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const TraceJob& a, const TraceJob& b) {
    return a.arrival_us < b.arrival_us;
  });
  return jobs;
}

Result<std::vector<TraceJob>> loadTrace(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return invalidArgument(fmt::format("cannot open the trace '{}'", path));
  }
  return parseTrace(in, path);
}

std::string formatSeconds(int64_t us) {
  std::string text = fmt::format("{}.{:06d}", us / 1000000, us % 1000000);
  while (text.back() == '0') {
    text.pop_back();
  }
  if (text.back() == '.') {
    text.pop_back();
  }
  return text;
}

std::string formatMilli(int64_t milli) { return formatSeconds(milli * 1000); }

void writeTrace(std::ostream& out, const std::vector<TraceJob>& jobs) {
  out << "arrival,role,framework,tasks,cpus,mem,duration,job\n";
  for (const TraceJob& j : jobs) {
    out << fmt::format("{},{},{},{},{},{},{},{}\n", formatSeconds(j.arrival_us), j.role,
                       j.framework, j.tasks, formatMilli(j.cpus_milli), formatMilli(j.mem_milli),
                       formatSeconds(j.duration_us), j.job);
  }
}

}  // namespace plateau::sim::replay
