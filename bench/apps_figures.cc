// plateau-apps figures with a real master, one agent and plateau-apps on loopback:
//  1. scale one app of `sleep 3600` (cpus 0.01, mem 8) from 0 to 1,000 instances, and back to 0;
//  2. from a task's TASK_RUNNING on the master's operator event stream (TASK_UPDATED) to its
//     status_update_event on /v2/events, both read by this process;
//  3. GET /v2/apps latency with 1,000 apps under 50 concurrent clients.

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kInstances = 1000;
constexpr int kEventTasks = 100;
constexpr int kApps = 1000;
constexpr int kClients = 50;
constexpr int kRequestsPerClient = 20;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<size_t>(q * (ms.size() - 1))]; };
  fmt::print("{}: n={} p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n", what, ms.size(), at(0.5),
             at(0.99), ms.back());
}

class AppsBench : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:16;mem:16384;disk:16384;ports:[20000-29999]");
    // PLATEAU_APPS_BIN names another plateau-apps binary (an older build, for before/after).
    const char* other = std::getenv("PLATEAU_APPS_BIN");
    apps_ = std::make_unique<Process>(
        "apps",
        std::vector<std::string>{
            other != nullptr ? std::string(other) : std::string(PLATEAU_BIN_DIR) + "/plateau-apps",
            "--master=" + cluster_.master().toString(), "--http_address=127.0.0.1", "--http_port=0",
            "--work_dir=" + cluster_.dir() + "/apps"},
        cluster_.dir() + "/apps.log");
    apps_endpoint_ = {"127.0.0.1", apps_->reportedPort("apps_started")};
    ASSERT_NE(apps_endpoint_.port, 0) << apps_->log();
  }

  int send(const std::string& method, const std::string& path, const std::string& body = "") {
    auto r = http::fetchSync(apps_endpoint_,
                             {.method = method,
                              .path = path,
                              .headers = {{"content-type", "application/json"}},
                              .body = body},
                             60s);
    return r ? r->status : 0;
  }
  json::Value get(const http::Endpoint& endpoint, const std::string& path) {
    auto r = http::fetchSync(endpoint, {.method = "GET", .path = path}, 60s);
    auto v = r ? json::parse(r->body) : Result<json::Value>(json::Value());
    return v ? *v : json::Value();
  }
  double masterRunning() {
    return get(cluster_.master(), "/metrics/snapshot")["master/tasks_running"].asDouble();
  }
  double appRunning(const std::string& id) {
    return get(apps_endpoint_, "/v2/apps" + id)["app"]["tasksRunning"].asDouble();
  }
  bool settled() { return get(apps_endpoint_, "/v2/deployments").size() == 0; }

  Cluster cluster_;
  std::unique_ptr<Process> apps_;
  http::Endpoint apps_endpoint_;
};

// CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat.
double cpuSeconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = text.rfind(')');
  if (at == std::string::npos) return 0;
  std::istringstream fields(text.substr(at + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The machine's load average (1, 5, 15 minutes), part of every figure's conditions.
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  in >> one >> five >> fifteen;
  return fmt::format("{:.2f} {:.2f} {:.2f}", one, five, fifteen);
}

TEST_F(AppsBench, ScaleAndEvents) {
  fmt::print("{} cores, load average {} at the start\n", std::thread::hardware_concurrency(),
             loadAverage());
  // 1. Scale 0 -> 1,000 -> 0.
  ASSERT_EQ(send("POST", "/v2/apps", R"({"id": "/bench/sleep", "cmd": "sleep 3600",
      "cpus": 0.01, "mem": 8, "disk": 0, "instances": 0})"),
            201);
  ASSERT_TRUE(eventually([&] { return settled(); }, 30s));
  auto t0 = Clock::now();
  ASSERT_EQ(send("PUT", "/v2/apps/bench/sleep", fmt::format(R"({{"instances": {}}})", kInstances)),
            200);
  double master_all = 0;
  ASSERT_TRUE(eventually(
      [&] {
        if (master_all == 0 && masterRunning() == kInstances) {
          master_all = since(t0);
        }
        return master_all > 0 && appRunning("/bench/sleep") == kInstances && settled();
      },
      300s))
      << "running on the master: " << masterRunning();
  double up = since(t0);
  t0 = Clock::now();
  ASSERT_EQ(send("PUT", "/v2/apps/bench/sleep", R"({"instances": 0})"), 200);
  double apps_zero = 0;
  ASSERT_TRUE(eventually(
      [&] {
        if (apps_zero == 0 && appRunning("/bench/sleep") == 0 && settled()) {
          apps_zero = since(t0);
        }
        return apps_zero > 0 && masterRunning() == 0;
      },
      300s));
  double down = since(t0);
  fmt::print(
      "scale 0 -> {} instances (sleep 3600, cpus 0.01, mem 8, one agent): {:.1f} s until all "
      "TASK_RUNNING on the master, {:.1f} s until the deployment is done ({:.0f} tasks/s)\n",
      kInstances, master_all, up, kInstances / up);
  fmt::print(
      "scale {} -> 0: {:.1f} s until the deployment is done, {:.1f} s until the master has no "
      "running task\n",
      kInstances, apps_zero, down);

  // 2. TASK_RUNNING on the master's event stream -> status_update_event on /v2/events.
  std::mutex mu;
  std::map<std::string, Clock::time_point> on_master, on_events;
  std::atomic<bool> stop = false;
  auto subscribe = http::BlockingStream::open(
      cluster_.master(),
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
       .body = R"({"type": "SUBSCRIBE"})"},
      10s);
  auto events = http::BlockingStream::open(apps_endpoint_,
                                           {.method = "GET",
                                            .path = "/v2/events?event_type=status_update_event",
                                            .headers = {{"accept", "text/event-stream"}}},
                                           10s);
  ASSERT_TRUE(subscribe && events);
  // Each reader notes when a task's TASK_RUNNING first shows in its stream. The master's
  // stream is RecordIO ("<length>\n<json>"); the service's is SSE ("data: <json>\n\n").
  std::thread master_reader([&] {
    std::string buffer;
    while (!stop) {
      auto chunk = (*subscribe)->read(200ms);
      if (!chunk) continue;
      buffer += *chunk;
      while (true) {
        size_t nl = buffer.find('\n');
        if (nl == std::string::npos) break;
        size_t length = std::stoul(buffer.substr(0, nl));
        if (buffer.size() < nl + 1 + length) break;
        auto event = json::parse(buffer.substr(nl + 1, length));
        buffer.erase(0, nl + 1 + length);
        if (event && (*event)["type"].asString() == "TASK_UPDATED" &&
            (*event)["task_updated"]["state"].asString() == "TASK_RUNNING") {
          std::lock_guard lock(mu);
          on_master.try_emplace((*event)["task_updated"]["status"]["task_id"]["value"].asString(),
                                Clock::now());
        }
      }
    }
  });
  std::thread events_reader([&] {
    std::string buffer;
    while (!stop) {
      auto chunk = (*events)->read(200ms);
      if (!chunk) continue;
      buffer += *chunk;
      size_t end;
      while ((end = buffer.find("\n\n")) != std::string::npos) {
        std::string message = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        size_t data = message.find("data: ");
        if (data == std::string::npos) continue;
        auto event = json::parse(message.substr(data + 6));
        if (event && (*event)["taskStatus"].asString() == "TASK_RUNNING") {
          std::lock_guard lock(mu);
          on_events.try_emplace((*event)["taskId"].asString(), Clock::now());
        }
      }
    }
  });
  ASSERT_EQ(send("PUT", "/v2/apps/bench/sleep", fmt::format(R"({{"instances": {}}})", kEventTasks)),
            200);
  bool all_seen = eventually(
      [&] {
        std::lock_guard lock(mu);
        int both = 0;
        for (const auto& [id, t] : on_events) {
          both += on_master.contains(id) ? 1 : 0;
        }
        return both >= kEventTasks;
      },
      120s);
  stop = true;
  (*subscribe)->close();
  (*events)->close();
  master_reader.join();
  events_reader.join();
  ASSERT_TRUE(all_seen) << on_master.size() << " on the master, " << on_events.size()
                        << " on /v2/events";
  std::vector<double> lag;
  for (const auto& [id, t] : on_events) {
    if (auto m = on_master.find(id); m != on_master.end()) {
      lag.push_back(std::chrono::duration<double, std::milli>(t - m->second).count());
    }
  }
  report(fmt::format("TASK_RUNNING on the master -> status_update_event on /v2/events ({} tasks "
                     "launched at once)",
                     kEventTasks)
             .c_str(),
         lag);
  ASSERT_EQ(send("PUT", "/v2/apps/bench/sleep", R"({"instances": 0})"), 200);
  ASSERT_TRUE(eventually([&] { return masterRunning() == 0 && settled(); }, 120s));
  fmt::print("load average {} at the end\n", loadAverage());
}

