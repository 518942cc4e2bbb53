// The task lifecycle end to end (real master, agent, executors): kill policies, health checks,
// checks, task groups under the default executor, and the environment tasks get.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

v1::FrameworkInfo framework(const std::string& name, bool killing_state = false) {
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name(name);
  if (killing_state) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
  }
  return info;
}

v1::TaskInfo commandTask(const v1::Offer& offer, const std::string& id, const std::string& command,
                         const std::string& res = "cpus:0.1;mem:16") {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  *task.mutable_resources() = resources(res);
  task.mutable_command()->set_value(command);
  return task;
}

void launch(Scheduler& s, const v1::Offer& offer, const std::vector<v1::TaskInfo>& tasks) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& task : tasks) {
    *op->mutable_launch()->add_task_infos() = task;
  }
  EXPECT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

void launchGroup(Scheduler& s, const v1::Offer& offer, const v1::ExecutorInfo& executor,
                 const std::vector<v1::TaskInfo>& tasks) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH_GROUP);
  // What the group leaves over may come back in the next allocation round.
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  *op->mutable_launch_group()->mutable_executor() = executor;
  for (const auto& task : tasks) {
    *op->mutable_launch_group()->mutable_task_group()->add_tasks() = task;
  }
  EXPECT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

v1::ExecutorInfo defaultExecutor(const std::string& id) {
  v1::ExecutorInfo executor;
  executor.set_type(v1::ExecutorInfo::DEFAULT);
  executor.mutable_executor_id()->set_value(id);
  *executor.mutable_resources() = resources("cpus:0.1;mem:32");
  return executor;
}

std::optional<v1::Offer> firstOffer(Scheduler& s) {
  auto offers = s.next(scheduler::Event::OFFERS);
  if (!offers || offers->offers().offers_size() == 0) {
    return std::nullopt;
  }
  return offers->offers().offers(0);
}

// Updates until `task_id` reaches a state for which `stop` holds; every update seen is kept.
std::optional<v1::TaskStatus> until(Scheduler& s,
                                    const std::function<bool(const v1::TaskStatus&)>& stop,
                                    std::vector<v1::TaskStatus>* seen = nullptr,
                                    std::chrono::milliseconds timeout = 30s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto update = s.nextUpdate(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!update) {
      return std::nullopt;
    }
    if (seen != nullptr) {
      seen->push_back(*update);
    }
    if (stop(*update)) {
      return update;
    }
  }
  return std::nullopt;
}

bool terminal(const v1::TaskStatus& st) {
  switch (st.state()) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_ERROR:
    case v1::TASK_LOST:
    case v1::TASK_DROPPED:
      return true;
    default:
      return false;
  }
}

// Terminal states of `count` tasks, by task id.
std::map<std::string, v1::TaskStatus> terminals(Scheduler& s, size_t count,
                                                std::chrono::milliseconds timeout = 30s) {
  std::map<std::string, v1::TaskStatus> out;
  until(
      s,
      [&](const v1::TaskStatus& st) {
        if (terminal(st)) out[st.task_id().value()] = st;
        return out.size() == count;
      },
      nullptr, timeout);
  return out;
}

void kill(Scheduler& s, const std::string& task_id, std::optional<int64_t> grace_ns) {
  scheduler::Call call;
  call.set_type(scheduler::Call::KILL);
  call.mutable_kill()->mutable_task_id()->set_value(task_id);
  if (grace_ns) {
    call.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(*grace_ns);
  }
  EXPECT_EQ(s.call(call), 202) << s.lastResponse().body;
}

// --- Kill policies ---------------------------------------------------------------------

TEST(TaskLifecycleTest, KillSendsTermFirstAndTheTaskCanCleanUp) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("term-trap", /*killing_state=*/true)));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  std::string marker = cluster.dir() + "/term-marker";
  std::string ready = cluster.dir() + "/trap-set";
  launch(s, *offer,
         {commandTask(*offer, "trapper",
                      fmt::format("trap 'echo got-term > {}; exit 0' TERM; touch {}; "
                                  "while true; do sleep 0.1; done",
                                  marker, ready))});
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  // Only once the shell has its trap in place does TERM mean anything to it.
  ASSERT_TRUE(eventually([&] { return fs::exists(ready); }));
  kill(s, "trapper", std::nullopt);
  std::vector<v1::TaskStatus> seen;
  auto killed = until(s, terminal, &seen);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED) << killed->DebugString();
  // TASK_KILLING first, for a framework that asked for it.
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[seen.size() - 2].state(), v1::TASK_KILLING);
  std::ifstream in(marker);
  std::string word;
  in >> word;
  EXPECT_EQ(word, "got-term");
}

