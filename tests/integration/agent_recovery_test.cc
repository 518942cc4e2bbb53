// An agent killed with SIGKILL and restarted finds the executors and tasks of checkpointing
// frameworks again (issue 6, item 1); tasks of other frameworks do not survive it.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

v1::FrameworkInfo frameworkInfo(const std::string& name, bool checkpoint) {
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name(name);
  info.set_checkpoint(checkpoint);
  info.set_failover_timeout(3600);
  return info;
}

// Launches one command task per id on a single offer.
void launchAll(Scheduler& s, const v1::Offer& offer, const std::vector<std::string>& ids,
               const std::string& command, const std::string& res) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& id : ids) {
    auto* task = op->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offer.agent_id();
    *task->mutable_resources() = resources(res);
    task->mutable_command()->set_value(command);
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

// Collects updates until every task in `ids` reached `state`. Returns those that did.
std::set<std::string> awaitState(Scheduler& s, const std::vector<std::string>& ids,
                                 v1::TaskState state, std::chrono::milliseconds timeout = 60s) {
  std::set<std::string> want(ids.begin(), ids.end());
  std::set<std::string> reached;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (reached.size() < want.size() && std::chrono::steady_clock::now() < deadline) {
    auto update = s.nextUpdate(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!update) {
      break;
    }
    if (update->state() == state && want.contains(update->task_id().value())) {
      reached.insert(update->task_id().value());
    }
  }
  return reached;
}

// Subscribes a checkpointing framework and launches one command task per id (sleeping) on its
// first offer; true once all of them run.
bool runCheckpointedTasks(Scheduler& s, const std::vector<std::string>& ids,
                          const std::string& res) {
  if (!s.subscribe(frameworkInfo("checkpointing", true))) {
    return false;
  }
  auto offers = s.next(scheduler::Event::OFFERS);
  if (!offers) {
    return false;
  }
  launchAll(s, offers->offers().offers(0), ids, "sleep 1000", res);
  return awaitState(s, ids, v1::TASK_RUNNING).size() == ids.size();
}

size_t countOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    n++;
  }
  return n;
}

// Tasks the agent's /state lists in `state`.
size_t agentTasksIn(Cluster& cluster, size_t agent, const std::string& state) {
  auto r = http::fetchSync(cluster.agentEndpoint(agent), {.method = "GET", .path = "/state"}, 5s);
  if (!r || r->status != 200) {
    return 0;
  }
  auto parsed = json::parse(r->body);
  if (!parsed) {
    return 0;
  }
  size_t n = 0;
  for (const auto& fw : (*parsed)["frameworks"].asArray()) {
    for (const auto& ex : fw["executors"].asArray()) {
      for (const auto& task : ex["tasks"].asArray()) {
        n += task["state"].asString() == state ? 1 : 0;
      }
    }
  }
  return n;
}

// The states of the statuses the agent's /state shows for task `id`, wherever it is listed.
std::vector<std::string> agentTaskStatuses(Cluster& cluster, const std::string& id) {
  auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  if (!r || r->status != 200) {
    return {};
  }
  auto parsed = json::parse(r->body);
  if (!parsed) {
    return {};
  }
  for (const char* frameworks : {"frameworks", "completed_frameworks"}) {
    for (const auto& fw : (*parsed)[frameworks].asArray()) {
      for (const char* executors : {"executors", "completed_executors"}) {
        for (const auto& ex : fw[executors].asArray()) {
          for (const char* list : {"tasks", "completed_tasks"}) {
            for (const auto& task : ex[list].asArray()) {
              if (task["id"].asString() != id) {
                continue;
              }
              std::vector<std::string> states;
              for (const auto& status : task["statuses"].asArray()) {
                states.push_back(status["state"].asString());
              }
              return states;
            }
          }
        }
      }
    }
  }
  return {};
}

