// The containerizer end to end: a real agent with --isolation flags enforcing memory (and swap),
// CPU and disk limits, running tasks as their user and in their own pid namespace (or the
// agent's), reporting usage at /monitor/statistics, running itself in cgroups of its own, and
// reporting a container whose cgroup does not empty. Tests needing root or writable cgroups skip
// where the host lacks them.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

// The v1 mount of a controller under /sys/fs/cgroup, or empty.
std::string v1Mount(const std::string& controller) {
  std::ifstream in("/proc/self/mounts");
  std::string dev, dir, type, options, rest;
  while (in >> dev >> dir >> type >> options && std::getline(in, rest)) {
    if (type != "cgroup") {
      continue;
    }
    std::string opts = "," + options + ",";
    if (opts.find("," + controller + ",") != std::string::npos) {
      return dir;
    }
  }
  return "";
}

bool cgroupV2() { return fs::exists("/sys/fs/cgroup/cgroup.controllers"); }

// Why cgroups for `controllers` cannot be used here, or empty when they can.
std::string cgroupsUnusable(const std::vector<std::string>& controllers) {
  if (::geteuid() != 0) {
    return "needs root to create cgroups";
  }
  for (const auto& c : controllers) {
    std::string base = cgroupV2() ? "/sys/fs/cgroup" : v1Mount(c);
    if (base.empty()) {
      return fmt::format("cgroup controller '{}' is not mounted (v1) and no v2 hierarchy", c);
    }
    std::string probe = fmt::format("{}/plateau-probe-{}", base, ::getpid());
    if (::mkdir(probe.c_str(), 0755) != 0) {
      return fmt::format("cannot create a cgroup under {}: {}", base, strerror(errno));
    }
    ::rmdir(probe.c_str());
  }
  return "";
}

// A --cgroups_root of its own per test, removed (with anything left in it) at the end.
class CgroupsRoot {
 public:
  CgroupsRoot() {
    static std::atomic<int> n{0};
    name_ = fmt::format("plateau-test-{}-{}", ::getpid(), n++);
  }
  ~CgroupsRoot() {
    std::vector<std::string> bases;
    if (cgroupV2()) {
      bases.push_back("/sys/fs/cgroup");
    } else {
      for (const char* c : {"cpu", "cpuacct", "memory", "pids"}) {
        bases.push_back(v1Mount(c));
      }
    }
    for (const auto& base : bases) {
      fs::path root = fs::path(base) / name_;
      std::error_code ec;
      for (const auto& child : fs::directory_iterator(root, ec)) {
        if (child.is_directory()) {
          ::rmdir(child.path().c_str());
        }
      }
      ::rmdir(root.c_str());
    }
  }
  std::string flag() const { return "--cgroups_root=" + name_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// Containers' cgroups under a --cgroups_root directory.
size_t childCgroups(const fs::path& root) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    n += e.is_directory() ? 1 : 0;
  }
  return n;
}

v1::FrameworkInfo framework(const std::string& user = "root") {
  v1::FrameworkInfo info;
  info.set_user(user);
  info.set_name("isolation");
  return info;
}

// Launches one command task; `user` set: CommandInfo.user.
void launch(Scheduler& s, const v1::Offer& offer, const std::string& task_id,
            const std::string& command, const std::string& res, const std::string& user = "") {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = op->mutable_launch()->add_task_infos();
  task->set_name(task_id);
  task->mutable_task_id()->set_value(task_id);
  *task->mutable_agent_id() = offer.agent_id();
  *task->mutable_resources() = resources(res);
  task->mutable_command()->set_value(command);
  if (!user.empty()) {
    task->mutable_command()->set_user(user);
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

// The first update that is not TASK_STARTING/TASK_RUNNING (or nothing within the timeout).
std::optional<v1::TaskStatus> terminalUpdate(Scheduler& s, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto update = s.nextUpdate(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!update) {
      return std::nullopt;
    }
    if (update->state() != v1::TASK_STARTING && update->state() != v1::TASK_RUNNING) {
      return update;
    }
  }
  return std::nullopt;
}

// The sandbox of a task's (command) executor under the cluster's agent 0.
std::string sandboxOf(Cluster& cluster, const std::string& task_id) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(cluster.dir() + "/agent0/slaves", ec), end;
       !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename() == "stdout" && p.parent_path().parent_path().filename() == "runs" &&
        p.parent_path().parent_path().parent_path().filename() == task_id) {
      return p.parent_path().string();
    }
  }
  return "";
}

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::optional<json::Value> statistics(Cluster& cluster, const std::string& path) {
  auto r = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = path}, 5s);
  if (!r || r->status != 200) {
    return std::nullopt;
  }
  auto parsed = json::parse(r->body);
  return parsed ? std::optional<json::Value>(*parsed) : std::nullopt;
}

