// Chronos job JSON and ISO 8601 schedules (plateau-jobs): the input as a job body (scheduled,
// dependent or either), its schedule computed and stepped, the job stored and loaded back; and
// the input alone as a repeating interval, a period, a timestamp and a cron line.

#include <cstdlib>

#include "common/json.h"
#include "jobs/job.h"
#include "jobs/schedule.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

constexpr double kNow = 1767225600;  // 2026-01-01T00:00:00Z

void stepSchedule(const plateau::jobs::Schedule& schedule) {
  double t = kNow;
  for (int i = 0; i < 4; ++i) {
    t = plateau::jobs::nextAfter(schedule, t);
  }
  (void)plateau::jobs::formatTimestamp(t, schedule.zone);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace jobs = plateau::jobs;
  auto input = plateau::fuzz::text(data, size);
  if (auto job = jobs::parseJob(input, jobs::JobKind::kEither, jobs::JobDefaults{}, kNow)) {
    if (auto schedule = jobs::jobSchedule(*job, kNow)) {
      stepSchedule(*schedule);
    }
    std::string out;
    plateau::json::Writer writer(&out);
    jobs::writeJob(writer, *job, 60);
    // What is stored must load again.
    if (!jobs::loadJob(jobs::storeJob(*job))) {
      plateau::fuzz::fail("a stored job does not load");
    }
  }
  if (auto schedule = jobs::parseSchedule(input, kNow)) {
    stepSchedule(*schedule);
  }
  if (auto period = jobs::parsePeriod(input)) {
    (void)jobs::addPeriod(kNow, *period);
  }
  (void)jobs::parseTimestamp(input);
  (void)jobs::parseCron(input);
  return 0;
}
