#pragma once

// What plateau-jobs' integration tests share: times in Chronos's ISO 8601 spelling, and a file
// that tasks append "<job> <what> <scheduled epoch> <now>" lines to, so that a test sees what
// ran and when from the tasks themselves.

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {

inline double wallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ISO 8601 (UTC, whole seconds) of the first whole second at least `ahead` seconds from now.
inline std::pair<std::string, double> startIn(double ahead) {
  auto t = static_cast<std::time_t>(std::ceil(wallNow() + ahead));
  return {fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(t)), static_cast<double>(t)};
}

// `text` as a JSON string literal.
inline std::string quoted(const std::string& text) {
  std::string out;
  json::Writer w(&out);
  w.value(text);
  return out;
}

struct Line {
  std::string job;
  std::string what;
  double scheduled = 0;
  double at = 0;
};

class RunLog {
 public:
  explicit RunLog(std::string path) : path_(std::move(path)) {}

  // A shell command that records "<job> <what> <scheduled epoch> <now>".
  std::string record(const std::string& what) const {
    return fmt::format(
        "echo \"$CHRONOS_JOB_NAME {} ${{PLATEAU_JOB_SCHEDULED_EPOCH:-0}} $(date +%s.%N)\" >> {}",
        what, path_);
  }

  std::vector<Line> lines() const {
    std::vector<Line> out;
    std::ifstream in(path_);
    std::string text;
    while (std::getline(in, text)) {
      std::istringstream s(text);
      Line l;
      if (s >> l.job >> l.what >> l.scheduled >> l.at) {
        out.push_back(l);
      }
    }
    return out;
  }

  std::vector<Line> lines(const std::string& job, const std::string& what) const {
    std::vector<Line> out;
    for (const auto& l : lines()) {
      if (l.job == job && l.what == what) {
        out.push_back(l);
      }
    }
    return out;
  }

  // How many times each scheduled time of `job` started.
  std::map<double, int> startsByScheduledTime(const std::string& job) const {
    std::map<double, int> starts;
    for (const auto& l : lines(job, "start")) {
      starts[l.scheduled] += 1;
    }
    return starts;
  }

  // Every scheduled time of `job` from `first`, `period` seconds apart, up to the last that
  // started, started exactly once: none twice, none missing.
  void expectEachScheduledTimeOnce(const std::string& job, double first, double period) const {
    auto starts = startsByScheduledTime(job);
    ASSERT_FALSE(starts.empty()) << job << " never started";
    double last = starts.rbegin()->first;
    for (double t = first; t <= last; t += period) {
      EXPECT_EQ(starts[t], 1) << "scheduled time " << fmt::format("{:.0f}", t - first)
                              << " s after the first ran once";
    }
    EXPECT_EQ(starts.size(), static_cast<size_t>(std::lround((last - first) / period)) + 1);
  }

 private:
  std::string path_;
};

// One call to plateau-jobs' REST API at 127.0.0.1:`port` (JSON body); status 0 when it did
// not answer.
inline http::Response callJobs(uint16_t port, const std::string& method, const std::string& path,
                               const std::string& body = "") {
  auto r = http::fetchSync({"127.0.0.1", port},
                           {.method = method,
                            .path = path,
                            .headers = {{"content-type", "application/json"}},
                            .body = body},
                           std::chrono::seconds(10));
  return r ? *r : http::Response{.status = 0};
}

}  // namespace plateau::testing