TEST(TaskLifecycleTest, TaskIgnoringTermIsKilledAfterTheKillCallsGracePeriod) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("term-ignorer")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  std::string ready = cluster.dir() + "/trap-set";
  auto task =
      commandTask(*offer, "stubborn",
                  fmt::format("trap '' TERM; touch {}; while true; do sleep 0.1; done", ready));
  // The task's own policy (20 s) is overridden by the KILL call's (1.5 s).
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(20'000'000'000);
  launch(s, *offer, {task});
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  ASSERT_TRUE(eventually([&] { return fs::exists(ready); }));
  auto start = std::chrono::steady_clock::now();
  kill(s, "stubborn", 1'500'000'000);
  auto killed = until(s, terminal);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
  EXPECT_NE(killed->message().find("signal 9"), std::string::npos) << killed->message();
  EXPECT_GE(took, 1500ms);
  EXPECT_LT(took, 15s);
  RecordProperty(
      "grace_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

TEST(TaskLifecycleTest, TaskKillPolicyAppliesWithoutOverride) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("task-policy")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  std::string ready = cluster.dir() + "/trap-set";
  auto task =
      commandTask(*offer, "stubborn",
                  fmt::format("trap '' TERM; touch {}; while true; do sleep 0.1; done", ready));
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(1'000'000'000);
  launch(s, *offer, {task});
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_TRUE(eventually([&] { return fs::exists(ready); }));
  auto start = std::chrono::steady_clock::now();
  kill(s, "stubborn", std::nullopt);
  auto killed = until(s, terminal);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
  EXPECT_GE(took, 1000ms);
  EXPECT_LT(took, 3000ms);  // not the 3 s default
}

TEST(TaskLifecycleTest, SecondKillWithShorterGraceEscalatesSooner) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("kill-again", /*killing_state=*/true)));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  std::string ready = cluster.dir() + "/trap-set";
  auto task =
      commandTask(*offer, "stubborn",
                  fmt::format("trap '' TERM; touch {}; while true; do sleep 0.1; done", ready));
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(60'000'000'000);
  launch(s, *offer, {task});
  ASSERT_TRUE(until(s, [](const v1::TaskStatus& st) { return st.state() == v1::TASK_RUNNING; }));
  ASSERT_TRUE(eventually([&] { return fs::exists(ready); }));
  auto start = std::chrono::steady_clock::now();
  kill(s, "stubborn", std::nullopt);  // the task's 60 s
  auto killing = until(s, [](const v1::TaskStatus& st) { return st.state() == v1::TASK_KILLING; });
  ASSERT_TRUE(killing);
  kill(s, "stubborn", 200'000'000);  // then 0.2 s
  auto killed = until(s, terminal);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

// --- Health checks and checks ------------------------------------------------------------

TEST(TaskLifecycleTest, CommandHealthCheckFlipsHealthAndKillsTheTask) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("health-flip")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  // Healthy while healthy_flag exists (about 2 s), then unhealthy.
  auto task =
      commandTask(*offer, "flipper", "touch healthy_flag; sleep 2; rm healthy_flag; sleep 1000");
  auto* hc = task.mutable_health_check();
  hc->set_type(v1::HealthCheck::COMMAND);
  hc->mutable_command()->set_value("test -f healthy_flag");
  hc->set_delay_seconds(0);
  hc->set_interval_seconds(0.2);
  hc->set_timeout_seconds(5);
  hc->set_grace_period_seconds(30);
  hc->set_consecutive_failures(2);
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(500'000'000);
  launch(s, *offer, {task});
  std::vector<v1::TaskStatus> seen;
  auto end = until(s, terminal, &seen);
  ASSERT_TRUE(end);
  std::vector<bool> health;
  for (const auto& st : seen) {
    if (st.state() == v1::TASK_RUNNING && st.has_healthy()) {
      EXPECT_EQ(st.reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
      health.push_back(st.healthy());
    }
  }
  ASSERT_GE(health.size(), 2u);
  EXPECT_TRUE(health.front());
  EXPECT_FALSE(health.back());
  // Killed for failing its health check, reported unhealthy (as Mesos's command executor).
  EXPECT_EQ(end->state(), v1::TASK_KILLED) << end->DebugString();
  ASSERT_TRUE(end->has_healthy());
  EXPECT_FALSE(end->healthy());
}

TEST(TaskLifecycleTest, HttpAndTcpHealthChecksSeeAServerTheTaskRuns) {
  if (std::system("python3 -c 'import http.server' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with http.server is not available to serve HTTP from a task";
  }
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("http-tcp-health")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  uint16_t http_port = freePort();
  uint16_t tcp_port = freePort();
  while (tcp_port == http_port) tcp_port = freePort();
  auto serve = [](uint16_t port) {
    return fmt::format("exec python3 -m http.server {} --bind 127.0.0.1", port);
  };
  auto web = commandTask(*offer, "web", serve(http_port));
  auto* hc = web.mutable_health_check();
  hc->set_type(v1::HealthCheck::HTTP);
  hc->mutable_http()->set_port(http_port);
  hc->mutable_http()->set_path("/");
  hc->set_delay_seconds(0);
  hc->set_interval_seconds(0.3);
  hc->set_grace_period_seconds(60);
  auto tcp = commandTask(*offer, "tcp", serve(tcp_port));
  auto* tc = tcp.mutable_health_check();
  tc->set_type(v1::HealthCheck::TCP);
  tc->mutable_tcp()->set_port(tcp_port);
  tc->set_delay_seconds(0);
  tc->set_interval_seconds(0.3);
  tc->set_grace_period_seconds(60);
  // A check (not a health check) of a path the server does not have: its status code
  // reaches the scheduler.
  auto* check = tcp.mutable_check();
  check->set_type(v1::CheckInfo::HTTP);
  check->mutable_http()->set_port(tcp_port);
  check->mutable_http()->set_path("/no-such-file");
  check->set_delay_seconds(0);
  check->set_interval_seconds(0.3);
  launch(s, *offer, {web, tcp});
  std::map<std::string, bool> healthy;
  uint32_t check_code = 0;
  auto done = until(s, [&](const v1::TaskStatus& st) {
    EXPECT_FALSE(terminal(st)) << st.DebugString();
    if (st.has_healthy()) healthy[st.task_id().value()] = st.healthy();
    if (st.reason() == v1::TaskStatus::REASON_TASK_CHECK_STATUS_UPDATED &&
        st.check_status().http().has_status_code()) {
      check_code = st.check_status().http().status_code();
    }
    return healthy["web"] && healthy["tcp"] && check_code != 0;
  });
  ASSERT_TRUE(done) << "both servers should be reported healthy, and the check's status";
  EXPECT_EQ(check_code, 404u);
  kill(s, "web", std::nullopt);
  kill(s, "tcp", std::nullopt);
  auto ends = terminals(s, 2);
  EXPECT_EQ(ends["web"].state(), v1::TASK_KILLED);
  EXPECT_EQ(ends["tcp"].state(), v1::TASK_KILLED);
}

TEST(TaskLifecycleTest, CommandCheckStatusReachesTheScheduler) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("checks")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  // The check exits 1 until the task creates `ready`, then 0.
  auto task = commandTask(*offer, "checked", "sleep 1; touch ready; sleep 1000");
  auto* check = task.mutable_check();
  check->set_type(v1::CheckInfo::COMMAND);
  check->mutable_command()->mutable_command()->set_value("test -f ready");
  check->set_delay_seconds(0);
  check->set_interval_seconds(0.2);
  check->set_timeout_seconds(5);
  launch(s, *offer, {task});
  std::vector<int> codes;
  auto got = until(s, [&](const v1::TaskStatus& st) {
    EXPECT_FALSE(terminal(st)) << st.DebugString();
    if (st.reason() == v1::TaskStatus::REASON_TASK_CHECK_STATUS_UPDATED) {
      EXPECT_EQ(st.state(), v1::TASK_RUNNING);
      EXPECT_EQ(st.check_status().type(), v1::CheckInfo::COMMAND);
      codes.push_back(st.check_status().command().exit_code());
    }
    return !codes.empty() && codes.back() == 0;
  });
  ASSERT_TRUE(got);
  EXPECT_EQ(codes.front(), 1);
  EXPECT_EQ(codes.back(), 0);
  kill(s, "checked", 0);
  auto end = until(s, terminal);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->state(), v1::TASK_KILLED);
}

TEST(TaskLifecycleTest, BadHealthCheckIsTaskError) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("bad-health")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  auto task = commandTask(*offer, "bad", "sleep 10");
  task.mutable_health_check()->set_type(v1::HealthCheck::HTTP);  // no 'http'
  launch(s, *offer, {task});
  auto st = s.nextUpdate();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state(), v1::TASK_ERROR);
  EXPECT_NE(st->message().find("'http'"), std::string::npos) << st->message();
}

