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
#include <string_view>

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
         child.process.argv.size() == 1;
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
  // Every signal at its default and none blocked, as its clones must start.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  // Its command line is a command executor's ("plateau-executor", which its clones keep);
  // the variable makes it the zygote, and every symbol is bound once here rather than lazily
  // again in each clone.
  std::string arg0 = "plateau-executor";
  char* argv[] = {arg0.data(), nullptr};
  std::vector<char*> env;
  std::string role = std::string(zygote::kZygoteVariable) + "=3";
  std::string bind_now = "LD_BIND_NOW=1";
  env.push_back(role.data());
  env.push_back(bind_now.data());
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("LD_BIND_NOW=") &&
        !std::string_view(*e).starts_with(role.substr(0, role.size() - 1))) {
      env.push_back(*e);
    }
  }
  env.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, program_.c_str(), &actions, &attr, argv, env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
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

std::optional<zygote::Reply> ExecutorZygote::ask(const std::string& request) {
  std::optional<std::string> frame;
  bool sent = zygote::writeFrame(socket_.get(), request);
  if (sent && awaitReply(socket_.get(), kReplyTimeout)) {
    frame = zygote::readFrame(socket_.get());
  } else if (sent) {
    // Alive but silent. It cannot have been reaped (reaping happens on this thread, after
    // its exit closed the socket): the pid is still the zygote's.
    ::kill(pid_, SIGKILL);
  }
  auto reply = frame ? zygote::decodeReply(*frame) : Result<zygote::Reply>(unavailable(""));
  if (!reply) {
    stop();
    return std::nullopt;
  }
  return *reply;
}

std::optional<Result<pid_t>> ExecutorZygote::launch(const ChildSpec& child,
                                                    const std::vector<std::string>& cgroups) {
  if (!serves(child)) {
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
  const std::string bytes = zygote::encode(request);
  // A zygote found dead is replaced at once; one that dies fresh is not tried again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool fresh = pid_ == 0;
    if (fresh && !start()) {
      given_up_ = true;
      return std::nullopt;
    }
    if (auto reply = ask(bytes)) {
      if (reply->pid == 0) {
        return Result<pid_t>(unavailable(reply->error));
      }
      return Result<pid_t>(reply->pid);
    }
    if (fresh) {
      given_up_ = true;  // a new zygote that cannot serve will not do better next time
      break;
    }
  }
  return std::nullopt;
}

}  // namespace plateau::agent
