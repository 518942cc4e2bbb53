#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/resources.h"
#include "common/resources_proto.h"

#ifndef PLATEAU_BIN_DIR
#error "PLATEAU_BIN_DIR must point at the built binaries"
#endif

extern char** environ;

namespace plateau::testing {

namespace fs = std::filesystem;

uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

Process::Process(std::string name, std::vector<std::string> argv, std::string log_path)
    : name_(std::move(name)), log_path_(std::move(log_path)) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << strerror(rc);
    pid_ = -1;
  }
}

Process::~Process() {
  if (running()) {
    kill(SIGTERM);
    if (!eventually([this] { return !running(); }, 10s)) {
      kill(SIGKILL);
    }
    wait();
  }
}

void Process::kill(int signo) {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, signo);
  }
}

int Process::wait() {
  if (!status_ && pid_ > 0) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
  }
  return status_.value_or(-1);
}

uint16_t Process::reportedPort(std::string_view event, std::chrono::milliseconds timeout) {
  const std::regex pattern(std::string(event) + R"( .*address=[^ ]*:(\d+))");
  uint16_t port = 0;
  eventually(
      [&] {
        std::smatch match;
        std::string text = log();
        // Complete lines only: the line being written may end inside the port's digits.
        size_t end = text.rfind('\n');
        text.resize(end == std::string::npos ? 0 : end + 1);
        if (std::regex_search(text, match, pattern)) {
          port = static_cast<uint16_t>(std::stoi(match[1].str()));
          return true;
        }
        return !running();
      },
      timeout);
  return port;
}