// --- Environment -------------------------------------------------------------------------

TEST(TaskLifecycleTest, ArgvEnvironmentAndSandboxAsMesosGivesThem) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("environment")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  std::string out = cluster.dir() + "/env-out";
  auto task = commandTask(*offer, "argv", "");
  auto* command = task.mutable_command();
  command->set_shell(false);
  command->set_value("/bin/sh");
  command->add_arguments("sh");
  command->add_arguments("-c");
  command->add_arguments(
      "echo \"$0|$FOO|$HIDDEN|$MESOS_SANDBOX|$PWD|$MESOS_FRAMEWORK_ID\" > \"$1\"");
  command->add_arguments("myname");
  command->add_arguments(out);
  auto* foo = command->mutable_environment()->add_variables();
  foo->set_name("FOO");
  foo->set_value("bar baz");
  auto* hidden = command->mutable_environment()->add_variables();
  hidden->set_name("HIDDEN");
  hidden->set_type(v1::Environment::Variable::SECRET);
  hidden->mutable_secret()->set_type(v1::Secret::VALUE);
  hidden->mutable_secret()->mutable_value()->set_data("s3cret");
  launch(s, *offer, {task});
  auto end = until(s, terminal);
  ASSERT_TRUE(end);
  ASSERT_EQ(end->state(), v1::TASK_FINISHED) << end->DebugString();
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1) {
    parts.push_back(line.substr(start, bar - start));
  }
  parts.push_back(line.substr(start));
  ASSERT_EQ(parts.size(), 6u) << line;
  EXPECT_EQ(parts[0], "myname");  // arguments reach the program as its argv
  EXPECT_EQ(parts[1], "bar baz");
  EXPECT_EQ(parts[2], "s3cret");
  EXPECT_FALSE(parts[3].empty());
  EXPECT_EQ(fs::weakly_canonical(parts[3]), fs::weakly_canonical(parts[4]))
      << "MESOS_SANDBOX is the working directory";
  EXPECT_NE(parts[3].find("/runs/"), std::string::npos) << parts[3];
  EXPECT_EQ(parts[5], s.frameworkId());
}