// 3. GET /v2/apps with 1,000 apps (no instances), one client, then 50 concurrent clients.
TEST_F(AppsBench, GetAppsUnderConcurrentClients) {
  fmt::print("{} cores, load average {} at the start\n", std::thread::hardware_concurrency(),
             loadAverage());
  auto t0 = Clock::now();
  for (int i = 0; i < kApps; ++i) {
    ASSERT_EQ(send("POST", "/v2/apps",
                   fmt::format(R"({{"id": "/bench/app-{}", "cmd": "sleep 3600", "cpus": 0.01,
                                  "mem": 8, "instances": 0, "labels": {{"team": "t{}"}}}})",
                               i, i % 10)),
              201);
  }
  double create = since(t0);
  ASSERT_TRUE(eventually([&] { return settled(); }, 60s));
  auto body = http::fetchSync(apps_endpoint_, {.method = "GET", .path = "/v2/apps"}, 60s);
  ASSERT_TRUE(body && body->status == 200);
  ASSERT_EQ(json::parse(body->body)->find("apps")->size(), static_cast<size_t>(kApps));
  std::vector<double> alone;
  for (int i = 0; i < 50; ++i) {
    auto start = Clock::now();
    auto r = http::fetchSync(apps_endpoint_, {.method = "GET", .path = "/v2/apps"}, 60s);
    ASSERT_TRUE(r && r->status == 200);
    alone.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::vector<std::vector<double>> per_client(kClients);
  std::atomic<int> errors = 0;
  double cpu0 = cpuSeconds(apps_->pid());
  t0 = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequestsPerClient; ++i) {
        auto start = Clock::now();
        auto r = http::fetchSync(apps_endpoint_, {.method = "GET", .path = "/v2/apps"}, 60s);
        if (!r || r->status != 200) {
          ++errors;
          continue;
        }
        per_client[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  double wall = since(t0);
  double cpu = cpuSeconds(apps_->pid()) - cpu0;
  std::vector<double> all;
  for (const auto& v : per_client) {
    all.insert(all.end(), v.begin(), v.end());
  }
  EXPECT_EQ(errors.load(), 0);
  fmt::print("created {} apps in {:.1f} s ({:.0f} POST /v2/apps per s, one client)\n", kApps,
             create, kApps / create);
  report(fmt::format("GET /v2/apps, {} apps, one client", kApps).c_str(), alone);
  report(fmt::format("GET /v2/apps, {} apps ({} KB), {} concurrent clients ({:.0f} requests/s)",
                     kApps, body->body.size() / 1024, kClients, all.size() / wall)
             .c_str(),
         all);
  fmt::print("plateau-apps used {:.2f} CPU s for the {} concurrent requests ({:.2f} ms each)\n",
             cpu, all.size(), 1000 * cpu / std::max<size_t>(1, all.size()));
  fmt::print("load average {} at the end\n", loadAverage());
}

}  // namespace
}  // namespace plateau::testing
