#pragma once

// Integration-test harness: real plateau-master / plateau-agent processes on loopback ports
// chosen at run time, and a scheduler that speaks the v1 HTTP API over real sockets.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/recordio.h"
#include "http/client.h"
#include "http/content.h"

namespace plateau::testing {

using namespace std::chrono_literals;
namespace v1 = mesos::v1;
namespace scheduler = mesos::v1::scheduler;

// A free TCP port on 127.0.0.1 (bound once and released), for programs that cannot report the
// port they bound (ZooKeeper, a task's own server). Plateau's daemons start with --port=0
// instead and report theirs: see reportedPort().
uint16_t freePort();

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s);

// A child process with its output in a log file; killed (SIGTERM, then SIGKILL) on destruction.
class Process {
 public:
  Process(std::string name, std::vector<std::string> argv, std::string log_path);
  ~Process();
  void kill(int signo);
  // Waits for exit; returns the wait status.
  int wait();
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;
  // The port a daemon started with --port=0 bound, from its "<event> ... address=IP:PORT" log
  // line (master_started, agent_started); 0 when the line did not appear within `timeout` or
  // the process exited first.
  uint16_t reportedPort(std::string_view event, std::chrono::milliseconds timeout = 20s);

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A master and agents in a private temporary directory. Everything started under that
// directory (executors and tasks run with their sandbox there as cwd) is killed at the end.
class Cluster {
 public:
  // `authorization`: the Authorization header the harness's own requests to the master carry
  // (a master that authenticates its endpoints). With `client_tls`, the test's own requests
  // (master(), agentEndpoint()) use TLS with it.
  explicit Cluster(std::vector<std::string> master_flags = {}, std::string authorization = "",
                   std::shared_ptr<const http::TlsContext> client_tls = nullptr);
  ~Cluster();

  // Starts an agent and waits until the master lists it. Returns its index.
  size_t addAgent(const std::string& resources, std::vector<std::string> flags = {});
  http::Endpoint master() const {
    return {"127.0.0.1", master_port_, http::Transport::kProcessDefault, client_tls_};
  }
  http::Endpoint agentEndpoint(size_t i) const {
    return {"127.0.0.1", agent_ports_[i], http::Transport::kProcessDefault, client_tls_};
  }
  Process& agent(size_t i) { return *agents_[i]; }
  Process& masterProcess() { return *master_; }
  const std::string& dir() const { return dir_; }
  size_t registeredAgents();

  // Kills the master with `signo` and starts it again on the same port and work_dir.
  void restartMaster(int signo = SIGKILL);
  // Kills agent i with `signo`, waits for it to exit, and starts it again with the same flags
  // (port, work_dir) plus `extra_flags`. Waits until it answers /health.
  void restartAgent(size_t i, int signo = SIGKILL, std::vector<std::string> extra_flags = {});

  // GET a JSON endpoint on the master.
  std::string get(const std::string& path);

 private:
  std::string dir_;
  void startMaster();

  uint16_t master_port_ = 0;
  std::vector<std::string> master_flags_;
  std::string authorization_;
  std::shared_ptr<const http::TlsContext> client_tls_;
  int master_starts_ = 0;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::vector<uint16_t> agent_ports_;
  std::vector<std::vector<std::string>> agent_argv_;
  std::vector<int> agent_starts_;
};

// A scheduler over the v1 HTTP API, in JSON or protobuf.
class Scheduler {
 public:
  Scheduler(http::Endpoint master, http::ContentType content);
  ~Scheduler();

  // SUBSCRIBE; waits for SUBSCRIBED. An empty result on failure.
  bool subscribe(v1::FrameworkInfo info, const std::vector<std::string>& suppressed_roles = {});
  // Sends a call (framework id and stream id filled in); returns the HTTP status.
  int call(scheduler::Call call);
  http::Response lastResponse() const { return last_; }

  // The next event of `type` (others are kept for later), or nullopt after timeout.
  std::optional<scheduler::Event> next(scheduler::Event::Type type,
                                       std::chrono::milliseconds timeout = 20s);
  // Next UPDATE (acked when `ack`) other than an executor's TASK_STARTING, always acked, skipped.
  std::optional<v1::TaskStatus> nextUpdate(std::chrono::milliseconds timeout = 20s,
                                           bool ack = true);
  void acknowledge(const v1::TaskStatus& status);
  void declineAll(const scheduler::Event& offers, double refuse_seconds);
  // Launches one command task on an offer (as `user`, when given: CommandInfo.user).
  void launch(const v1::Offer& offer, const std::string& task_id, const std::string& command,
              const std::string& resources, const std::string& user = "");

  const std::string& frameworkId() const { return framework_id_; }
  const std::string& streamId() const { return stream_id_; }
  // The Authorization header of every request from now on ("" for none).
  void setAuthorization(std::string header) { authorization_ = std::move(header); }
  void close();

 private:
  bool pump(std::chrono::milliseconds timeout);

  http::Endpoint master_;
  http::ContentType content_;
  std::unique_ptr<http::BlockingStream> stream_;
  recordio::Decoder decoder_;
  std::deque<scheduler::Event> events_;
  std::string framework_id_;
  std::string stream_id_;
  std::string authorization_;
  http::Response last_;
};

// Resources in protobuf form for a task from text ("cpus:1;mem:32").
google::protobuf::RepeatedPtrField<v1::Resource> resources(const std::string& text);

}  // namespace plateau::testing