TEST(TaskLifecycleTest, ReferenceSecretIsRefused) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("secret-ref")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  auto task = commandTask(*offer, "needs-secret", "true");
  auto* var = task.mutable_command()->mutable_environment()->add_variables();
  var->set_name("TOKEN");
  var->set_type(v1::Environment::Variable::SECRET);
  var->mutable_secret()->set_type(v1::Secret::REFERENCE);
  var->mutable_secret()->mutable_reference()->set_name("/db/token");
  launch(s, *offer, {task});
  auto st = s.nextUpdate();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state(), v1::TASK_ERROR);
  EXPECT_EQ(st->reason(), v1::TaskStatus::REASON_TASK_INVALID);
  EXPECT_NE(st->message().find("TOKEN"), std::string::npos) << st->message();
}

// --- Task groups -------------------------------------------------------------------------

v1::TaskInfo groupTask(const v1::Offer& offer, const std::string& id, const std::string& command) {
  auto task = commandTask(offer, id, command);
  auto* container = task.mutable_container();
  container->set_type(v1::ContainerInfo::MESOS);
  auto* volume = container->add_volumes();
  volume->set_mode(v1::Volume::RW);
  volume->set_container_path("shared");
  volume->mutable_source()->set_type(v1::Volume::Source::SANDBOX_PATH);
  volume->mutable_source()->mutable_sandbox_path()->set_type(
      v1::Volume::Source::SandboxPath::PARENT);
  volume->mutable_source()->mutable_sandbox_path()->set_path("shared");
  return task;
}

