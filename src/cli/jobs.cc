#include "cli/jobs.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "cli/lists.h"
#include "cli/time_text.h"
#include "cli/tls_options.h"
#include "common/json.h"
#include "http/client.h"

namespace plateau::cli {

using namespace std::chrono_literals;

namespace {

constexpr const char* kApi = "/v1/scheduler";

struct JobsOptions {
  std::string jobs = "127.0.0.1:8080";
  bool json = false;
  std::string name;
  std::string file;
  std::string arguments;
};

int failWith(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return 1;
}

// plateau-jobs' answer to one call; a refusal (Chronos answers 400 with a plain-text message)
// or no answer is an error whose message says what to do.
Result<http::Response> request(const JobsOptions& o, const std::string& method,
                               const std::string& path, std::string body = "") {
  auto endpoint = http::Endpoint::parse(o.jobs, 8080);
  if (!endpoint) {
    return invalidArgument(
        fmt::format("invalid --jobs '{}': {}", o.jobs, endpoint.error().message()));
  }
  http::ClientRequest req{.method = method, .path = path};
  req.headers = {{"accept", "application/json"}};
  if (!body.empty()) {
    req.headers.emplace("content-type", "application/json");
    req.body = std::move(body);
  }
  auto answer = http::fetchSync(*endpoint, std::move(req), 30s);
  if (!answer) {
    return unavailable(
        connectionFailure("plateau-jobs", endpoint->toString(), answer.error().message(),
                          "Is plateau-jobs running? Pass --jobs=HOST:PORT or set PLATEAU_JOBS."));
  }
  if (answer->status >= 300) {
    std::string message = answer->body;
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return invalidArgument(
        fmt::format("plateau-jobs answered HTTP {}: {}", answer->status, message));
  }
  return *answer;
}

Result<json::Value> fetchJson(const JobsOptions& o, const std::string& path) {
  auto answer = request(o, "GET", path);
  if (!answer) {
    return std::unexpected(answer.error());
  }
  auto parsed = json::parse(answer->body);
  if (!parsed) {
    return internalError(
        fmt::format("plateau-jobs' answer is not valid JSON: {}", parsed.error().message()));
  }
  return parsed;
}

// A field as text: strings as they are, numbers in their shortest form, "-" when missing.
std::string text(const json::Value& v, std::string_view key) {
  const json::Value* f = v.isObject() ? v.find(key) : nullptr;
  if (f == nullptr || f->isNull() || (f->isString() && f->asString().empty())) {
    return "-";
  }
  if (f->isString()) return f->asString();
  if (f->isNumber()) return fmt::format("{:g}", f->asDouble());
  if (f->isBool()) return f->asBool() ? "yes" : "no";
  return json::stringify(*f);
}

// "2026-12-05 06:10:00 UTC (3m ago)" for Chronos's timestamps, "-" when there is none.
std::string timeText(const json::Value& v, std::string_view key, double now) {
  std::string t = text(v, key);
  auto seconds = isoSeconds(t);
  return seconds ? whenText(*seconds, now) : t;
}

// A job's schedule, or "after a,b" for a dependent job.
std::string trigger(const json::Value& job) {
  const json::Value* parents = job.find("parents");
  if (parents != nullptr && parents->isArray() && !parents->asArray().empty()) {
    std::string names;
    for (const auto& p : parents->asArray()) {
      names += (names.empty() ? "" : ",") + (p.isString() ? p.asString() : "");
    }
    return "after " + names;
  }
  return text(job, "schedule");
}

int jobList(const JobsOptions& o) {
  auto jobs = fetchJson(o, std::string(kApi) + "/jobs");
  if (!jobs) return failWith(jobs.error().message());
  if (o.json) {
    fmt::print("{}\n", json::stringify(*jobs));
    return 0;
  }
  std::map<std::string, std::string> states;  // name -> "idle", "1 running", ...
  if (auto summary = fetchJson(o, std::string(kApi) + "/jobs/summary")) {
    for (const auto& s : (*summary)["jobs"].asArray()) {
      states[text(s, "name")] = text(s, "state");
    }
  }
  std::vector<std::vector<std::string>> rows;
  double now = nowSeconds();
  for (const auto& j : jobs->asArray()) {
    auto seconds = isoSeconds(text(j, "lastSuccess"));
    auto failed = isoSeconds(text(j, "lastError"));
    rows.push_back({text(j, "name"), trigger(j),
                    states.contains(text(j, "name")) ? states[text(j, "name")] : "-",
                    text(j, "successCount"), text(j, "errorCount"),
                    seconds ? age(*seconds, now) : "-", failed ? age(*failed, now) : "-",
                    text(j, "disabled") == "yes" ? "yes" : "no"});
  }
  printTable({"NAME", "SCHEDULE", "STATE", "OK", "ERRORS", "LAST OK", "LAST ERROR", "DISABLED"},
             rows);
  return 0;
}

int jobShow(const JobsOptions& o) {
  auto job = fetchJson(o, std::string(kApi) + "/job/" + o.name);
  if (!job) return failWith(job.error().message());
  if (o.json) {
    fmt::print("{}\n", json::stringify(*job));
    return 0;
  }
  double now = nowSeconds();
  const json::Value& j = *job;
  fmt::print("name         {}\n", text(j, "name"));
  fmt::print("command      {}\n", text(j, "command"));
  fmt::print("schedule     {}\n", trigger(j));
  fmt::print("time zone    {}\n", text(j, "scheduleTimeZone"));
  fmt::print("epsilon      {}\n", text(j, "epsilon"));
  fmt::print("resources    cpus {} mem {} disk {}\n", text(j, "cpus"), text(j, "mem"),
             text(j, "disk"));
  fmt::print("retries      {}   concurrent {}   async {}   disabled {}\n", text(j, "retries"),
             text(j, "concurrent"), text(j, "async"), text(j, "disabled"));
  fmt::print("owner        {}\n", text(j, "owner"));
  fmt::print("successes    {} (last {})\n", text(j, "successCount"),
             timeText(j, "lastSuccess", now));
  fmt::print("errors       {} (last {}; {} since the last success)\n", text(j, "errorCount"),
             timeText(j, "lastError", now), text(j, "errorsSinceLastSuccess"));
  return 0;
}

int jobHistory(const JobsOptions& o) {
  auto stat = fetchJson(o, std::string(kApi) + "/job/stat/" + o.name);
  if (!stat) return failWith(stat.error().message());
  if (o.json) {
    fmt::print("{}\n", json::stringify((*stat)["taskStatHistory"]));
    return 0;
  }
  double now = nowSeconds();
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : (*stat)["taskStatHistory"].asArray()) {
    auto started = isoSeconds(text(run, "startedAt"));
    auto ended = isoSeconds(text(run, "endedAt"));
    rows.push_back({text(run, "taskId"), text(run, "state"), text(run, "trigger"),
                    timeText(run, "scheduledTime", now), started ? age(*started, now) : "-",
                    started && ended ? humanDuration(*ended - *started) : "-",
                    text(run, "hostname"), text(run, "message")});
  }
  printTable({"TASK", "STATE", "TRIGGER", "SCHEDULED", "STARTED", "TOOK", "HOST", "MESSAGE"}, rows);
  return 0;
}

int jobAdd(const JobsOptions& o) {
  std::stringstream body;
  if (o.file == "-") {
    body << std::cin.rdbuf();
  } else {
    std::ifstream in(o.file);
    if (!in) return failWith(fmt::format("cannot read '{}'", o.file));
    body << in.rdbuf();
  }
  auto job = json::parse(body.str());
  if (!job || !job->isObject()) {
    return failWith(fmt::format("'{}' is not a JSON object (a Chronos job)", o.file));
  }
  // Chronos takes a dependent job (one with parents) at /dependency, the others at /iso8601.
  const json::Value* parents = job->find("parents");
  bool dependent = parents != nullptr && parents->isArray() && !parents->asArray().empty();
  auto answer =
      request(o, "POST", std::string(kApi) + (dependent ? "/dependency" : "/iso8601"), body.str());
  if (!answer) return failWith(answer.error().message());
  fmt::print("Added job {}\n", text(*job, "name"));
  return 0;
}

int jobRun(const JobsOptions& o) {
  std::string path = std::string(kApi) + "/job/" + o.name;
  if (!o.arguments.empty()) {
    path += "?arguments=" + http::urlEncode(o.arguments);
  }
  auto answer = request(o, "PUT", path);
  if (!answer) return failWith(answer.error().message());
  fmt::print("Started a run of job {}\n", o.name);
  return 0;
}

int jobRemove(const JobsOptions& o) {
  auto answer = request(o, "DELETE", std::string(kApi) + "/job/" + o.name);
  if (!answer) return failWith(answer.error().message());
  fmt::print("Removed job {}\n", o.name);
  return 0;
}

}  // namespace