bool Process::running() {
  if (pid_ <= 0 || status_) {
    return false;
  }
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

std::string Process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Kills every process whose working directory lies under `dir` (executors and tasks).
void killProcessesUnder(const std::string& dir) {
  for (int round = 0; round < 50; ++round) {
    int found = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      std::string name = entry.path().filename();
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) {
        continue;
      }
      std::error_code ec2;
      auto cwd = fs::read_symlink(entry.path() / "cwd", ec2).string();
      if (!ec2 && cwd.starts_with(dir)) {
        ::kill(std::stoi(name), SIGKILL);
        ++found;
      }
    }
    if (found == 0) {
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

Cluster::Cluster(std::vector<std::string> master_flags, std::string authorization,
                 std::shared_ptr<const http::TlsContext> client_tls)
    : master_flags_(std::move(master_flags)),
      authorization_(std::move(authorization)),
      client_tls_(std::move(client_tls)) {
  char tmpl[] = "/tmp/plateau-test.XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  startMaster();
}

void Cluster::startMaster() {
  std::vector<std::string> argv = {std::string(PLATEAU_BIN_DIR) + "/plateau-master",
                                   "--ip=127.0.0.1", fmt::format("--port={}", master_port_),
                                   "--work_dir=" + dir_ + "/master", "--allocation_interval=100ms"};
  argv.insert(argv.end(), master_flags_.begin(), master_flags_.end());
  master_ = std::make_unique<Process>("master", argv,
                                      fmt::format("{}/master{}.log", dir_, master_starts_++));
  if (master_port_ == 0) {  // the first start binds --port=0; restarts keep the port it chose
    master_port_ = master_->reportedPort("master_started");
    ASSERT_NE(master_port_, 0) << "master did not report its port:\n" << master_->log();
  }
  // Healthy and recovered: the scheduler API answers (400 for an empty body) instead of 503.
  bool up = eventually([this] {
    http::ClientRequest probe{.method = "POST",
                              .path = "/api/v1/scheduler",
                              .headers = {{"content-type", "application/json"}},
                              .body = "{}"};
    if (!authorization_.empty()) {
      probe.headers["authorization"] = authorization_;
    }
    auto r = http::fetchSync(master(), std::move(probe), 1s);
    return r && r->status == 400;
  });
  EXPECT_TRUE(up) << "master did not come up:\n" << master_->log();
}

void Cluster::restartMaster(int signo) {
  master_->kill(signo);
  master_->wait();
  startMaster();
}

Cluster::~Cluster() {
  agents_.clear();
  master_.reset();
  killProcessesUnder(dir_);
  if (!::testing::Test::HasFailure()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  } else {
    fmt::print(stderr, "test cluster left for inspection in {}\n", dir_);
  }
}

std::string Cluster::get(const std::string& path) {
  http::ClientRequest request{.method = "GET", .path = path};
  if (!authorization_.empty()) {
    request.headers["authorization"] = authorization_;
  }
  auto r = http::fetchSync(master(), std::move(request), 5s);
  return r ? r->body : std::string();
}

size_t Cluster::registeredAgents() {
  auto state = json::parse(get("/master/state"));
  if (!state || state->find("slaves") == nullptr) {
    return 0;
  }
  size_t n = 0;
  for (const auto& a : (*state)["slaves"].asArray()) {
    n += a["active"].asBool() ? 1 : 0;
  }
  return n;
}

size_t Cluster::addAgent(const std::string& resources, std::vector<std::string> flags) {
  size_t index = agents_.size();
  std::vector<std::string> argv = {std::string(PLATEAU_BIN_DIR) + "/plateau-agent",
                                   fmt::format("--master=127.0.0.1:{}", master_port_),
                                   "--ip=127.0.0.1",
                                   "--port=0",
                                   fmt::format("--work_dir={}/agent{}", dir_, index),
                                   "--resources=" + resources,
                                   "--executor_shutdown_grace_period=2secs"};
  // Test frameworks name users this host lacks ("u"): tasks run as the test's own user unless
  // a test asks for --switch_user.
  if (std::none_of(flags.begin(), flags.end(),
                   [](const std::string& f) { return f.starts_with("--switch_user"); })) {
    argv.push_back("--switch_user=false");
  }
  argv.insert(argv.end(), flags.begin(), flags.end());
  size_t before = registeredAgents();
  agents_.push_back(std::make_unique<Process>(fmt::format("agent{}", index), argv,
                                              fmt::format("{}/agent{}.log", dir_, index)));
  uint16_t port = agents_.back()->reportedPort("agent_started");
  EXPECT_NE(port, 0) << "agent did not report its port:\n" << agents_.back()->log();
  agent_ports_.push_back(port);
  // A restarted agent keeps the port it chose (its executors reconnect to it).
  std::replace(argv.begin(), argv.end(), std::string("--port=0"), fmt::format("--port={}", port));
  agent_argv_.push_back(argv);
  agent_starts_.push_back(1);
  bool up = eventually([&] { return registeredAgents() > before; });
  EXPECT_TRUE(up) << "agent did not register:\n" << agents_.back()->log();
  return index;
}

void Cluster::restartAgent(size_t i, int signo, std::vector<std::string> extra_flags) {
  agents_[i]->kill(signo);
  agents_[i]->wait();
  std::vector<std::string> argv = agent_argv_[i];
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  agents_[i] =
      std::make_unique<Process>(fmt::format("agent{}", i), argv,
                                fmt::format("{}/agent{}.{}.log", dir_, i, agent_starts_[i]++));
  bool up = eventually([&] {
    auto r = http::fetchSync(agentEndpoint(i), {.method = "GET", .path = "/health"}, 1s);
    return r && r->status == 200;
  });
  EXPECT_TRUE(up) << "agent did not come back:\n" << agents_[i]->log();
}

Scheduler::Scheduler(http::Endpoint master, http::ContentType content)
    : master_(std::move(master)), content_(content) {}

Scheduler::~Scheduler() { close(); }

void Scheduler::close() {
  if (stream_) {
    stream_->close();
    stream_.reset();
  }
}

bool Scheduler::subscribe(v1::FrameworkInfo info,
                          const std::vector<std::string>& suppressed_roles) {
  scheduler::Call call;
  call.set_type(scheduler::Call::SUBSCRIBE);
  *call.mutable_subscribe()->mutable_framework_info() = std::move(info);
  for (const auto& role : suppressed_roles) {
    call.mutable_subscribe()->add_suppressed_roles(role);
  }
  if (call.subscribe().framework_info().has_id()) {
    *call.mutable_framework_id() = call.subscribe().framework_info().id();
  }
  http::ClientRequest request{.method = "POST",
                              .path = "/api/v1/scheduler",
                              .headers = {{"content-type", http::mediaType(content_)},
                                          {"accept", http::mediaType(content_)}},
                              .body = http::encode(call, content_)};
  if (!authorization_.empty()) {
    request.headers["authorization"] = authorization_;
  }
  auto stream = http::BlockingStream::open(master_, std::move(request), 10s);
  if (!stream || (*stream)->head().status != 200) {
    return false;
  }
  stream_ = std::move(*stream);
  stream_id_ = stream_->head().header("mesos-stream-id");
  decoder_ = recordio::Decoder();
  events_.clear();
  auto subscribed = next(scheduler::Event::SUBSCRIBED);
  if (!subscribed) {
    return false;
  }
  framework_id_ = subscribed->subscribed().framework_id().value();
  return true;
}

bool Scheduler::pump(std::chrono::milliseconds timeout) {
  if (!stream_) {
    return false;
  }
  auto data = stream_->read(timeout);
  if (!data) {
    return false;
  }
  auto records = decoder_.decode(*data);
  if (!records) {
    ADD_FAILURE() << "corrupt RecordIO from master: " << records.error().message();
    return false;
  }
  for (const auto& record : *records) {
    scheduler::Event event;
    Status s = http::decode(record, content_, &event);
    if (!s.isOk()) {
      ADD_FAILURE() << "undecodable event: " << s.message() << " in " << record;
      continue;
    }
    events_.push_back(std::move(event));
  }
  return true;
}

std::optional<scheduler::Event> Scheduler::next(scheduler::Event::Type type,
                                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if (it->type() == type) {
        scheduler::Event event = std::move(*it);
        events_.erase(it);
        return event;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return std::nullopt;
    }
    if (!pump(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)) &&
        (!stream_ || stream_->ended())) {
      return std::nullopt;  // the master closed the stream: nothing more will come
    }
  }
}