TEST(TaskLifecycleTest, TaskGroupSharesTheExecutorSandboxAndFinishes) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("group")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  auto writer = groupTask(*offer, "writer", "echo hello-from-writer > shared/data");
  auto reader = groupTask(
      *offer, "reader",
      "for i in $(seq 200); do grep -q hello-from-writer shared/data 2>/dev/null && exit 0; "
      "sleep 0.05; done; exit 1");
  // Each task's sandbox is <executor sandbox>/tasks/<task id>, its working directory.
  auto env = groupTask(*offer, "sandbox",
                       "case \"$MESOS_SANDBOX\" in */tasks/sandbox) ;; *) exit 1;; esac; "
                       "test \"$(pwd -P)\" = \"$(cd \"$MESOS_SANDBOX\" && pwd -P)\" && "
                       "test -z \"$MESOS_EXECUTOR_ID\"");
  launchGroup(s, *offer, defaultExecutor("group-executor"), {writer, reader, env});
  auto ends = terminals(s, 3);
  ASSERT_EQ(ends.size(), 3u);
  for (const auto& [id, st] : ends) {
    EXPECT_EQ(st.state(), v1::TASK_FINISHED) << id << ": " << st.DebugString();
    EXPECT_EQ(st.executor_id().value(), "group-executor");
  }
  // The master lists the group's tasks under their executor.
  std::string state = cluster.get("/master/state");
  for (const char* id : {"writer", "reader", "sandbox"}) {
    EXPECT_NE(state.find(fmt::format("\"id\":\"{}\"", id)), std::string::npos) << id;
  }
  EXPECT_NE(state.find("group-executor"), std::string::npos);
  // And so does the operator API's GET_TASKS.
  mesos::v1::master::Call get_tasks;
  get_tasks.set_type(mesos::v1::master::Call::GET_TASKS);
  auto answer = http::fetchSync(cluster.master(),
                                {.method = "POST",
                                 .path = "/api/v1",
                                 .headers = {{"content-type", http::kProtobufMediaType},
                                             {"accept", http::kProtobufMediaType}},
                                 .body = get_tasks.SerializeAsString()},
                                5s);
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->status, 200) << answer->body;
  mesos::v1::master::Response response;
  ASSERT_TRUE(response.ParseFromString(answer->body));
  std::map<std::string, std::string> executors;  // task id -> executor id
  const auto& listed = response.get_tasks();
  for (const auto* list : {&listed.tasks(), &listed.completed_tasks()}) {
    for (const auto& t : *list) executors[t.task_id().value()] = t.executor_id().value();
  }
  for (const char* id : {"writer", "reader", "sandbox"}) {
    EXPECT_EQ(executors[id], "group-executor") << id << ": " << response.DebugString();
  }
}

TEST(TaskLifecycleTest, FailingTaskKillsTheRestOfItsGroup) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("group-fail")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  launchGroup(
      s, *offer, defaultExecutor("doomed-executor"),
      {groupTask(*offer, "fails", "sleep 0.5; exit 2"),
       groupTask(*offer, "sleeper-1", "sleep 1000"), groupTask(*offer, "sleeper-2", "sleep 1000")});
  auto ends = terminals(s, 3);
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends["fails"].state(), v1::TASK_FAILED);
  EXPECT_EQ(ends["sleeper-1"].state(), v1::TASK_KILLED);
  EXPECT_EQ(ends["sleeper-2"].state(), v1::TASK_KILLED);
}

