// Container image figures (issue 16) with a real master and agent (--image_providers=docker,
// overlay when the kernel has it) and the test registry (tests/integration/registry_server.py
// --big) on loopback:
//  1. cold pull + provision + start of big:latest (about 100 MB in 5 layers): from the ACCEPT
//     to TASK_RUNNING and to TASK_FINISHED of `true`;
//  2. warm start: `true` in the already pulled busybox:latest against a bare `true` on the same
//     agent, alternating, each from its ACCEPT to TASK_FINISHED; the ratio of the medians;
//  3. a burst of 100 containers of busybox:latest in one ACCEPT: until all are TASK_RUNNING and
//     until all are TASK_FINISHED.
// Needs root (mount namespaces, overlay); run by `./dev bench`.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "images_helpers.h"
#include "registry_helpers.h"

namespace plateau::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Warm-start pairs: 20, or PLATEAU_IMAGE_BENCH_PAIRS (more for a steadier median on a busy
// machine).
int pairs() {
  const char* value = std::getenv("PLATEAU_IMAGE_BENCH_PAIRS");
  int n = value != nullptr ? std::atoi(value) : 0;
  return n > 0 ? n : 20;
}
constexpr int kBurst = 100;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double p90(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[(v.size() * 9) / 10 - (v.size() % 10 == 0 ? 1 : 0)];
}

struct Timing {
  std::vector<double> running;   // ms from the ACCEPT to each TASK_RUNNING
  std::vector<double> finished;  // ms from the ACCEPT to each terminal update
  int failed = 0;                // terminal updates other than TASK_FINISHED
  // ms from each TASK_RUNNING to the task's terminal update, by the executor's timestamps (it
  // sends TASK_RUNNING as the spawn returns): the task's process to its reaping, plateau-rootfs
  // included, without the HTTP hops. (The harness passes TASK_STARTING over.)
  std::vector<double> process;
};

double offeredCpus(const v1::Offer& offer) {
  double cpus = 0;
  for (const auto& r : offer.resources()) {
    cpus += r.name() == "cpus" ? r.scalar().value() : 0;
  }
  return cpus;
}

// Launches `specs` on the next offer with room for them (0.1 cpus each) and follows their
// updates until all are terminal.
Timing timeTasks(Scheduler& s, const std::vector<TaskSpec>& specs) {
  Timing t;
  std::optional<scheduler::Event> offers;
  for (int i = 0; i < 50; i++) {
    offers = s.next(scheduler::Event::OFFERS, 60s);
    if (!offers || offers->offers().offers_size() == 0 ||
        offeredCpus(offers->offers().offers(0)) >= 0.1 * specs.size() - 1e-6) {
      break;
    }
    s.declineAll(*offers, 0);  // a remainder: the rest comes back with the next offer
  }
  if (!offers || offers->offers().offers_size() == 0) {
    ADD_FAILURE() << "no offer";
    return t;
  }
  auto t0 = Clock::now();
  launch(s, offers->offers().offers(0), specs);
  std::set<std::string> open;
  std::map<std::string, double> running;  // task id → its TASK_RUNNING's timestamp
  for (const auto& spec : specs) {
    open.insert(spec.id);
  }
  while (!open.empty()) {
    auto update = s.nextUpdate(300s);
    if (!update) {
      ADD_FAILURE() << open.size() << " tasks never ended";
      break;
    }
    if (!open.contains(update->task_id().value())) {
      continue;
    }
    const std::string& id = update->task_id().value();
    if (update->state() == v1::TASK_RUNNING) {
      running[id] = update->timestamp();
      t.running.push_back(msSince(t0));
    } else if (isTerminal(update->state())) {
      t.finished.push_back(msSince(t0));
      if (running.contains(id)) {
        t.process.push_back((update->timestamp() - running[id]) * 1000);
      }
      if (update->state() != v1::TASK_FINISHED) {
        t.failed++;
        fmt::print("task {} ended {}: {}\n", update->task_id().value(),
                   v1::TaskState_Name(update->state()), update->message());
      }
      open.erase(update->task_id().value());
    }
  }
  return t;
}

// Milliseconds since midnight of an agent log line's timestamp ("2026-12-05T11:33:15.132 ...").
double logMs(const std::string& line) {
  int h = 0, m = 0;
  double sec = 0;
  if (line.size() < 23 || std::sscanf(line.c_str() + 11, "%d:%d:%lf", &h, &m, &sec) != 3) {
    return -1;
  }
  return ((h * 60 + m) * 60 + sec) * 1000;
}

// Where the agent's time goes for the tasks whose executor ids start with `prefix`: the
// medians, from its log, of task_received → container_launched (for a task in an image: the
// store lookup and the overlay mount on a worker thread) and container_launched →
// executor_subscribed (the executor's start).
std::string agentPhases(const std::string& log, const std::string& prefix) {
  std::map<std::string, std::map<std::string, double>> at;  // executor id → event → ms
  std::map<std::string, std::string> executor_of;           // container id → executor id
  std::istringstream in(log);
  std::string line;
  auto field = [&](const std::string& name) {
    size_t p = line.find(" " + name + "=");
    return p == std::string::npos
               ? std::string()
               : line.substr(p + name.size() + 2, line.find(' ', p + 1) - p - name.size() - 2);
  };
  while (std::getline(in, line)) {
    for (const char* event : {"task_received", "executor_launched", "executor_subscribed"}) {
      std::string id = field("executor_id");
      if (line.find(std::string(" ") + event + " ") != std::string::npos &&
          id.starts_with(prefix)) {
        at[id][event] = logMs(line);
      }
    }
  }
  std::vector<double> launch;
  std::vector<double> start;
  for (auto& [id, events] : at) {
    if (events.size() == 3) {
      launch.push_back(events["executor_launched"] - events["task_received"]);
      start.push_back(events["executor_subscribed"] - events["executor_launched"]);
    }
  }
  return fmt::format("task received → executor launched {:.1f} ms, → executor subscribed {:.1f} ms",
                     median(launch), median(start));
}

class ImageFigures : public ImagesRegistryTest {};

TEST_F(ImageFigures, ColdPullWarmStartAndBurst) {
  Cluster cluster;
  MountGuard guard(cluster.dir());
  TestRegistry registry(cluster.dir(), {"--big"});
  auto scheduler = startAgent(cluster, registry, {}, "cpus:16;mem:8192");
  ASSERT_TRUE(scheduler);
  Scheduler& s = *scheduler;

  Timing cold = timeTasks(s, {{.id = "cold", .image = "big", .value = "true"}});
  ASSERT_EQ(cold.failed, 0);
  fmt::print(
      "cold pull + provision + start of big:latest (5 layers, ~100 MB): TASK_RUNNING "
      "after {:.0f} ms, TASK_FINISHED after {:.0f} ms\n",
      cold.running.empty() ? 0.0 : cold.running[0], cold.finished[0]);

  ASSERT_EQ(timeTasks(s, {{.id = "pull", .image = "busybox", .value = "true"}}).failed, 0);
  std::vector<double> bare;
  std::vector<double> image;
  std::vector<double> bare_process;
  std::vector<double> image_process;
  const int kPairs = pairs();
  for (int i = 0; i < kPairs; i++) {
    bool image_first = i % 2 == 1;  // alternate which goes first
    for (int k = 0; k < 2; k++) {
      bool in_image = (k == 0) == image_first;
      std::string id = fmt::format("{}-{}", in_image ? "warm" : "bare", i);
      Timing t = timeTasks(s, {{.id = id, .image = in_image ? "busybox" : "", .value = "true"}});
      ASSERT_EQ(t.failed, 0);
      (in_image ? image : bare).push_back(t.finished[0]);
      auto& process = in_image ? image_process : bare_process;
      process.insert(process.end(), t.process.begin(), t.process.end());
    }
  }
  fmt::print(
      "warm start ({} pairs, ACCEPT to TASK_FINISHED of `true`): bare median {:.1f} ms "
      "(p90 {:.1f}), in the pulled image median {:.1f} ms (p90 {:.1f}); ratio of medians "
      "{:.2f}\n",
      kPairs, median(bare), p90(bare), median(image), p90(image), median(image) / median(bare));
  fmt::print(
      "task's process, TASK_RUNNING to TASK_FINISHED by the executor's timestamps: bare median "
      "{:.1f} ms, in the image median {:.1f} ms\n",
      median(bare_process), median(image_process));
  const std::string log = readWholeFile(cluster.dir() + "/agent0.log");
  fmt::print("agent's log, medians: bare: {}; in the image: {}\n", agentPhases(log, "bare-"),
             agentPhases(log, "warm-"));

  std::vector<TaskSpec> burst;
  for (int i = 0; i < kBurst; i++) {
    burst.push_back({.id = fmt::format("burst-{}", i), .image = "busybox", .value = "true"});
  }
  Timing b = timeTasks(s, burst);
  EXPECT_EQ(b.failed, 0);
  fmt::print(
      "burst of {} containers of busybox:latest in one ACCEPT: all TASK_RUNNING after "
      "{:.0f} ms, all TASK_FINISHED after {:.0f} ms ({} failed)\n",
      kBurst, b.running.empty() ? 0.0 : *std::max_element(b.running.begin(), b.running.end()),
      b.finished.empty() ? 0.0 : b.finished.back(), b.failed);
}

}  // namespace
}  // namespace plateau::testing