const json::Value* statsOf(const json::Value& all, const std::string& executor_id) {
  for (const auto& entry : all.asArray()) {
    if (entry["executor_id"].asString() == executor_id) {
      return &entry["statistics"];
    }
  }
  return nullptr;
}

TEST(Isolation, MemoryHogIsStoppedAtItsLimit) {
  if (auto why = cgroupsUnusable({"memory"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--isolation=cgroups/mem", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  // tail keeps a newline-free stream whole in memory: 400 MB against a 64 MB container
  // (32 MB task + the command executor's 32 MB).
  launch(s, offers->offers().offers(0), "hog", "head -c 400M /dev/zero | tail", "cpus:0.5;mem:32");
  auto update = terminalUpdate(s, 60s);
  ASSERT_TRUE(update) << cluster.agent(0).log();
  EXPECT_EQ(update->state(), v1::TASK_FAILED) << update->DebugString();
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY)
      << update->DebugString();
  EXPECT_EQ(update->source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_NE(update->message().find("Memory limit exceeded: Requested: 64MB"), std::string::npos)
      << update->message();
  // The container's cgroup is gone with it.
  fs::path base = fs::path(cgroupV2() ? "/sys/fs/cgroup" : v1Mount("memory")) / root.name();
  EXPECT_TRUE(eventually([&] { return childCgroups(base) == 0; }));
}

TEST(Isolation, MemoryLimitIsReportedWhenTheExecutorIsTheVictim) {
  if (auto why = cgroupsUnusable({"memory"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--isolation=cgroups/mem", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  // The task makes its executor (its parent) the OOM killer's first choice.
  launch(s, offers->offers().offers(0), "shielded",
         "echo 1000 > /proc/$PPID/oom_score_adj && head -c 400M /dev/zero | tail",
         "cpus:0.5;mem:32");
  auto update = terminalUpdate(s, 60s);
  ASSERT_TRUE(update) << cluster.agent(0).log();
  EXPECT_EQ(update->state(), v1::TASK_FAILED) << update->DebugString();
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY)
      << update->DebugString();
  fs::path base = fs::path(cgroupV2() ? "/sys/fs/cgroup" : v1Mount("memory")) / root.name();
  EXPECT_TRUE(eventually([&] { return childCgroups(base) == 0; }));
}

TEST(Isolation, CpuLimitedTaskIsThrottled) {
  if (auto why = cgroupsUnusable({"cpu", "cpuacct"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512",
                   {"--isolation=cgroups/cpu,cgroups/mem", "--cgroups_enable_cfs", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "spin", "while :; do :; done", "cpus:0.2;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);

  auto sample = [&]() -> std::optional<std::pair<double, double>> {
    auto all = statistics(cluster, "/monitor/statistics");
    if (!all) {
      return std::nullopt;
    }
    const json::Value* st = statsOf(*all, "spin");
    if (st == nullptr || st->find("cpus_user_time_secs") == nullptr) {
      return std::nullopt;
    }
    return std::make_pair(
        (*st)["timestamp"].asDouble(),
        (*st)["cpus_user_time_secs"].asDouble() + (*st)["cpus_system_time_secs"].asDouble());
  };
  std::optional<std::pair<double, double>> first, last;
  ASSERT_TRUE(eventually([&] { return (first = sample()).has_value(); }));
  // Three seconds of spinning (30 CFS periods) under a 0.3 CPU quota (task + executor).
  ASSERT_TRUE(eventually(
      [&] {
        last = sample();
        return last && last->first - first->first >= 3.0;
      },
      20s));
  double ratio = (last->second - first->second) / (last->first - first->first);
  fmt::print("measured cpu time / wall time = {:.3f} (quota 0.3 cpus)\n", ratio);
  EXPECT_LE(ratio, 0.35);
  EXPECT_GT(ratio, 0.02);  // it does run
  auto all = statistics(cluster, "/monitor/statistics");
  ASSERT_TRUE(all);
  const json::Value* st = statsOf(*all, "spin");
  ASSERT_NE(st, nullptr);
  EXPECT_GT((*st)["cpus_nr_throttled"].asDouble(), 0);
  EXPECT_GT((*st)["cpus_nr_periods"].asDouble(), 0);
  EXPECT_GT((*st)["cpus_throttled_time_secs"].asDouble(), 0);
  EXPECT_DOUBLE_EQ((*st)["cpus_limit"].asDouble(), 0.3);
  fmt::print("nr_periods={} nr_throttled={} throttled_time={:.2f}s\n",
             (*st)["cpus_nr_periods"].asDouble(), (*st)["cpus_nr_throttled"].asDouble(),
             (*st)["cpus_throttled_time_secs"].asDouble());
}

TEST(Isolation, TaskRunsAsItsUser) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "switching users needs root";
  }
  Cluster cluster;
  // The sandbox lies under the cluster's private directory: let other users walk to it.
  ::chmod(cluster.dir().c_str(), 0755);
  cluster.addAgent("cpus:2;mem:512", {"--switch_user"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("nobody")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "as-nobody", "id -u; echo > mine; sleep 1000",
         "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  std::string sandbox = sandboxOf(cluster, "as-nobody");
  ASSERT_FALSE(sandbox.empty());
  ASSERT_TRUE(eventually([&] { return fs::exists(sandbox + "/mine"); }))
      << readAll(sandbox + "/stderr");
  EXPECT_EQ(readAll(sandbox + "/stdout").substr(0, 6), "65534\n") << readAll(sandbox + "/stdout");
  struct stat st;
  ASSERT_EQ(::stat(sandbox.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  ASSERT_EQ(::stat((sandbox + "/mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
}

TEST(Isolation, UnknownUserFailsTheTask) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--switch_user"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "ghost", "true", "cpus:0.5;mem:32", "no-such-user-plateau");
  auto update = terminalUpdate(s, 20s);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->state(), v1::TASK_FAILED);
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(update->message().find("no-such-user-plateau"), std::string::npos) << update->message();
  // The agent lives on and runs the next task.
  EXPECT_TRUE(statistics(cluster, "/monitor/statistics").has_value());
}

TEST(Isolation, PidNamespaceHidesTheHost) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "pid and mount namespaces need root";
  }
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512",
                   {"--isolation=posix/cpu,posix/mem,namespaces/pid", "--launcher=linux"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "ns",
         "echo pid=$$; echo procs=$(ls /proc | grep -c '^[0-9]')", "cpus:0.5;mem:32");
  auto update = terminalUpdate(s, 20s);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->state(), v1::TASK_FINISHED) << update->message();
  std::string out = readAll(sandboxOf(cluster, "ns") + "/stdout");
  auto number = [&](const std::string& key) {
    size_t at = out.find(key + "=");
    return at == std::string::npos ? -1 : std::stoi(out.substr(at + key.size() + 1));
  };
  fmt::print("inside the namespace: {}", out);
  // The executor is pid 1; its shell and the few commands it runs come next.
  EXPECT_GT(number("pid"), 1) << out;
  EXPECT_LT(number("pid"), 10) << out;
  EXPECT_GT(number("procs"), 0) << out;
  EXPECT_LT(number("procs"), 10) << out;
}

TEST(Isolation, DiskQuotaIsEnforced) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;disk:1024",
                   {"--isolation=posix/cpu,posix/mem,disk/du", "--enforce_container_disk_quota",
                    "--container_disk_watch_interval=100ms"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "filler", "head -c 8388608 /dev/urandom > big; sleep 1000",
         "cpus:0.5;mem:32;disk:2");
  auto update = terminalUpdate(s, 30s);
  ASSERT_TRUE(update) << cluster.agent(0).log();
  EXPECT_EQ(update->state(), v1::TASK_FAILED) << update->DebugString();
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_DISK)
      << update->DebugString();
  EXPECT_NE(update->message().find("exceeds quota"), std::string::npos) << update->message();
}

TEST(Isolation, MonitorStatisticsShape) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512;disk:1024", {"--isolation=posix/cpu,posix/mem,disk/du",
                                                "--container_disk_watch_interval=100ms"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "watched", "echo data > file; sleep 1000",
         "cpus:0.5;mem:64;disk:16");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  for (const char* path : {"/monitor/statistics", "/monitor/statistics.json"}) {
    std::optional<json::Value> all;
    ASSERT_TRUE(eventually([&] {
      all = statistics(cluster, path);
      const json::Value* st = all ? statsOf(*all, "watched") : nullptr;
      return st != nullptr && st->find("disk_used_bytes") != nullptr &&
             (*st)["processes"].asDouble() >= 2;
    })) << path;
    ASSERT_EQ(all->asArray().size(), 1u);
    const json::Value& entry = (*all)[0];
    EXPECT_EQ(entry["executor_id"].asString(), "watched");
    EXPECT_EQ(entry["framework_id"].asString(), s.frameworkId());
    EXPECT_NE(entry["executor_name"].asString().find("Command Executor"), std::string::npos);
    EXPECT_EQ(entry["source"].asString(), "watched");
    const json::Value& st = entry["statistics"];
    EXPECT_GT(st["timestamp"].asDouble(), 1e9);
    EXPECT_DOUBLE_EQ(st["cpus_limit"].asDouble(), 0.6);  // task + command executor
    EXPECT_EQ(st["mem_limit_bytes"].toUint64(), 96u << 20);
    EXPECT_GT(st["mem_rss_bytes"].asDouble(), 0);
    // CPU times may still round to 0 this early; what must hold is that they are reported (a
    // missing field would read 0 as well) as non-negative numbers.
    for (const char* field : {"cpus_user_time_secs", "cpus_system_time_secs"}) {
      const json::Value* time = st.find(field);
      ASSERT_NE(time, nullptr) << field;
      EXPECT_TRUE(time->isNumber() && time->asDouble() >= 0) << field;
    }
    EXPECT_GE(st["threads"].asDouble(), st["processes"].asDouble());
    EXPECT_GT(st["disk_used_bytes"].asDouble(), 0);
    EXPECT_EQ(st["disk_limit_bytes"].toUint64(), 16u << 20);
  }
}

TEST(Isolation, RestartedAgentRemovesOrphanCgroups) {
  if (auto why = cgroupsUnusable({"memory"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--isolation=cgroups/mem", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));  // not checkpointing: nothing to recover
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "left", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  fs::path base = fs::path(cgroupV2() ? "/sys/fs/cgroup" : v1Mount("memory")) / root.name();
  ASSERT_EQ(childCgroups(base), 1u);
  cluster.restartAgent(0, SIGKILL);
  EXPECT_TRUE(eventually([&] { return childCgroups(base) == 0; })) << cluster.agent(0).log();
}

// The only container cgroup under a --cgroups_root directory (empty when there is not exactly one).
fs::path onlyChild(const fs::path& root) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory() && e.path().filename() != "slave") {
      found.push_back(e.path());
    }
  }
  return found.size() == 1 ? found[0] : fs::path();
}

std::string firstLine(const std::string& path) {
  std::string text = readAll(path);
  return text.substr(0, text.find('\n'));
}

// Launches a command task whose ContainerInfo (type MESOS) asks to share the agent's pid namespace.
void launchSharingPidNamespace(Scheduler& s, const v1::Offer& offer, const std::string& task_id,
                               const std::string& command) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  auto* task = op->mutable_launch()->add_task_infos();
  task->set_name(task_id);
  task->mutable_task_id()->set_value(task_id);
  *task->mutable_agent_id() = offer.agent_id();
  *task->mutable_resources() = resources("cpus:0.5;mem:32");
  task->mutable_command()->set_value(command);
  task->mutable_container()->set_type(v1::ContainerInfo::MESOS);
  task->mutable_container()->mutable_linux_info()->set_share_pid_namespace(true);
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

// The command executor's allowance (mem 32, in its ExecutorInfo) is in its container's memory
// cgroup once, beside its task's: 64 MB for a 32 MB task.
TEST(Isolation, CommandExecutorsAllowanceIsInItsMemoryLimit) {
  if (auto why = cgroupsUnusable({"memory"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512", {"--isolation=cgroups/mem", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "allowed", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  fs::path cgroup =
      onlyChild(fs::path(cgroupV2() ? "/sys/fs/cgroup" : v1Mount("memory")) / root.name());
  ASSERT_FALSE(cgroup.empty());
  EXPECT_EQ(firstLine(cgroup / (cgroupV2() ? "memory.max" : "memory.limit_in_bytes")),
            std::to_string(64u << 20));
}

TEST(Isolation, SwapIsLimitedWithMemory) {
  if (auto why = cgroupsUnusable({"memory"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  if (!cgroupV2() && !fs::exists(v1Mount("memory") + "/memory.memsw.limit_in_bytes")) {
    GTEST_SKIP() << "this kernel does not account swap in memory cgroups";
  }
  CgroupsRoot root;
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512",
                   {"--isolation=cgroups/mem", "--cgroups_limit_swap", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "swapless", "sleep 1000", "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  fs::path cgroup =
      onlyChild(fs::path(cgroupV2() ? "/sys/fs/cgroup" : v1Mount("memory")) / root.name());
  ASSERT_FALSE(cgroup.empty());
  // 32 MB task + 32 MB command executor, for memory and memory+swap alike.
  if (cgroupV2()) {
    EXPECT_EQ(firstLine(cgroup / "memory.max"), std::to_string(64u << 20));
    EXPECT_EQ(firstLine(cgroup / "memory.swap.max"), "0");
  } else {
    EXPECT_EQ(firstLine(cgroup / "memory.limit_in_bytes"), std::to_string(64u << 20));
    EXPECT_EQ(firstLine(cgroup / "memory.memsw.limit_in_bytes"), std::to_string(64u << 20));
  }
  std::optional<json::Value> all;
  ASSERT_TRUE(eventually([&] {
    all = statistics(cluster, "/monitor/statistics");
    const json::Value* st = all ? statsOf(*all, "swapless") : nullptr;
    return st != nullptr && st->find("mem_total_memsw_bytes") != nullptr;
  }));
  const json::Value& st = *statsOf(*all, "swapless");
  EXPECT_GT(st["mem_total_memsw_bytes"].asDouble(), 0);
  EXPECT_GE(st["mem_total_memsw_bytes"].asDouble(), st["mem_total_bytes"].asDouble());
}

TEST(Isolation, CpuCgroupCountsProcessesAndThreadsWhenAsked) {
  if (auto why = cgroupsUnusable({"cpu", "cpuacct"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  for (bool count : {false, true}) {
    CgroupsRoot root;
    Cluster cluster;
    std::vector<std::string> flags = {"--isolation=cgroups/cpu", root.flag()};
    if (count) {
      flags.push_back("--cgroups_cpu_enable_pids_and_tids_count");
    }
    cluster.addAgent("cpus:2;mem:512", flags);
    Scheduler s(cluster.master(), http::ContentType::kJson);
    ASSERT_TRUE(s.subscribe(framework()));
    auto offers = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    launch(s, offers->offers().offers(0), "three", "sleep 1000 & sleep 1000 & wait",
           "cpus:0.5;mem:32");
    auto running = s.nextUpdate();
    ASSERT_TRUE(running);
    ASSERT_EQ(running->state(), v1::TASK_RUNNING);
    std::optional<json::Value> all;
    const json::Value* st = nullptr;
    // The executor, its shell and the two sleeps.
    ASSERT_TRUE(eventually([&] {
      all = statistics(cluster, "/monitor/statistics");
      st = all ? statsOf(*all, "three") : nullptr;
      return st != nullptr && st->find("cpus_user_time_secs") != nullptr &&
             (!count || (*st)["processes"].asDouble() >= 4);
    })) << count;
    if (!count) {
      EXPECT_EQ(st->find("processes"), nullptr);  // no isolator counts them
      EXPECT_EQ(st->find("threads"), nullptr);
      continue;
    }
    fmt::print("processes={} threads={}\n", (*st)["processes"].asDouble(),
               (*st)["threads"].asDouble());
    EXPECT_LT((*st)["processes"].asDouble(), 10);
    EXPECT_GE((*st)["threads"].asDouble(), (*st)["processes"].asDouble());
  }
}

// A process the kernel cannot kill yet (here: frozen by the test in a freezer cgroup of its own)
// keeps the container's memory cgroup; past --cgroups_destroy_timeout the agent reports the
// destruction failed and goes on.
TEST(Isolation, DestroyTimeoutReportsACgroupThatDoesNotEmpty) {
  if (auto why = cgroupsUnusable({"memory", "freezer"}); !why.empty() || cgroupV2()) {
    GTEST_SKIP() << (why.empty() ? "freezes with the v1 freezer controller" : why);
  }
  CgroupsRoot root;
  fs::path freezer = fs::path(v1Mount("freezer")) / (root.name() + "-frozen");
  ASSERT_TRUE(fs::create_directory(freezer));
  struct Thaw {
    fs::path dir;
    ~Thaw() {
      std::ofstream(dir / "freezer.state") << "THAWED";
      (void)eventually([&] { return ::rmdir(dir.c_str()) == 0; }, 5s);
    }
  } thaw{freezer};
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512",
                   {"--isolation=cgroups/mem", "--cgroups_destroy_timeout=2secs", root.flag()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework()));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launch(s, offers->offers().offers(0), "stuck", "sleep 1000 & echo $! > bg.pid; wait",
         "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);
  std::string sandbox = sandboxOf(cluster, "stuck");
  ASSERT_TRUE(eventually([&] { return !firstLine(sandbox + "/bg.pid").empty(); }));
  std::ofstream(freezer / "cgroup.procs") << firstLine(sandbox + "/bg.pid") << std::flush;
  std::ofstream(freezer / "freezer.state") << "FROZEN" << std::flush;
  ASSERT_TRUE(eventually([&] { return firstLine(freezer / "freezer.state") == "FROZEN"; }));

  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("stuck");
  *kill.mutable_kill()->mutable_agent_id() = offers->offers().offers(0).agent_id();
  ASSERT_EQ(s.call(kill), 202) << s.lastResponse().body;
  auto killed = terminalUpdate(s, 30s);
  ASSERT_TRUE(killed) << cluster.agent(0).log();
  EXPECT_EQ(killed->state(), v1::TASK_KILLED) << killed->DebugString();
  fs::path base = fs::path(v1Mount("memory")) / root.name();
  ASSERT_TRUE(eventually(
      [&] { return cluster.agent(0).log().find("container_destroy_failed") != std::string::npos; },
      15s))
      << cluster.agent(0).log();
  std::string log = cluster.agent(0).log();
  std::string line = log.substr(log.find("container_destroy_failed"));
  line = line.substr(0, line.find('\n'));
  fmt::print("{}\n", line);
  EXPECT_NE(line.find("timeout=2000ms"), std::string::npos) << line;
  EXPECT_NE(line.find(root.name()), std::string::npos) << line;
  EXPECT_EQ(childCgroups(base), 1u);  // left behind, as reported
  // Counted once, under Mesos's name. The agent goes on: it still answers.
  auto metrics = statistics(cluster, "/metrics/snapshot");
  ASSERT_TRUE(metrics.has_value());
  const auto& errors = (*metrics)["containerizer/mesos/container_destroy_errors"];
  EXPECT_TRUE(errors.isNumber() && errors.asDouble() == 1) << json::stringify(*metrics);
  EXPECT_TRUE(statistics(cluster, "/monitor/statistics").has_value());
}

// Where the agent process runs (/proc/<pid>/cgroup): "<controllers>:<path>" per line.
std::string cgroupOf(pid_t pid, const std::string& controller) {
  std::ifstream in(fmt::format("/proc/{}/cgroup", pid));
  std::string line;
  while (std::getline(in, line)) {
    std::string controllers = line.substr(line.find(':') + 1);
    std::string path = controllers.substr(controllers.find(':') + 1);
    controllers = "," + controllers.substr(0, controllers.find(':')) + ",";
    if (cgroupV2() ? line.starts_with("0::")
                   : controllers.find("," + controller + ",") != std::string::npos) {
      return path;
    }
  }
  return "";
}

TEST(Isolation, AgentRunsInItsOwnCgroupsAndKeepsThemAcrossARestart) {
  if (auto why = cgroupsUnusable({"memory", "cpuacct"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  Cluster cluster;
  // cgroups/mem removes the containers' orphan cgroups at start: never the agent's own.
  cluster.addAgent("cpus:2;mem:512",
                   {"--isolation=cgroups/mem", "--agent_subsystems=memory,cpuacct", root.flag()});
  const std::string expected = "/" + root.name() + "/slave";
  EXPECT_EQ(cgroupOf(cluster.agent(0).pid(), "memory"), expected);
  EXPECT_EQ(cgroupOf(cluster.agent(0).pid(), "cpuacct"), expected);
  cluster.restartAgent(0, SIGKILL);
  EXPECT_EQ(cgroupOf(cluster.agent(0).pid(), "memory"), expected) << cluster.agent(0).log();
  EXPECT_TRUE(cluster.agent(0).running());
  EXPECT_NE(cluster.agent(0).log().find("agent_cgroup_joined"), std::string::npos);
}

TEST(Isolation, UnknownAgentSubsystemStopsTheAgentNamingTheFlag) {
  if (auto why = cgroupsUnusable({"memory"}); !why.empty()) {
    GTEST_SKIP() << why;
  }
  CgroupsRoot root;
  std::string log = fmt::format("/tmp/plateau-agent-subsystems-{}.log", ::getpid());
  Process agent("agent",
                {std::string(PLATEAU_BIN_DIR) + "/plateau-agent", "--master=127.0.0.1:1",
                 "--port=0", "--agent_subsystems=memory,no_such_subsystem", root.flag(),
                 fmt::format("--work_dir=/tmp/plateau-agent-subsystems-{}", ::getpid())},
                log);
  int status = agent.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_NE(agent.log().find("'--agent_subsystems'"), std::string::npos) << agent.log();
  EXPECT_NE(agent.log().find("no_such_subsystem"), std::string::npos) << agent.log();
  std::remove(log.c_str());
}

TEST(Isolation, TopLevelContainerSharesTheAgentsPidNamespaceUnlessDisallowed) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "pid and mount namespaces need root";
  }
  const std::string host_ns = fs::read_symlink("/proc/self/ns/pid").string();
  for (bool disallow : {false, true}) {
    Cluster cluster;
    std::vector<std::string> flags = {"--isolation=posix/cpu,posix/mem,namespaces/pid",
                                      "--launcher=linux"};
    if (disallow) {
      flags.push_back("--disallow_sharing_agent_pid_namespace");
    }
    cluster.addAgent("cpus:2;mem:512", flags);
    Scheduler s(cluster.master(), http::ContentType::kJson);
    ASSERT_TRUE(s.subscribe(framework()));
    auto offers = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    launchSharingPidNamespace(s, offers->offers().offers(0), "shared",
                              "readlink /proc/self/ns/pid");
    auto update = terminalUpdate(s, 20s);
    ASSERT_TRUE(update) << cluster.agent(0).log();
    if (disallow) {
      EXPECT_EQ(update->state(), v1::TASK_FAILED) << update->DebugString();
      EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
      EXPECT_NE(update->message().find("pid namespace"), std::string::npos) << update->message();
      continue;
    }
    EXPECT_EQ(update->state(), v1::TASK_FINISHED) << update->message();
    EXPECT_EQ(firstLine(sandboxOf(cluster, "shared") + "/stdout"), host_ns);
    // Without asking, a task still gets a pid namespace of its own.
    s.acknowledge(*update);
    auto more = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(more);
    launch(s, more->offers().offers(0), "own", "readlink /proc/self/ns/pid", "cpus:0.5;mem:32");
    auto own = terminalUpdate(s, 20s);
    ASSERT_TRUE(own);
    EXPECT_EQ(own->state(), v1::TASK_FINISHED) << own->message();
    std::string own_ns = firstLine(sandboxOf(cluster, "own") + "/stdout");
    EXPECT_TRUE(own_ns.starts_with("pid:[")) << own_ns;
    EXPECT_NE(own_ns, host_ns);
  }
}

}  // namespace
}  // namespace plateau::testing
