// End-to-end tiny-task throughput: tasks/s from launch to TASK_FINISHED for `true` on one
// local agent, printed beside the machine's raw spawn rate measured in the same run (one
// posix_spawn+wait loop of /bin/true per core, run at once and summed; before and after).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/recordio.h"
#include "common/resources.h"
#include "common/resources_proto.h"
#include "http/client.h"
#include "http/content.h"

extern char** environ;

namespace {

using namespace plateau;
using namespace std::chrono_literals;
namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;
using SteadyClock = std::chrono::steady_clock;

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// The machine's raw spawn rate: one posix_spawn + waitpid loop of /bin/true per core, all
// running at once for `window`, their rates summed.
double rawSpawnRate(std::chrono::duration<double> window) {
  unsigned cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<double> rates(cores, 0.0);
  std::vector<std::thread> loops;
  for (unsigned c = 0; c < cores; ++c) {
    loops.emplace_back([&rates, c, window] {
      auto start = SteadyClock::now();
      int n = 0;
      std::chrono::duration<double> elapsed{};
      do {
        pid_t pid = spawn({"/bin/true"}, "");
        int status = 0;
        waitpid(pid, &status, 0);
        ++n;
        elapsed = SteadyClock::now() - start;
      } while (elapsed < window);
      rates[c] = n / elapsed.count();
    });
  }
  for (auto& t : loops) t.join();
  double sum = 0;
  for (double r : rates) sum += r;
  fmt::print("raw spawn loops: {} (one per core), each {:.0f} /s\n", cores,
             cores > 0 ? sum / cores : 0.0);
  return sum;
}

// User + system CPU seconds a process has used so far (and, into `children_seconds`, those
// of the children it has reaped: for the agent, its executors and their tasks).
double cpuSeconds(pid_t pid, double* children_seconds = nullptr) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double ticks = 0, user = 0, children = 0;
  for (int i = 3; i <= 17 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 14) user = std::stod(field);
    if (i == 16 || i == 17) children += std::stod(field);
  }
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  fmt::print("pid {}: user {:.2f}s system {:.2f}s, its reaped children {:.2f}s\n", pid, user / hz,
             (ticks - user) / hz, children / hz);
  if (children_seconds != nullptr) *children_seconds = children / hz;
  return ticks / hz;
}

double selfCpuSeconds() {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  return self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + self.ru_stime.tv_sec +
         self.ru_stime.tv_usec / 1e6;
}

double loadAverage() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

