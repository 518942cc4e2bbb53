#include "agent/containerizer/zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/containerizer/zygote_wire.h"

extern char** environ;

namespace plateau::agent {

ExecutorZygote::ExecutorZygote(std::string program) : program_(std::move(program)) {}

ExecutorZygote::~ExecutorZygote() { stop(); }

namespace {

// Waits for the reply to be readable; false after `timeout` or on an error.
bool awaitReply(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
    int n = ::poll(&ready, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (n == 1) {
      return true;
    }
    if (n == 0 || errno != EINTR) {
      return false;
    }
  }
}

}  // namespace

bool ExecutorZygote::serves(const ChildSpec& child) const {
  return !given_up_ && child.clone_flags == 0 && child.process.path == program_ &&
         !child.process.argv.empty();
}

bool ExecutorZygote::start() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return false;
  }
  Fd ours(pair[0]);
  Fd theirs(pair[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  std::string arg0 = "plateau-executor";
  std::string arg1 = "--zygote";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  // Every symbol bound once, in the zygote, rather than lazily again in each clone.
  std::vector<char*> env;
  std::string bind_now = "LD_BIND_NOW=1";
  env.push_back(bind_now.data());
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LD_BIND_NOW=", 12) != 0) {
      env.push_back(*e);
    }
  }
  env.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, program_.c_str(), &actions, nullptr, argv, env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return false;
  }
  socket_ = std::move(ours);
  pid_ = pid;
  return true;
}

void ExecutorZygote::stop() {
  // Closing the socket ends the zygote; the agent's SIGCHLD handling reaps it.
  socket_.reset();
  pid_ = 0;
}

std::optional<Result<pid_t>> ExecutorZygote::launch(const ChildSpec& child,
                                                    const std::vector<std::string>& cgroups) {
  if (!serves(child)) {
    return std::nullopt;
  }
  if (pid_ == 0 && !start()) {
    given_up_ = true;
    return std::nullopt;
  }
  zygote::Request request;
  request.argv = child.process.argv;
  request.env = child.process.env;
  request.working_dir = child.process.working_dir;
  request.stdout_path = child.process.stdout_path;
  request.stderr_path = child.process.stderr_path;
  request.cgroups = cgroups;
  if (child.user) {
    request.switch_user = true;
    request.uid = child.user->uid;
    request.gid = child.user->gid;
    request.groups.assign(child.user->groups.begin(), child.user->groups.end());
  }
  std::optional<std::string> frame;
  bool sent = zygote::writeFrame(socket_.get(), zygote::encode(request));
  if (sent && awaitReply(socket_.get(), kReplyTimeout)) {
    frame = zygote::readFrame(socket_.get());
  } else if (sent) {
    // Alive but silent. It cannot have been reaped (reaping happens on this thread, after
    // its exit closed the socket): the pid is still the zygote's.
    ::kill(pid_, SIGKILL);
  }
  auto reply = frame ? zygote::decodeReply(*frame) : Result<zygote::Reply>(unavailable(""));
  if (!reply) {
    stop();  // started again on the next launch
    return std::nullopt;
  }
  if (reply->pid == 0) {
    return Result<pid_t>(unavailable(reply->error));
  }
  return Result<pid_t>(reply->pid);
}

}  // namespace plateau::agent
