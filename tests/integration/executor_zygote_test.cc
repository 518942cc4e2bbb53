// The executor zygote (agent/containerizer/zygote.h) end to end: the built-in executors are
// cloned from one pre-started plateau-executor, stay the agent's children, and run their tasks
// as before; a zygote that dies is replaced; --no-executor_zygote spawns every executor.

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "api_call.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

struct Stat {
  pid_t ppid = 0;
  pid_t session = 0;
};

// The parent and session of `pid`, from /proc (zeros when it is gone).
Stat statOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  Stat st;
  if (close == std::string::npos) {
    return st;
  }
  std::istringstream rest(line.substr(close + 2));
  std::string state;
  pid_t pgrp = 0;
  rest >> state >> st.ppid >> pgrp >> st.session;
  return st;
}

// The zygotes among `parent`'s children: a command executor's command line, but in the
// agent's session (each executor leads its own).
std::set<pid_t> zygotesOf(pid_t parent) {
  std::set<pid_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    pid_t pid = std::stoi(name);
    Stat st = statOf(pid);
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline(std::istreambuf_iterator<char>(in), {});
    if (st.ppid == parent && st.session != pid &&
        cmdline == std::string("plateau-executor\0", 17)) {
      out.insert(pid);
    }
  }
  return out;
}

// Runs a task that writes the pid of its executor's parent into `out`; its final state.
v1::TaskState runTask(Scheduler& s, const std::string& id, const std::string& out) {
  auto offers = s.next(scheduler::Event::OFFERS);
  if (!offers || offers->offers().offers_size() == 0) {
    return v1::TASK_LOST;
  }
  const v1::Offer& offer = offers->offers().offers(0);
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  *task.mutable_resources() = resources("cpus:0.1;mem:16");
  task.mutable_command()->set_value("cut -d' ' -f4 /proc/$PPID/stat > " + out);
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = task;
  EXPECT_EQ(s.call(accept), 202) << s.lastResponse().body;
  std::vector<v1::TaskState> states;
  for (int i = 0; i < 10; ++i) {
    auto update = s.nextUpdate(std::chrono::seconds(30));
    if (!update) {
      break;
    }
    states.push_back(update->state());
    if (update->state() != v1::TASK_STARTING && update->state() != v1::TASK_RUNNING) {
      EXPECT_NE(std::find(states.begin(), states.end(), v1::TASK_RUNNING), states.end());
      return update->state();
    }
  }
  return v1::TASK_LOST;
}

pid_t readPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

v1::FrameworkInfo framework() {
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("zygote");
  return info;
}

TEST(ExecutorZygoteTest, ExecutorsAreClonedAsTheAgentsChildrenAndALostZygoteIsReplaced) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  pid_t agent = cluster.agent(0).pid();
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework()));
  ASSERT_EQ(runTask(s, "first", cluster.dir() + "/first"), v1::TASK_FINISHED);
  EXPECT_EQ(readPid(cluster.dir() + "/first"), agent) << "the executor is the agent's child";
  auto zygotes = zygotesOf(agent);
  ASSERT_EQ(zygotes.size(), 1u);

  ::kill(*zygotes.begin(), SIGKILL);
  ASSERT_TRUE(eventually([&] { return zygotesOf(agent).empty(); }));
  ASSERT_EQ(runTask(s, "second", cluster.dir() + "/second"), v1::TASK_FINISHED);
  EXPECT_EQ(readPid(cluster.dir() + "/second"), agent);
  auto replaced = zygotesOf(agent);
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_NE(*replaced.begin(), *zygotes.begin());
}

TEST(ExecutorZygoteTest, WithoutTheZygoteEveryExecutorIsSpawned) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--no-executor_zygote"});
  pid_t agent = cluster.agent(0).pid();
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  ASSERT_EQ(runTask(s, "spawned", cluster.dir() + "/spawned"), v1::TASK_FINISHED);
  EXPECT_EQ(readPid(cluster.dir() + "/spawned"), agent);
  EXPECT_TRUE(zygotesOf(agent).empty());
}

}  // namespace
}  // namespace plateau::testing
