// GPUs as an agent resource: --resources=gpus:N with --nvidia_gpu_devices, or detection through
// nvidia-smi (here a stand-in script, --gpu_device_source); each container gets its own GPUs in
// CUDA_VISIBLE_DEVICES; GPU tasks need the GPU_RESOURCES capability. No GPU needed.

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

const char* kGpuIsolation = "--isolation=posix/cpu,posix/mem,gpu/nvidia";

double agentGpus(Cluster& cluster, size_t i) {
  auto state = http::fetchSync(cluster.agentEndpoint(i), {.method = "GET", .path = "/state"}, 5s);
  if (!state) {
    return -1;
  }
  auto parsed = json::parse(state->body);
  return parsed ? (*parsed)["resources"]["gpus"].asDouble() : -1;
}

double offeredGpus(const scheduler::Event& offers) {
  double gpus = 0;
  for (const auto& offer : offers.offers().offers()) {
    for (const auto& r : offer.resources()) {
      if (r.name() == "gpus") {
        gpus += r.scalar().value();
      }
    }
  }
  return gpus;
}

v1::FrameworkInfo gpuFramework(bool capable) {
  v1::FrameworkInfo info;
  info.set_user("gpu-user");
  info.set_name(capable ? "gpu-capable" : "gpu-unaware");
  if (capable) {
    info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::GPU_RESOURCES);
  }
  return info;
}

std::string sandboxStdout(const std::string& root, const std::string& task_id) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == "stdout" &&
        it->path().string().find("/executors/" + task_id + "/runs/") != std::string::npos) {
      std::ifstream in(it->path());
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
  }
  return {};
}

// "CUDA=<value>;" printed by a task -> the value.
std::string visibleDevices(const std::string& out) {
  auto at = out.find("CUDA=");
  if (at == std::string::npos) {
    return "?";
  }
  return out.substr(at + 5, out.find(';', at) - at - 5);
}

TEST(Gpus, AdvertisedAndEachTaskGetsItsOwnDevice) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024;gpus:2", {"--nvidia_gpu_devices=0,1", kGpuIsolation});
  EXPECT_EQ(agentGpus(cluster, 0), 2);
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(gpuFramework(true)));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  EXPECT_EQ(offeredGpus(*offers), 2);

  const v1::Offer& offer = offers->offers().offers(0);
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  std::vector<std::string> ids = {"gpu-a", "gpu-b", "gpu-none"};
  for (const auto& id : ids) {
    auto* op = accept.mutable_accept()->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    auto* task = op->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_agent_id() = offer.agent_id();
    *task->mutable_resources() =
        resources(id == "gpu-none" ? "cpus:0.1;mem:32" : "cpus:0.1;mem:32;gpus:1");
    task->mutable_command()->set_value(
        "echo \"CUDA=${CUDA_VISIBLE_DEVICES-unset}; NV=${NVIDIA_VISIBLE_DEVICES-unset};\"; "
        "sleep 1000");
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
  std::set<std::string> running;
  while (running.size() < ids.size()) {
    auto update = s.nextUpdate(30s);
    ASSERT_TRUE(update);
    ASSERT_EQ(update->state(), v1::TASK_RUNNING) << update->message();
    running.insert(update->task_id().value());
  }
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(eventually([&] {
    for (const auto& id : ids) {
      seen[id] = visibleDevices(sandboxStdout(cluster.dir(), id));
    }
    return seen["gpu-a"] != "?" && seen["gpu-b"] != "?" && seen["gpu-none"] != "?";
  }));
  std::set<std::string> assigned = {seen["gpu-a"], seen["gpu-b"]};
  EXPECT_EQ(assigned, (std::set<std::string>{"0", "1"}));
  EXPECT_EQ(seen["gpu-none"], "");  // a container without GPUs sees none
  EXPECT_NE(sandboxStdout(cluster.dir(), "gpu-none").find("NV=none;"), std::string::npos);

  // A finished container's GPU is free again for the next task.
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("gpu-a");
  *kill.mutable_kill()->mutable_agent_id() = offer.agent_id();
  ASSERT_EQ(s.call(kill), 202);
  auto killed = s.nextUpdate(30s);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state(), v1::TASK_KILLED);
  ASSERT_TRUE(eventually([&] {
    return cluster.agent(0).log().find("executor_terminated framework_id=" + s.frameworkId() +
                                       " executor_id=gpu-a") != std::string::npos;
  }));
  auto again = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(again);
  EXPECT_EQ(offeredGpus(*again), 1);
  s.launch(again->offers().offers(0), "gpu-c",
           "echo \"CUDA=${CUDA_VISIBLE_DEVICES-unset};\"; sleep 1000", "cpus:0.1;mem:32;gpus:1");
  auto c = s.nextUpdate(30s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state(), v1::TASK_RUNNING) << c->message();
  ASSERT_TRUE(
      eventually([&] { return visibleDevices(sandboxStdout(cluster.dir(), "gpu-c")) != "?"; }));
  EXPECT_EQ(visibleDevices(sandboxStdout(cluster.dir(), "gpu-c")), seen["gpu-a"]);
}