TEST(AgentRecovery, FiftyCheckpointedTasksSurviveAnAgentKill9) {
  Cluster cluster;
  cluster.addAgent("cpus:8;mem:4096");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    ids.push_back(fmt::format("task-{}", i));
  }
  ASSERT_TRUE(runCheckpointedTasks(s, ids, "cpus:0.1;mem:16"));

  cluster.restartAgent(0, SIGKILL);

  // Every executor subscribes again, and the agent is back with the master under its old id.
  ASSERT_TRUE(eventually(
      [&] {
        std::string log = cluster.agent(0).log();
        return countOf(log, "executor_subscribed") == 50 && countOf(log, "agent_registered") >= 1;
      },
      30s))
      << cluster.agent(0).log();
  EXPECT_EQ(countOf(cluster.agent(0).log(), "reregistered=true"), 1u);
  EXPECT_EQ(agentTasksIn(cluster, 0, "TASK_RUNNING"), 50u);
  EXPECT_EQ(cluster.registeredAgents(), 1u);

  scheduler::Call reconcile;
  reconcile.set_type(scheduler::Call::RECONCILE);
  reconcile.mutable_reconcile();
  ASSERT_EQ(s.call(reconcile), 202);
  EXPECT_EQ(awaitState(s, ids, v1::TASK_RUNNING, 20s).size(), 50u);

  for (const auto& id : ids) {
    scheduler::Call kill;
    kill.set_type(scheduler::Call::KILL);
    kill.mutable_kill()->mutable_task_id()->set_value(id);
    ASSERT_EQ(s.call(kill), 202);
  }
  EXPECT_EQ(awaitState(s, ids, v1::TASK_KILLED).size(), 50u);
  EXPECT_TRUE(eventually([&] { return agentTasksIn(cluster, 0, "TASK_RUNNING") == 0; }));
}

TEST(AgentRecovery, TaskThatFinishedWhileTheAgentWasDownIsReported) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(frameworkInfo("checkpointing", true)));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  fs::path go = fs::path(cluster.dir()) / "go";
  fs::path done = fs::path(cluster.dir()) / "done";
  std::string command =
      fmt::format("while [ ! -e {} ]; do sleep 0.05; done; touch {}", go.string(), done.string());
  launchAll(s, offers->offers().offers(0), {"finisher"}, command, "cpus:0.5;mem:32");
  ASSERT_EQ(awaitState(s, {"finisher"}, v1::TASK_RUNNING).size(), 1u);

  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  std::ofstream(go.string()).put('\n');
  ASSERT_TRUE(eventually([&] { return fs::exists(done); }));

  cluster.restartAgent(0, SIGKILL);
  auto finished = awaitState(s, {"finisher"}, v1::TASK_FINISHED, 30s);
  EXPECT_EQ(finished.size(), 1u) << cluster.agent(0).log();
  // Acknowledged, the executor exits and the agent forgets the task and its checkpoint.
  EXPECT_TRUE(eventually([&] { return agentTasksIn(cluster, 0, "TASK_FINISHED") == 0; }));
  // Its statuses came back from the checkpoints, the one sent after the restart last.
  const std::vector<std::string> lived = {"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"};
  EXPECT_TRUE(eventually([&] { return agentTaskStatuses(cluster, "finisher") == lived; }))
      << fmt::format("{}", fmt::join(agentTaskStatuses(cluster, "finisher"), ","));
}

// The pid of the only executor the agent's /state lists, or 0.
pid_t executorPid(Cluster& cluster) {
  auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  if (!r) {
    return 0;
  }
  auto parsed = json::parse(r->body);
  if (!parsed || (*parsed)["frameworks"].asArray().empty()) {
    return 0;
  }
  return static_cast<pid_t>((*parsed)["frameworks"][0]["executors"][0]["pid"].asDouble());
}

