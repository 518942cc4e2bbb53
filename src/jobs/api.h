#pragma once

// Chronos's REST API over the job scheduler, under both prefixes clients use (Chronos 3.0's
// /v1/scheduler and 2.x's /scheduler): iso8601, dependency, jobs, jobs/search, jobs/summary,
// job/{name} (GET, PUT to run, DELETE), job/success/{name}, job/stat/{name},
// task/kill/{name}, task/{taskId} (an async job's completion report, Chronos 2.x), graph/csv
// and graph/dot; and /leader and /ping. Status codes as Chronos:
// 204 for a change, 400 with a plain-text message for a bad job or an unknown one. Loop
// thread only.

#include <string>

#include "jobs/scheduler.h"
#include "service/router.h"

namespace plateau::jobs {

class Api {
 public:
  Api(Scheduler& scheduler, const Clock& clock, JobDefaults defaults);
  void handle(http::Request& request, http::Responder responder);
  // host:port of the leading instance's API (this one, until leader election is wired).
  void setLeader(std::string leader) { leader_ = std::move(leader); }

 private:
  void addRoutes(const std::string& prefix);
  void postJob(service::Call& call, http::Responder r, JobKind kind);
  void listJobs(service::Call& call, http::Responder r);
  void searchJobs(service::Call& call, http::Responder r);
  void summary(service::Call& call, http::Responder r);
  void showJob(service::Call& call, http::Responder r);
  void runJob(service::Call& call, http::Responder r);
  void deleteJob(service::Call& call, http::Responder r);
  void markSuccess(service::Call& call, http::Responder r);
  void stat(service::Call& call, http::Responder r);
  void killTasks(service::Call& call, http::Responder r);
  void reportTask(service::Call& call, http::Responder r);
  void graphCsv(service::Call& call, http::Responder r);
  void graphDot(service::Call& call, http::Responder r);

  std::string lastStatus(const Job& job) const;
  std::string currentState(const Job& job) const;

  Scheduler& scheduler_;
  const Clock& clock_;
  JobDefaults defaults_;
  std::string leader_;
  service::Router router_;
};

// 400 text/plain with `message` (Chronos's answer to a bad or unknown job).
http::Response badRequest(std::string_view message);
// Percentiles and mean of `samples` as {"count", "min", "median", "75thPercentile", ...}.
void writeDistribution(json::Writer& w, std::vector<double> samples);

}  // namespace plateau::jobs
