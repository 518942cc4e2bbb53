// The agent's read-only JSON endpoints: /state and /metrics/snapshot, in Mesos's shapes.

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "agent/agent.h"
#include "common/flags.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources_json.h"
#include "common/resources_proto.h"
#include "common/task_state.h"
#include "common/version.h"

namespace plateau::agent {

namespace {

void writeTask(json::Writer& w, const v1::TaskInfo& task, const std::string& fw_id,
               const std::string& ex_id, const std::string& agent_id, v1::TaskState state) {
  w.beginObject();
  w.key("id");
  w.value(task.task_id().value());
  w.key("name");
  w.value(task.name());
  w.key("framework_id");
  w.value(fw_id);
  w.key("executor_id");
  w.value(ex_id);
  w.key("slave_id");
  w.value(agent_id);
  w.key("state");
  w.value(v1::TaskState_Name(state));
  w.key("resources");
  if (auto r = resourcesFromProto(task.resources()); r) {
    writeResourcesModel(w, *r);
  } else {
    w.beginObject();
    w.endObject();
  }
  w.endObject();
}

void writeCompletedExecutor(json::Writer& w, const CompletedExecutor& done,
                            const std::string& agent_id) {
  w.beginObject();
  w.key("id");
  w.value(done.info.executor_id().value());
  w.key("name");
  w.value(done.info.name());
  w.key("container");
  w.value(done.container_id);
  w.key("directory");
  w.value(done.directory);
  w.key("tasks");
  w.beginArray();
  w.endArray();
  w.key("queued_tasks");
  w.beginArray();
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  for (const auto& [task, state] : done.tasks) {
    writeTask(w, task, done.framework_id, done.info.executor_id().value(), agent_id, state);
  }
  w.endArray();
  w.endObject();
}

constexpr size_t kMaxCompletedExecutors = 1000;  // over all frameworks
constexpr size_t kMaxCompletedFrameworks = 50;   // Mesos's default for the agent

}  // namespace

void Agent::retireExecutor(const Framework& framework, const Executor& executor) {
  CompletedExecutor done;
  done.framework_id = framework.info.id().value();
  done.info = executor.info;
  done.container_id = executor.container_id;
  done.directory = executor.directory;
  done.tasks.assign(executor.completed_tasks.begin(), executor.completed_tasks.end());
  for (const auto& [task_id, task] : executor.launched_tasks) {
    auto state = executor.task_states.find(task_id);
    done.tasks.emplace_back(task,
                            state == executor.task_states.end() ? v1::TASK_LOST : state->second);
  }
  for (const auto& [task_id, task] : executor.queued_tasks) {
    auto state = executor.task_states.find(task_id);
    done.tasks.emplace_back(task,
                            state == executor.task_states.end() ? v1::TASK_LOST : state->second);
  }
  completed_executors_.push_back(std::move(done));
  if (completed_executors_.size() > kMaxCompletedExecutors) {
    completed_executors_.pop_front();
  }
  if (framework.executors.size() == 1) {
    // Its last executor: the framework is completed here unless it launches again.
    std::erase_if(completed_frameworks_, [&](const v1::FrameworkInfo& info) {
      return info.id().value() == framework.info.id().value();
    });
    completed_frameworks_.push_back(framework.info);
    if (completed_frameworks_.size() > kMaxCompletedFrameworks) {
      completed_frameworks_.pop_front();
    }
  }
}

http::Response Agent::flagsJson() const {
  return http::Response::json(flags::flagsJson(flag_values_));
}

http::Response Agent::stateJson() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("version");
  w.value(kVersion);
  w.key("build_user");
  w.value("plateau");
  if (!flags_.log_dir.empty()) {
    w.key("log_dir");
    w.value(flags_.log_dir);
  }
  w.key("id");
  w.value(info_.id().value());
  w.key("pid");
  w.value(fmt::format("slave(1)@{}:{}", flags_.ip, info_.port()));
  w.key("hostname");
  w.value(info_.hostname());
  w.key("start_time");
  w.value(start_time_);
  w.key("master_hostname");
  w.value(master_hostname_);
  w.key("resources");
  writeResourcesModel(w, resources_);
  // As Mesos's agent: what is reserved, by role, and what is not.
  w.key("unreserved_resources");
  writeResourcesModel(w, resources_.unreserved());
  w.key("reserved_resources");
  w.beginObject();
  {
    std::map<std::string, Resources> by_role;
    for (const Resource& r : resources_.reserved()) {
      by_role[r.role] += r;
    }
    for (const auto& [role, reserved] : by_role) {
      w.key(role);
      writeResourcesModel(w, reserved);
    }
  }
  w.endObject();
  w.key("attributes");
  w.beginObject();
  for (const auto& a : info_.attributes()) {
    w.key(a.name());
    if (a.type() == v1::Value::SCALAR) {
      w.value(a.scalar().value());
    } else {
      w.value(a.text().value());
    }
  }
  w.endObject();
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : flag_values_) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [fw_id, fw] : frameworks_) {
    w.beginObject();
    w.key("id");
    w.value(fw_id);
    w.key("name");
    w.value(fw.info.name());
    w.key("user");
    w.value(fw.info.user());
    w.key("hostname");
    w.value(fw.info.hostname());
    w.key("checkpoint");
    w.value(fw.info.checkpoint());
    w.key("role");
    w.value(fw.info.roles_size() > 0 ? fw.info.roles(0) : fw.info.role());
    w.key("executors");
    w.beginArray();
    for (const auto& [ex_id, ex] : fw.executors) {
      w.beginObject();
      w.key("id");
      w.value(ex_id);
      w.key("name");
      w.value(ex.info.name());
      w.key("framework_id");
      w.value(fw_id);
      w.key("container");
      w.value(ex.container_id);
      w.key("directory");
      w.value(ex.directory);
      w.key("pid");
      w.value(static_cast<int64_t>(ex.pid));
      w.key("tasks");
      w.beginArray();
      for (const auto& [task_id, task] : ex.launched_tasks) {
        auto state = ex.task_states.find(task_id);
        writeTask(w, task, fw_id, ex_id, info_.id().value(),
                  state == ex.task_states.end() ? v1::TASK_STAGING : state->second);
      }
      w.endArray();
      w.key("queued_tasks");
      w.beginArray();
      for (const auto& [task_id, task] : ex.queued_tasks) {
        writeTask(w, task, fw_id, ex_id, info_.id().value(), v1::TASK_STAGING);
      }
      w.endArray();
      w.key("completed_tasks");
      w.beginArray();
      for (const auto& [task, state] : ex.completed_tasks) {
        writeTask(w, task, fw_id, ex_id, info_.id().value(), state);
      }
      w.endArray();
      w.endObject();
    }
    w.endArray();
    w.key("completed_executors");
    w.beginArray();
    for (const auto& done : completed_executors_) {
      if (done.framework_id == fw_id) {
        writeCompletedExecutor(w, done, info_.id().value());
      }
    }
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& fw : completed_frameworks_) {
    if (frameworks_.contains(fw.id().value())) {
      continue;  // back with new executors: listed above
    }
    w.beginObject();
    w.key("id");
    w.value(fw.id().value());
    w.key("name");
    w.value(fw.name());
    w.key("user");
    w.value(fw.user());
    w.key("executors");
    w.beginArray();
    w.endArray();
    w.key("completed_executors");
    w.beginArray();
    for (const auto& done : completed_executors_) {
      if (done.framework_id == fw.id().value()) {
        writeCompletedExecutor(w, done, info_.id().value());
      }
    }
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return http::Response::json(std::move(out));
}

