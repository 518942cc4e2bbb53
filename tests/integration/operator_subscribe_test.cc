// The operator API's SUBSCRIBE snapshot is rendered in a forked child while the master goes on
// changing (operator_feed.h): what changes between the fork and the snapshot's arrival is held
// and sent after it. Under a steady stream of task changes (plateau-sim against a real master),
// subscribers come at different moments; each must hear every task's story exactly once: no
// task added that its snapshot already had, no change of a task it never heard of, and in the
// end the same state for every task as GET_TASKS.

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "common/recordio.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace operator_api = mesos::v1::master;
using Tasks = std::map<std::string, v1::TaskState>;  // framework id/task id -> state

std::string keyOf(const v1::FrameworkID& framework, const v1::TaskID& task) {
  return framework.value() + "/" + task.value();
}

// What one subscriber learnt: the tasks and their states, and what its stream got wrong.
struct Heard {
  Tasks tasks;
  size_t in_snapshot = 0;
  size_t added = 0;
  size_t added_twice = 0;        // TASK_ADDED for a task it knew already
  size_t updates_unknown = 0;    // TASK_UPDATED for a task it never heard of
  bool subscribed_first = true;  // SUBSCRIBED was the first event
  std::string error;
};

void apply(const operator_api::Event& event, Heard& heard, bool first) {
  switch (event.type()) {
    case operator_api::Event::SUBSCRIBED: {
      heard.subscribed_first = heard.subscribed_first && first;
      const auto& tasks = event.subscribed().get_state().get_tasks();
      for (const auto* list : {&tasks.tasks(), &tasks.completed_tasks()}) {
        for (const auto& task : *list) {
          heard.tasks[keyOf(task.framework_id(), task.task_id())] = task.state();
          heard.in_snapshot++;
        }
      }
      break;
    }
    case operator_api::Event::TASK_ADDED: {
      heard.subscribed_first = heard.subscribed_first && !first;
      const auto& task = event.task_added().task();
      heard.added++;
      auto [it, fresh] =
          heard.tasks.emplace(keyOf(task.framework_id(), task.task_id()), task.state());
      heard.added_twice += fresh ? 0 : 1;
      break;
    }
    case operator_api::Event::TASK_UPDATED: {
      heard.subscribed_first = heard.subscribed_first && !first;
      const auto& updated = event.task_updated();
      auto it = heard.tasks.find(keyOf(updated.framework_id(), updated.status().task_id()));
      if (it == heard.tasks.end()) {
        heard.updates_unknown++;
      } else {
        it->second = updated.state();
      }
      break;
    }
    default:
      heard.subscribed_first = heard.subscribed_first && !first;
  }
}

Tasks tasksNow(const http::Endpoint& master) {
  operator_api::Call call;
  call.set_type(operator_api::Call::GET_TASKS);
  auto answer = callApi<operator_api::Response>(master, call, http::ContentType::kProtobuf);
  Tasks tasks;
  const auto& got = answer.response.get_tasks();
  for (const auto* list : {&got.tasks(), &got.completed_tasks()}) {
    for (const auto& task : *list) {
      tasks[keyOf(task.framework_id(), task.task_id())] = task.state();
    }
  }
  return tasks;
}

// One subscriber reading on its own thread until its tasks equal `expected` (once set) or the
// deadline passes.
class Subscriber {
 public:
  Subscriber(const http::Endpoint& master, std::atomic<bool>& done, const Tasks& expected)
      : thread_([this, master, &done, &expected] { run(master, done, expected); }) {}
  ~Subscriber() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // Waits for its thread to end and returns what it heard.
  Heard result() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return heard_;
  }

 private:
  void run(const http::Endpoint& master, std::atomic<bool>& done, const Tasks& expected) {
    operator_api::Call call;
    call.set_type(operator_api::Call::SUBSCRIBE);
    auto stream =
        http::BlockingStream::open(master,
                                   {.method = "POST",
                                    .path = "/api/v1",
                                    .headers = {{"content-type", http::kProtobufMediaType},
                                                {"accept", http::kProtobufMediaType}},
                                    .body = call.SerializeAsString()},
                                   10s);
    if (!stream || (*stream)->head().status != 200) {
      heard_.error = "no subscription";
      return;
    }
    recordio::Decoder decoder;
    bool first = true;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    while (!deadline || std::chrono::steady_clock::now() < *deadline) {
      auto data = (*stream)->read(200ms);
      for (const auto& record : data ? decoder.decode(*data).value_or(std::vector<std::string>{})
                                     : std::vector<std::string>{}) {
        operator_api::Event event;
        if (!event.ParseFromString(record)) {
          heard_.error = "undecodable event";
          return;
        }
        apply(event, heard_, first);
        first = false;
      }
      if (done.load()) {
        deadline = deadline.value_or(std::chrono::steady_clock::now() + 15s);
        if (heard_.tasks == expected) {
          return;
        }
      }
    }
  }

  Heard heard_;
  std::thread thread_;
};

TEST(OperatorSubscribe, SnapshotAndEventsTellEveryTaskOnceWhileTheMasterChanges) {
  Cluster cluster;
  const std::string workload = cluster.dir() + "/workload.json";
  std::ofstream(workload) << R"({
    "seed": 5, "duration_seconds": 4, "drain_seconds": 30,
    "agents": [{"count": 40, "cpus": 4, "mem": 4096}],
    "frameworks": [{"count": 2, "name": "churn", "task": {"cpus": 0.25, "mem": 32},
                    "duration_seconds": {"min": 0.05, "max": 0.5}, "arrival_rate": 80,
                    "max_tasks": 300}]})";
  Process sim("sim",
              {PLATEAU_BIN_DIR "/plateau-sim", "--workload=" + workload, "--logging_level=error",
               fmt::format("--master=127.0.0.1:{}", cluster.master().port)},
              cluster.dir() + "/sim.out");

  std::atomic<bool> done{false};
  Tasks expected;
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  // Subscribers come every 300 ms while tasks start and end.
  for (int i = 0; i < 12 && sim.running(); ++i) {
    subscribers.push_back(std::make_unique<Subscriber>(cluster.master(), done, expected));
    std::this_thread::sleep_for(300ms);  // spacing the subscribers, not waiting for a condition
  }
  ASSERT_TRUE(eventually([&] { return !sim.running(); }, 120s)) << sim.log();
  ASSERT_EQ(sim.wait(), 0) << sim.log();
  expected = tasksNow(cluster.master());
  done = true;
  ASSERT_EQ(expected.size(), 600u);

  size_t mid_run = 0;
  for (size_t i = 0; i < subscribers.size(); ++i) {
    Heard heard = subscribers[i]->result();
    SCOPED_TRACE(fmt::format("subscriber {}: {} tasks in its snapshot, {} added after", i,
                             heard.in_snapshot, heard.added));
    EXPECT_EQ(heard.error, "");
    EXPECT_TRUE(heard.subscribed_first);
    EXPECT_EQ(heard.added_twice, 0u);
    EXPECT_EQ(heard.updates_unknown, 0u);
    EXPECT_EQ(heard.tasks, expected);
    mid_run += heard.in_snapshot > 0 && heard.added > 0 ? 1 : 0;
  }
  // Some subscribers came while tasks were being added, so their snapshots raced the changes.
  EXPECT_GT(mid_run, 0u);
}

}  // namespace
}  // namespace plateau::testing