TEST(TaskLifecycleTest, InvalidTaskGroupsAreTaskErrors) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("group-invalid")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  // An executor without a type, a duplicate id, a task with another executor, more than the
  // offer holds: each refuses its whole group.
  auto untyped = defaultExecutor("untyped");
  untyped.clear_type();
  auto custom = defaultExecutor("custom");
  custom.set_type(v1::ExecutorInfo::CUSTOM);
  custom.mutable_command()->set_value("true");
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer->id();
  auto add = [&](const v1::ExecutorInfo& executor, std::vector<v1::TaskInfo> tasks) {
    auto* op = accept.mutable_accept()->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH_GROUP);
    *op->mutable_launch_group()->mutable_executor() = executor;
    for (auto& t : tasks) *op->mutable_launch_group()->mutable_task_group()->add_tasks() = t;
  };
  add(untyped, {commandTask(*offer, "c1", "true")});
  add(defaultExecutor("dup"),
      {commandTask(*offer, "d1", "true"), commandTask(*offer, "d1", "true")});
  auto own = commandTask(*offer, "o1", "true");
  *own.mutable_executor() = custom;
  add(defaultExecutor("own"), {own, commandTask(*offer, "o2", "true")});
  add(defaultExecutor("greedy"), {commandTask(*offer, "g1", "true", "cpus:64;mem:16")});
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  std::map<std::string, v1::TaskStatus> errors;
  until(s, [&](const v1::TaskStatus& st) {
    errors[st.task_id().value()] = st;
    return errors.size() == 5;  // c1, d1, o1, o2, g1
  });
  ASSERT_EQ(errors.size(), 5u);
  for (const auto& [id, st] : errors) {
    EXPECT_EQ(st.state(), v1::TASK_ERROR) << id;
    EXPECT_EQ(st.reason(), v1::TaskStatus::REASON_TASK_GROUP_INVALID) << id;
  }
  EXPECT_NE(errors["c1"].message().find("'ExecutorInfo.type' must be set"), std::string::npos)
      << errors["c1"].message();
  EXPECT_NE(errors["d1"].message().find("Duplicate"), std::string::npos);
  EXPECT_NE(errors["o1"].message().find("is different from executor 'own'"), std::string::npos)
      << errors["o1"].message();
  EXPECT_EQ(errors["o1"].message(), errors["o2"].message());
  EXPECT_NE(errors["g1"].message().find("more resources"), std::string::npos);
}

TEST(TaskLifecycleTest, SecondGroupRunsOnTheSameDefaultExecutor) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("two-groups")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  launchGroup(s, *offer, defaultExecutor("shared-executor"),
              {groupTask(*offer, "long", "echo first > shared/mark; sleep 1000")});
  ASSERT_TRUE(until(s, [](const v1::TaskStatus& st) { return st.state() == v1::TASK_RUNNING; }));
  // The rest of the agent comes back in a later offer; the second group joins the executor
  // (same ExecutorInfo, so no new executor resources) and sees the first group's files.
  auto second = firstOffer(s);
  ASSERT_TRUE(second);
  launchGroup(s, *second, defaultExecutor("shared-executor"),
              {groupTask(*second, "short", "grep -q first shared/mark")});
  auto end = until(
      s, [](const v1::TaskStatus& st) { return st.task_id().value() == "short" && terminal(st); });
  ASSERT_TRUE(end);
  EXPECT_EQ(end->state(), v1::TASK_FINISHED) << end->DebugString();
  // A task that finished leaves the others running.
  kill(s, "long", 0);
  auto killed = until(s, terminal);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->task_id().value(), "long");
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
}

// The default executor's container holds the executor and its groups' tasks: it grows as a
// group joins and gives back a task's cpus when the task ends; its memory limit is never lowered
// (as Mesos: that could kill what already runs).
TEST(TaskLifecycleTest, DefaultExecutorContainerFollowsItsTasks) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("sized-groups")));
  auto limits = [&] {
    mesos::v1::agent::Call call;
    call.set_type(mesos::v1::agent::Call::GET_CONTAINERS);
    auto answer = callApi<mesos::v1::agent::Response>(cluster.agentEndpoint(0), call,
                                                      http::ContentType::kProtobuf);
    const auto& containers = answer.response.get_containers().containers();
    if (containers.size() != 1) return std::pair<double, uint64_t>{0, 0};
    const auto& usage = containers[0].resource_statistics();
    return std::pair<double, uint64_t>{usage.cpus_limit(), usage.mem_limit_bytes()};
  };
  auto sized = [](const v1::Offer& offer, const std::string& id, const std::string& res) {
    auto task = groupTask(offer, id, "sleep 1000");
    *task.mutable_resources() = resources(res);
    return task;
  };
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  launchGroup(s, *offer, defaultExecutor("sized-executor"),
              {sized(*offer, "long", "cpus:0.5;mem:64")});
  ASSERT_TRUE(until(s, [](const v1::TaskStatus& st) { return st.state() == v1::TASK_RUNNING; }));
  EXPECT_TRUE(eventually([&] {
    return limits() == std::pair<double, uint64_t>{0.6, 96u << 20};
  })) << limits().first
      << " cpus, " << limits().second << " bytes";

  auto second = firstOffer(s);
  ASSERT_TRUE(second);
  launchGroup(s, *second, defaultExecutor("sized-executor"),
              {sized(*second, "short", "cpus:0.25;mem:32")});
  ASSERT_TRUE(until(s, [](const v1::TaskStatus& st) {
    return st.task_id().value() == "short" && st.state() == v1::TASK_RUNNING;
  }));
  EXPECT_TRUE(eventually([&] {
    return limits() == std::pair<double, uint64_t>{0.85, 128u << 20};
  })) << limits().first
      << " cpus, " << limits().second << " bytes";

  kill(s, "short", 0);
  auto killed = until(s, terminal);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->task_id().value(), "short");
  EXPECT_TRUE(eventually([&] {
    return limits() == std::pair<double, uint64_t>{0.6, 128u << 20};
  })) << limits().first
      << " cpus, " << limits().second << " bytes";
}