// A restarted agent learns which GPU a recovered executor holds and hands out the other one.
TEST(Gpus, RestartedAgentKeepsARecoveredExecutorsGpu) {
  Cluster cluster;
  cluster.addAgent("cpus:4;mem:1024;gpus:2", {"--nvidia_gpu_devices=0,1", kGpuIsolation});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info = gpuFramework(true);
  info.set_checkpoint(true);
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  const std::string command = "echo \"CUDA=${CUDA_VISIBLE_DEVICES-unset};\"; sleep 1000";
  s.launch(offers->offers().offers(0), "keep-1", command, "cpus:0.1;mem:32;gpus:1");
  auto running = s.nextUpdate(30s);
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING) << running->message();
  std::string first;
  ASSERT_TRUE(eventually([&] {
    first = visibleDevices(sandboxStdout(cluster.dir(), "keep-1"));
    return first != "?";
  }));

  cluster.restartAgent(0, SIGKILL);
  ASSERT_TRUE(eventually(
      [&] {
        std::string log = cluster.agent(0).log();
        return log.find("executor_subscribed") != std::string::npos &&
               log.find("agent_registered") != std::string::npos;
      },
      30s))
      << cluster.agent(0).log();

  // Offers made before the restart may be gone: try until a launch runs.
  std::string second = "?";
  for (int attempt = 0; attempt < 5 && second == "?"; attempt++) {
    auto more = s.next(scheduler::Event::OFFERS, 30s);
    ASSERT_TRUE(more);
    if (offeredGpus(*more) < 1) {
      s.declineAll(*more, 0);
      continue;
    }
    std::string id = fmt::format("keep-2-{}", attempt);
    s.launch(more->offers().offers(0), id, command, "cpus:0.1;mem:32;gpus:1");
    std::optional<v1::TaskStatus> update;
    do {
      update = s.nextUpdate(30s);
    } while (update && update->task_id().value() != id);
    ASSERT_TRUE(update);
    if (update->state() != v1::TASK_RUNNING) {
      continue;
    }
    ASSERT_TRUE(eventually([&] {
      second = visibleDevices(sandboxStdout(cluster.dir(), id));
      return second != "?";
    }));
  }
  EXPECT_NE(second, "?");
  EXPECT_NE(second, first) << "the recovered executor's GPU was handed out again";
  EXPECT_EQ((std::set<std::string>{first, second}), (std::set<std::string>{"0", "1"}));
}

TEST(Gpus, DetectedThroughNvidiaSmi) {
  Cluster cluster;
  fs::path script = fs::path(cluster.dir()) / "fake-nvidia-smi";
  std::ofstream(script) << "#!/bin/sh\n"
                           "echo '0, Fake GPU A, 00000000:01:00.0'\n"
                           "echo '1, Fake GPU B, 00000000:02:00.0'\n"
                           "echo '2, Fake GPU C, 00000000:03:00.0'\n";
  fs::permissions(script, fs::perms::owner_all);
  cluster.addAgent("cpus:2;mem:512", {kGpuIsolation, "--gpu_device_source=" + script.string()});
  EXPECT_EQ(agentGpus(cluster, 0), 3);
  auto master_state = json::parse(cluster.get("/master/state"));
  ASSERT_TRUE(master_state);
  EXPECT_EQ((*master_state)["slaves"][0]["resources"]["gpus"].asDouble(), 3);
}

TEST(Gpus, TaskUsingGpusWithoutTheCapabilityIsAnError) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(gpuFramework(false)));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "no-cap", "true", "cpus:0.1;mem:32;gpus:1");
  auto update = s.nextUpdate();
  ASSERT_TRUE(update);
  EXPECT_EQ(update->state(), v1::TASK_ERROR);
  EXPECT_EQ(update->reason(), v1::TaskStatus::REASON_TASK_INVALID);
  EXPECT_NE(update->message().find("GPU_RESOURCES"), std::string::npos) << update->message();
}

TEST(Gpus, InconsistentFlagsStopTheAgentNamingTheFlag) {
  Cluster cluster;
  struct Case {
    std::vector<std::string> flags;
    std::string named;
  };
  std::string absent = cluster.dir() + "/no-such-nvidia-smi";
  std::vector<Case> cases = {
      {{"--resources=gpus:2", "--nvidia_gpu_devices=0,1"}, "--isolation"},
      {{"--resources=gpus:2", kGpuIsolation}, "--nvidia_gpu_devices"},
      {{"--nvidia_gpu_devices=0,1", kGpuIsolation}, "--resources"},
      {{"--resources=gpus:2", "--nvidia_gpu_devices=0", kGpuIsolation}, "--nvidia_gpu_devices"},
      {{"--resources=gpus:2", "--nvidia_gpu_devices=0,0", kGpuIsolation}, "--nvidia_gpu_devices"},
      {{"--resources=gpus:1.5", "--nvidia_gpu_devices=0", kGpuIsolation}, "--resources"},
      {{kGpuIsolation, "--gpu_device_source=" + absent}, "--isolation"},
      {{"--fetcher_cache_size=lots"}, "--fetcher_cache_size"},
  };
  for (size_t i = 0; i < cases.size(); i++) {
    std::vector<std::string> argv = {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
                                     "--master=127.0.0.1:1", "--ip=127.0.0.1", "--port=0",
                                     fmt::format("--work_dir={}/bad{}", cluster.dir(), i)};
    argv.insert(argv.end(), cases[i].flags.begin(), cases[i].flags.end());
    Process agent(fmt::format("bad-agent{}", i), argv,
                  fmt::format("{}/bad-agent{}.log", cluster.dir(), i));
    int status = agent.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << agent.log();
    EXPECT_NE(agent.log().find(cases[i].named), std::string::npos)
        << fmt::format("case {}: ", i) << agent.log();
  }
}

}  // namespace
}  // namespace plateau::testing
