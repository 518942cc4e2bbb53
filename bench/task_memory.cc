// What the master's TaskBook holds per running task, counted in heap bytes (glibc's mallinfo2).
//
// Builds N tasks as the master does for one plateau-sim task (its Task record from the TaskInfo
// of a simulated framework: ids, name, user, cpus/mem/disk allocated to a role, the duration
// label), adds them to a TaskBook spread over agents and frameworks, then applies the two
// updates a simulated agent sends (TASK_STARTING and TASK_RUNNING, each with its uuid, agent
// and executor ids), and prints the heap bytes per task after each step as JSON, with the time
// Task::copyInfo() takes per task (what a render pays to have a live task whole).
//
//   build/bin/plateau-task-memory-bench [--tasks=N]

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/resources_proto.h"
#include "master/task_book.h"

namespace {

namespace v1 = mesos::v1;
using plateau::master::Task;
using plateau::master::TaskBook;

size_t heapBytes() { return mallinfo2().uordblks; }

// Ids shaped as the master makes them: its id (a UUID), then a sequence number.
const std::string kMasterId = "8c1f0b7e-2d4a-4f6b-9e3c-5a7d1b2c3e4f";

std::string agentId(int i) { return fmt::format("{}-S{}", kMasterId, i); }
std::string frameworkId(int i) { return fmt::format("{}-{:04}", kMasterId, i); }

// The record Master::addTask builds for a plateau-sim task.
Task simTask(int i, int agents, int frameworks) {
  const std::string task_id = fmt::format("long-{}-{}", i % frameworks, i);
  Task record;
  v1::Task& info = record.info;
  info.set_name(task_id);
  info.mutable_task_id()->set_value(task_id);
  info.mutable_framework_id()->set_value(frameworkId(i % frameworks));
  info.mutable_agent_id()->set_value(agentId(i % agents));
  info.set_state(v1::TASK_STAGING);
  const plateau::Resources resources = *plateau::Resources::parse("cpus:0.1;mem:32");
  plateau::resourcesToProto(resources, info.mutable_resources(), "*",
                            plateau::ResourceFormat::kPost);
  v1::Label* label = info.mutable_labels()->add_labels();
  label->set_key("plateau-sim/duration_ms");
  label->set_value("3600000");
  info.set_user("root");
  record.role.assign(1, '*');
  return record;
}

v1::TaskStatus simStatus(const Task& task, v1::TaskState state, int n) {
  v1::TaskStatus status;
  *status.mutable_task_id() = task.info.task_id();
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status.mutable_executor_id()->set_value(task.info.task_id().value());
  std::string uuid(16, '\0');
  std::memcpy(uuid.data(), &n, sizeof n);
  status.set_uuid(uuid);
  status.set_timestamp(1.7e9 + n);
  *status.mutable_agent_id() = task.info.agent_id();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 100000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--tasks=", 8) == 0) {
      tasks = std::atoi(argv[i] + 8);
    } else {
      std::fprintf(stderr, "usage: %s [--tasks=N]\n", argv[0]);
      return 2;
    }
  }
  const int agents = std::max(1, tasks / 10);
  const int frameworks = 10;
  // The infos alone, before any status: what the proto of a task costs.
  const size_t start = heapBytes();
  std::vector<v1::Task> infos;
  infos.reserve(tasks);
  for (int i = 0; i < tasks; ++i) {
    infos.push_back(simTask(i, agents, frameworks).info);
  }
  const size_t infos_bytes = heapBytes() - start - tasks * sizeof(v1::Task);
  infos.clear();
  infos.shrink_to_fit();

  const size_t before = heapBytes();
  TaskBook book(1000);
  std::vector<Task*> added;
  added.reserve(tasks);
  for (int i = 0; i < tasks; ++i) {
    Task task = simTask(i, agents, frameworks);
    const std::string framework_id = task.info.framework_id().value();
    added.push_back(&book.add(framework_id, std::move(task)));
  }
  const size_t index_bytes = tasks * sizeof(Task*);
  const size_t staging = heapBytes() - before - index_bytes;
  int n = 0;
  for (Task* task : added) {
    book.update(*task, simStatus(*task, v1::TASK_STARTING, n++), v1::TASK_STARTING);
  }
  const size_t starting = heapBytes() - before - index_bytes;
  for (Task* task : added) {
    book.update(*task, simStatus(*task, v1::TASK_RUNNING, n++), v1::TASK_RUNNING);
  }
  const size_t running = heapBytes() - before - index_bytes;
  // What a render pays per task to have it whole (/master/state, GET_TASKS), one message reused.
  v1::Task whole;
  const auto render_start = std::chrono::steady_clock::now();
  for (const Task* task : added) {
    task->copyInfo(&whole);
  }
  const std::chrono::duration<double, std::nano> render =
      std::chrono::steady_clock::now() - render_start;
  std::printf(
      "{\"tasks\": %d, \"agents\": %d, \"frameworks\": %d, \"info_proto_bytes\": %.0f, "
      "\"book_bytes_per_task_staging\": %.0f, \"after_starting\": %.0f, "
      "\"after_running\": %.0f, \"sizeof_task\": %zu, \"copy_info_ns_per_task\": %.0f}\n",
      tasks, agents, frameworks, double(infos_bytes) / tasks, double(staging) / tasks,
      double(starting) / tasks, double(running) / tasks, sizeof(Task), render.count() / tasks);
  return book.size() == static_cast<size_t>(tasks) ? 0 : 1;
}