namespace {

// A TASK_STARTING from an executor (not the master's reconciliation answer, which may echo it).
bool isExecutorStarting(const v1::TaskStatus& status) {
  return status.state() == v1::TASK_STARTING &&
         status.reason() != v1::TaskStatus::REASON_RECONCILIATION;
}

}  // namespace

// The built-in executors send TASK_STARTING before TASK_RUNNING, as Mesos's have since 1.5; most
// tests care about what follows, so it is passed over here. It is always acknowledged: the agent
// holds a task's next update until the one before it is. The order itself is checked by
// tests/integration/task_starting_test.cc, which reads every update.
std::optional<v1::TaskStatus> Scheduler::nextUpdate(std::chrono::milliseconds timeout, bool ack) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto event = next(scheduler::Event::UPDATE, std::max(left, 0ms));
    if (!event) {
      return std::nullopt;
    }
    v1::TaskStatus status = event->update().status();
    bool starting = isExecutorStarting(status);
    if ((ack || starting) && status.has_uuid()) {
      acknowledge(status);
    }
    if (!starting) {
      return status;
    }
  }
}

int Scheduler::call(scheduler::Call call) {
  call.mutable_framework_id()->set_value(framework_id_);
  http::ClientRequest request{
      .method = "POST",
      .path = "/api/v1/scheduler",
      .headers = {{"content-type", http::mediaType(content_)}, {"mesos-stream-id", stream_id_}},
      .body = http::encode(call, content_)};
  if (!authorization_.empty()) {
    request.headers["authorization"] = authorization_;
  }
  auto r = http::fetchSync(master_, std::move(request), 10s);
  if (!r) {
    return 0;
  }
  last_ = *r;
  return r->status;
}

void Scheduler::acknowledge(const v1::TaskStatus& status) {
  scheduler::Call ack;
  ack.set_type(scheduler::Call::ACKNOWLEDGE);
  *ack.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
  *ack.mutable_acknowledge()->mutable_task_id() = status.task_id();
  ack.mutable_acknowledge()->set_uuid(status.uuid());
  EXPECT_EQ(call(ack), 202) << last_.body;
}

void Scheduler::declineAll(const scheduler::Event& offers, double refuse_seconds) {
  scheduler::Call decline;
  decline.set_type(scheduler::Call::DECLINE);
  for (const auto& offer : offers.offers().offers()) {
    *decline.mutable_decline()->add_offer_ids() = offer.id();
  }
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(refuse_seconds);
  EXPECT_EQ(call(decline), 202) << last_.body;
}

void Scheduler::launch(const v1::Offer& offer, const std::string& task_id,
                       const std::string& command, const std::string& res,
                       const std::string& user) {
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
  EXPECT_EQ(call(accept), 202) << last_.body;
}

google::protobuf::RepeatedPtrField<v1::Resource> resources(const std::string& text) {
  google::protobuf::RepeatedPtrField<v1::Resource> out;
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  if (parsed) {
    resourcesToProto(*parsed, &out);
  }
  return out;
}

}  // namespace plateau::testing