// A free loopback port: bound once, released, then handed to a daemon.
uint16_t pickPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool waitHealthy(const http::Endpoint& ep) {
  for (int i = 0; i < 1200; ++i) {
    auto r = http::fetchSync(ep, {.method = "GET", .path = "/health"}, 1s);
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin_dir = "build/bin";
  int tasks = 1000;
  std::string tmp_dir = "/tmp";
  std::string command = "true";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--bin_dir=")) bin_dir = a.substr(10);
    if (a.starts_with("--tasks=")) tasks = std::atoi(a.c_str() + 8);
    // Where the master's and agent's work directories go (the sandboxes' filesystem).
    if (a.starts_with("--tmp_dir=")) tmp_dir = a.substr(10);
    // The tasks' shell command (`/bin/true`: one the shell does not run itself).
    if (a.starts_with("--command=")) command = a.substr(10);
  }
  std::string dir = fmt::format("{}/plateau-e2e-bench.{}", tmp_dir, getpid());
  std::filesystem::create_directories(dir);
  http::Endpoint master{"127.0.0.1", pickPort()};
  http::Endpoint agent{"127.0.0.1", pickPort()};
  std::vector<std::string> master_args = {
      bin_dir + "/plateau-master",           "--ip=127.0.0.1",
      fmt::format("--port={}", master.port), "--work_dir=" + dir + "/m",
      "--allocation_interval=50ms",          "--logging_level=warning"};
  if (const char* wrap = std::getenv("PLATEAU_BENCH_WRAP_MASTER")) {
    master_args.insert(master_args.begin(), {"/usr/bin/valgrind", wrap});
  }
  pid_t master_pid = spawn(master_args, dir + "/master.log");
  if (!waitHealthy(master)) {
    fmt::print(stderr, "master did not come up; see {}/master.log\n", dir);
    return 1;
  }
  pid_t agent_pid = spawn({bin_dir + "/plateau-agent", "--master=" + master.toString(),
                           "--ip=127.0.0.1", fmt::format("--port={}", agent.port),
                           "--work_dir=" + dir + "/a", "--resources=cpus:64;mem:65536;disk:1024",
                           "--logging_level=warning", "--switch_user=false"},  // user "bench"
                          dir + "/agent.log");
  if (!waitHealthy(agent)) {
    fmt::print(stderr, "agent did not come up; see {}/agent.log\n", dir);
    return 1;
  }

  double load_before = loadAverage();
  double raw_before = rawSpawnRate(std::chrono::seconds(1));
  double sched_cpu_before = selfCpuSeconds();

  // A protobuf scheduler that fills every offer with `true` tasks.
  EventLoop loop;
  http::Client client(loop);
  recordio::Decoder decoder;
  std::string framework_id, stream_id;
  int launched = 0, finished = 0, failed = 0;
  SteadyClock::time_point first_launch, last_finish;
  auto send = [&](scheduler::Call call) {
    call.mutable_framework_id()->set_value(framework_id);
    client.fetch(
        master,
        {.method = "POST",
         .path = "/api/v1/scheduler",
         .headers = {{"content-type", http::kProtobufMediaType}, {"mesos-stream-id", stream_id}},
         .body = call.SerializeAsString()},
        10s, [](Result<http::Response>) {});
  };
  auto task_resources = *Resources::parse("cpus:0.1;mem:16");
  scheduler::Call subscribe;
  subscribe.set_type(scheduler::Call::SUBSCRIBE);
  subscribe.mutable_subscribe()->mutable_framework_info()->set_user("bench");
  subscribe.mutable_subscribe()->mutable_framework_info()->set_name("e2e-bench");
  auto stream = http::StreamingCall::open(
      loop, master,
      {.method = "POST",
       .path = "/api/v1/scheduler",
       .headers = {{"content-type", http::kProtobufMediaType},
                   {"accept", http::kProtobufMediaType}},
       .body = subscribe.SerializeAsString()},
      10s,
      {.on_head = [&](const http::Response& head) { stream_id = head.header("mesos-stream-id"); },
       .on_data =
           [&](std::string_view data) {
             auto records = decoder.decode(data);
             if (!records) return loop.stop();
             for (const auto& record : *records) {
               scheduler::Event event;
               event.ParseFromString(record);
               if (event.type() == scheduler::Event::SUBSCRIBED) {
                 framework_id = event.subscribed().framework_id().value();
               } else if (event.type() == scheduler::Event::OFFERS) {
                 if (launched >= tasks) {
                   // Nothing left to launch: hand the offers back for good and stop asking.
                   scheduler::Call decline;
                   decline.set_type(scheduler::Call::DECLINE);
                   for (const auto& offer : event.offers().offers()) {
                     *decline.mutable_decline()->add_offer_ids() = offer.id();
                   }
                   decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
                   send(decline);
                   scheduler::Call suppress;
                   suppress.set_type(scheduler::Call::SUPPRESS);
                   send(suppress);
                   continue;
                 }
                 for (const auto& offer : event.offers().offers()) {
                   auto have = *resourcesFromProto(offer.resources());
                   scheduler::Call accept;
                   accept.set_type(scheduler::Call::ACCEPT);
                   *accept.mutable_accept()->add_offer_ids() = offer.id();
                   accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
                   auto* op = accept.mutable_accept()->add_operations();
                   op->set_type(v1::Offer::Operation::LAUNCH);
                   while (launched < tasks && have.contains(task_resources)) {
                     have -= task_resources;
                     auto* t = op->mutable_launch()->add_task_infos();
                     t->set_name("true");
                     t->mutable_task_id()->set_value(fmt::format("t{}", launched++));
                     *t->mutable_agent_id() = offer.agent_id();
                     resourcesToProto(task_resources, t->mutable_resources());
                     t->mutable_command()->set_value(command);
                   }
                   if (launched > 0 && first_launch == SteadyClock::time_point()) {
                     first_launch = SteadyClock::now();
                   }
                   send(accept);
                 }
               } else if (event.type() == scheduler::Event::UPDATE) {
                 const auto& s = event.update().status();
                 if (s.has_uuid()) {
                   scheduler::Call ack;
                   ack.set_type(scheduler::Call::ACKNOWLEDGE);
                   *ack.mutable_acknowledge()->mutable_agent_id() = s.agent_id();
                   *ack.mutable_acknowledge()->mutable_task_id() = s.task_id();
                   ack.mutable_acknowledge()->set_uuid(s.uuid());
                   send(ack);
                 }
                 if (s.state() == v1::TASK_FINISHED) finished++;
                 if (s.state() == v1::TASK_FAILED || s.state() == v1::TASK_LOST ||
                     s.state() == v1::TASK_ERROR)
                   failed++;
                 if (finished + failed >= tasks) {
                   last_finish = SteadyClock::now();
                   loop.stop();
                 }
               }
             }
           },
       .on_closed = [&](const Status&) { loop.stop(); }});
  loop.after(300s, [&] { loop.stop(); });
  loop.run();
  stream->cancel();

  double sched_cpu = selfCpuSeconds() - sched_cpu_before;
  double master_cpu = cpuSeconds(master_pid);
  double executors_cpu = 0;
  double agent_cpu = cpuSeconds(agent_pid, &executors_cpu);
  // The executor zygote (the agent's child that clones every command executor) is not reaped
  // until the agent stops: its CPU (the clones' creation) is counted here.
  double zygote_cpu = 0;
  {
    std::ifstream children(fmt::format("/proc/{}/task/{}/children", agent_pid, agent_pid));
    for (pid_t child = 0; children >> child;) {
      // The zygote is the child started with PLATEAU_ZYGOTE_FD (its clones set their own
      // environment); executors still exiting are left out.
      std::ifstream environ(fmt::format("/proc/{}/environ", child));
      std::string environment((std::istreambuf_iterator<char>(environ)),
                              std::istreambuf_iterator<char>());
      if (environment.starts_with("PLATEAU_ZYGOTE_FD=") ||
          environment.find(std::string("\0PLATEAU_ZYGOTE_FD=", 19)) != std::string::npos) {
        zygote_cpu += cpuSeconds(child);
      }
    }
  }
  double seconds = std::chrono::duration<double>(last_finish - first_launch).count();
  double rate = finished / seconds;
  double raw_after = rawSpawnRate(std::chrono::seconds(1));
  double raw = (raw_before + raw_after) / 2;
  fmt::print("load average: {:.2f} before, {:.2f} after\n", load_before, loadAverage());
  fmt::print("tasks: {} finished, {} failed\n", finished, failed);
  fmt::print("end-to-end: {:.1f} tasks/s ({:.2f} s for {} tasks)\n", rate, seconds, tasks);
  fmt::print(
      "raw posix_spawn+wait of /bin/true, one loop per core summed: {:.1f} /s "
      "(mean of {:.1f} before and {:.1f} after)\n",
      raw, raw_before, raw_after);
  fmt::print("ratio end-to-end / raw: {:.3f}\n", rate / raw);
  fmt::print(
      "CPU ms per task: master {:.2f}, agent {:.2f}, executors+tasks {:.2f}, scheduler {:.2f}, "
      "executor zygote {:.2f}; all {:.2f}\n",
      1000 * master_cpu / tasks, 1000 * agent_cpu / tasks, 1000 * executors_cpu / tasks,
      1000 * sched_cpu / tasks, 1000 * zygote_cpu / tasks,
      1000 * (master_cpu + agent_cpu + executors_cpu + sched_cpu + zygote_cpu) / tasks);

  kill(agent_pid, SIGTERM);
  kill(master_pid, SIGTERM);
  waitpid(agent_pid, nullptr, 0);
  waitpid(master_pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  return failed == 0 && finished == tasks ? 0 : 1;
}