void addJobCommands(CLI::App& app) {
  auto o = std::make_shared<JobsOptions>();
  auto* group = app.add_subcommand("job", "Scheduled and dependent jobs on plateau-jobs");
  group->require_subcommand(1);
  auto command = [&, o](const char* name, const char* what, int (*fn)(const JobsOptions&)) {
    auto* cmd = group->add_subcommand(name, what);
    cmd->add_option("--jobs", o->jobs, "plateau-jobs address (host:port)")
        ->envname("PLATEAU_JOBS")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Print plateau-jobs' JSON");
    cmd->callback([o, fn] { std::exit(fn(*o)); });
    return cmd;
  };
  command("list", "List jobs with their schedule, state and counts", jobList);
  command("show", "Show a job's definition and counters", jobShow)
      ->add_option("name", o->name, "Job name")
      ->required();
  command("history", "A job's recent runs", jobHistory)
      ->add_option("name", o->name, "Job name")
      ->required();
  command("add", "Add (or replace) a job from Chronos's job JSON", jobAdd)
      ->add_option("file", o->file, "Job JSON ('-': standard input)")
      ->required();
  auto* run = command("run", "Run a job now", jobRun);
  run->add_option("name", o->name, "Job name")->required();
  run->add_option("--arguments", o->arguments, "Arguments for this run, space-separated");
  command("remove", "Remove a job and kill its tasks", jobRemove)
      ->add_option("name", o->name, "Job name")
      ->required();
}

}  // namespace plateau::cli