std::vector<std::pair<std::string, double>> Agent::metricsSnapshot() const {
  size_t executors = 0, running = 0, staging = 0, starting = 0, killing = 0;
  Resources used;
  for (const auto& [fw_id, fw] : frameworks_) {
    executors += fw.executors.size();
    for (const auto& [ex_id, ex] : fw.executors) {
      staging += ex.queued_tasks.size();
      if (auto r = resourcesFromProto(ex.info.resources()); r) {
        used += *r;
      }
      for (const auto& [task_id, task] : ex.launched_tasks) {
        auto state = ex.task_states.find(task_id);
        if (state != ex.task_states.end() && isTerminal(state->second)) {
          continue;
        }
        if (auto r = resourcesFromProto(task.resources()); r) {
          used += *r;
        }
      }
      for (const auto& [task_id, task] : ex.queued_tasks) {
        if (auto r = resourcesFromProto(task.resources()); r) {
          used += *r;
        }
      }
      for (const auto& [task_id, state] : ex.task_states) {
        running += state == v1::TASK_RUNNING ? 1 : 0;
        starting += state == v1::TASK_STARTING ? 1 : 0;
        killing += state == v1::TASK_KILLING ? 1 : 0;
      }
    }
  }
  double uptime = clock_.wallSeconds() - start_time_;
  std::vector<std::pair<std::string, double>> out = {
      {"slave/registered", registered_ ? 1 : 0},
      {"slave/uptime_secs", uptime},
      {"slave/frameworks_active", static_cast<double>(frameworks_.size())},
      {"slave/executors_registering", 0},
      {"slave/executors_running", static_cast<double>(executors)},
      {"slave/executors_terminating", 0},
      {"slave/executors_terminated", static_cast<double>(executors_terminated_)},
      {"slave/tasks_staging", static_cast<double>(staging)},
      {"slave/tasks_starting", static_cast<double>(starting)},
      {"slave/tasks_running", static_cast<double>(running)},
      {"slave/tasks_killing", static_cast<double>(killing)},
      {"slave/tasks_finished", static_cast<double>(tasks_finished_)},
      {"slave/tasks_failed", static_cast<double>(tasks_failed_)},
      {"slave/tasks_killed", static_cast<double>(tasks_killed_)},
      {"slave/tasks_lost", static_cast<double>(tasks_lost_)},
      {"slave/valid_status_updates", static_cast<double>(valid_status_updates_)},
      {"slave/invalid_status_updates", static_cast<double>(invalid_status_updates_)},
  };
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
    double total = resources_.scalar(name);
    double in_use = used.scalar(name);
    out.emplace_back(fmt::format("slave/{}_total", name), total);
    out.emplace_back(fmt::format("slave/{}_used", name), in_use);
    out.emplace_back(fmt::format("slave/{}_percent", name), total > 0 ? in_use / total : 0.0);
  }
  out.emplace_back("containerizer/fetcher/task_fetches_succeeded",
                   static_cast<double>(fetches_succeeded_));
  out.emplace_back("containerizer/fetcher/task_fetches_failed",
                   static_cast<double>(fetches_failed_));
  out.emplace_back("containerizer/fetcher/cache_size_total_bytes",
                   static_cast<double>(flags_.fetcher_cache_bytes));
  out.emplace_back("containerizer/fetcher/cache_size_used_bytes",
                   static_cast<double>(fetcherCacheUsed()));
  return out;
}

http::Response Agent::metricsJson() const {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  for (const auto& [name, value] : metricsSnapshot()) {
    w.key(name);
    w.value(value);
  }
  w.endObject();
  return http::Response::json(std::move(out));
}

http::Response Agent::prometheusMetrics() const {
  std::string out;
  for (auto [name, value] : metricsSnapshot()) {
    std::replace_if(
        name.begin(), name.end(),
        [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':'; },
        '_');
    out += fmt::format("# TYPE {} gauge\n{} {}\n", name, name, value);
  }
  http::Response r = http::Response::text(200, std::move(out));
  r.headers["content-type"] = "text/plain; version=0.0.4";
  return r;
}

}  // namespace plateau::agent