TEST(TaskLifecycleTest, UnhealthyGroupTaskIsKilledWithItsGroup) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kProtobuf);
  ASSERT_TRUE(s.subscribe(framework("group-health")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  auto sick = groupTask(*offer, "sick", "touch ok; sleep 1; rm ok; sleep 1000");
  auto* hc = sick.mutable_health_check();
  hc->set_type(v1::HealthCheck::COMMAND);
  hc->mutable_command()->set_value("test -f ok");  // runs in the task's own sandbox
  hc->set_delay_seconds(0);
  hc->set_interval_seconds(0.2);
  hc->set_grace_period_seconds(30);
  hc->set_consecutive_failures(1);
  launchGroup(s, *offer, defaultExecutor("health-executor"),
              {sick, groupTask(*offer, "fine", "sleep 1000")});
  std::vector<v1::TaskStatus> seen;
  std::map<std::string, v1::TaskStatus> ends;
  until(
      s,
      [&](const v1::TaskStatus& st) {
        if (terminal(st)) ends[st.task_id().value()] = st;
        return ends.size() == 2;
      },
      &seen);
  ASSERT_EQ(ends.size(), 2u);
  bool was_healthy = false;
  for (const auto& st : seen) {
    was_healthy =
        was_healthy || (st.task_id().value() == "sick" && st.state() == v1::TASK_RUNNING &&
                        st.has_healthy() && st.healthy());
  }
  EXPECT_TRUE(was_healthy);
  for (const auto& [id, st] : ends) {
    EXPECT_EQ(st.state(), v1::TASK_KILLED) << id;
    EXPECT_TRUE(st.has_healthy() && !st.healthy()) << id << ": " << st.DebugString();
  }
}

TEST(TaskLifecycleTest, CustomExecutorReceivesTheTaskGroup) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("custom-group")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  // A scheduler-provided executor that understands LAUNCH_GROUP (here: our default executor
  // binary, named as a CUSTOM executor's command).
  auto executor = defaultExecutor("custom-group-executor");
  executor.set_type(v1::ExecutorInfo::CUSTOM);
  auto* command = executor.mutable_command();
  command->set_shell(false);
  command->set_value(std::string(PLATEAU_BIN_DIR) + "/plateau-executor");
  command->add_arguments("plateau-executor");
  command->add_arguments("--default");
  launchGroup(s, *offer, executor,
              {groupTask(*offer, "one", "true"), groupTask(*offer, "two", "true")});
  auto ends = terminals(s, 2);
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends["one"].state(), v1::TASK_FINISHED) << ends["one"].DebugString();
  EXPECT_EQ(ends["two"].state(), v1::TASK_FINISHED) << ends["two"].DebugString();
}

TEST(TaskLifecycleTest, KillingOneGroupTaskKillsItsGroup) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("group-kill")));
  auto offer = firstOffer(s);
  ASSERT_TRUE(offer);
  launchGroup(s, *offer, defaultExecutor("kill-executor"),
              {groupTask(*offer, "a", "sleep 1000"), groupTask(*offer, "b", "sleep 1000")});
  int running = 0;
  ASSERT_TRUE(until(s, [&](const v1::TaskStatus& st) {
    return st.state() == v1::TASK_RUNNING && ++running == 2;
  }));
  kill(s, "a", 0);
  auto ends = terminals(s, 2);
  EXPECT_EQ(ends["a"].state(), v1::TASK_KILLED);
  EXPECT_EQ(ends["b"].state(), v1::TASK_KILLED);
}

}  // namespace
}  // namespace plateau::testing