TEST(AgentRecovery, ExecutorsThatDieBeforeOrAfterTheRestartFailTheirTasks) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("checkpointing", true)));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchAll(s, offers->offers().offers(0), {"before", "after"}, "sleep 1000", "cpus:0.5;mem:32");
  ASSERT_EQ(awaitState(s, {"before", "after"}, v1::TASK_RUNNING).size(), 2u);
  auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(r);
  auto parsed = json::parse(r->body);
  ASSERT_TRUE(parsed);
  std::map<std::string, pid_t> pids;
  for (const auto& ex : (*parsed)["frameworks"][0]["executors"].asArray()) {
    pids[ex["id"].asString()] = static_cast<pid_t>(ex["pid"].asDouble());
  }
  ASSERT_EQ(pids.size(), 2u);

  cluster.agent(0).kill(SIGKILL);
  cluster.agent(0).wait();
  ::kill(pids["before"], SIGKILL);
  cluster.restartAgent(0, SIGKILL);
  ASSERT_TRUE(eventually([&] {
    return countOf(cluster.agent(0).log(), "executor_subscribed") == 1;
  })) << cluster.agent(0).log();
  auto failed = s.nextUpdate();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->task_id().value(), "before");
  EXPECT_EQ(failed->state(), v1::TASK_FAILED);
  EXPECT_EQ(failed->reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);

  // No longer the agent's child, the recovered executor's death is still noticed.
  ::kill(pids["after"], SIGKILL);
  failed = s.nextUpdate();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->task_id().value(), "after");
  EXPECT_EQ(failed->state(), v1::TASK_FAILED);
  EXPECT_EQ(failed->reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_TRUE(eventually([&] { return executorPid(cluster) == 0; }));
}

TEST(AgentRecovery, RecoverCleanupKillsCheckpointedExecutors) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("checkpointing", true)));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchAll(s, offers->offers().offers(0), {"doomed"}, "sleep 1000", "cpus:0.5;mem:32");
  ASSERT_EQ(awaitState(s, {"doomed"}, v1::TASK_RUNNING).size(), 1u);
  auto state = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(state);
  auto parsed = json::parse(state->body);
  ASSERT_TRUE(parsed);
  auto pid = static_cast<pid_t>((*parsed)["frameworks"][0]["executors"][0]["pid"].asDouble());
  ASSERT_GT(pid, 0);

  cluster.restartAgent(0, SIGKILL, {"--recover=cleanup"});
  // Gone (a zombie no longer has a working directory).
  EXPECT_TRUE(eventually([&] {
    std::error_code ec;
    fs::path cwd = fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec);
    return static_cast<bool>(ec) || cwd.empty();
  }));
  EXPECT_FALSE(fs::exists(fs::path(cluster.dir()) / "agent0" / "meta" / "frameworks"));
}

TEST(AgentRecovery, TasksOfFrameworksThatDoNotCheckpointAreLostWithTheAgent) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(frameworkInfo("ephemeral", false)));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchAll(s, offers->offers().offers(0), {"ephemeral-1"}, "sleep 1000", "cpus:0.5;mem:32");
  ASSERT_EQ(awaitState(s, {"ephemeral-1"}, v1::TASK_RUNNING).size(), 1u);

  cluster.restartAgent(0, SIGKILL);
  auto lost = s.nextUpdate();
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->task_id().value(), "ephemeral-1");
  EXPECT_EQ(lost->state(), v1::TASK_LOST);
  EXPECT_EQ(lost->reason(), v1::TaskStatus::REASON_AGENT_DISCONNECTED);
  ASSERT_TRUE(eventually([&] { return countOf(cluster.agent(0).log(), "agent_registered") == 1; }));
  EXPECT_EQ(countOf(cluster.agent(0).log(), "executor_recovered"), 0u);
  EXPECT_EQ(agentTasksIn(cluster, 0, "TASK_RUNNING"), 0u);
  EXPECT_EQ(cluster.registeredAgents(), 1u);
}

// An agent stopped with SIGTERM while executors were subscribed died of SIGSEGV instead of
// exiting: destroying the agent released the executors' event streams, whose end called back
// into the agent's executor channels while they were being destroyed (the close-callback
// pattern the soak found in the master's books).
TEST(AgentRecovery, AgentStoppedWithExecutorsSubscribedExitsCleanly) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  const std::vector<std::string> ids = {"e1", "e2", "e3", "e4"};
  ASSERT_TRUE(runCheckpointedTasks(s, ids, "cpus:0.5;mem:32"));
  ASSERT_EQ(countOf(cluster.agent(0).log(), "executor_subscribed"), ids.size());

  cluster.agent(0).kill(SIGTERM);
  int status = cluster.agent(0).wait();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n"
                                 << cluster.agent(0).log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << cluster.agent(0).log();
}

}  // namespace
}  // namespace plateau::testing
