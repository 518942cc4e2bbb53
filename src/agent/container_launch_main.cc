// plateau-container-launch: the first process of a standalone container (LAUNCH_CONTAINER
// without a parent). It runs the command as its child, writes the command's wait status to
// STATUS_FILE when it ends (so that an agent restarted meanwhile can still answer
// WAIT_CONTAINER: this process is then no child of that agent), and ends the same way.
// Usage: plateau-container-launch STATUS_FILE PROGRAM ARGV0 [ARG...]
//
// The agent signals a container's whole session (KILL_CONTAINER): the command gets the signal
// itself, and this process ignores every signal it can, so that it outlives the command and
// records how it ended. SIGKILL ends both (the command dies with its parent, PR_SET_PDEATHSIG).

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "agent/containerizer/launcher.h"

namespace {

// Waits for `child`, reaping every other process that ends meanwhile (this process is the
// init of the container's pid namespace when it has one).
int waitFor(pid_t child) {
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid == child) {
      return status;
    }
    if (pid < 0 && errno != EINTR) {
      return W_EXITCODE(127, 0);  // cannot happen: the child is ours until reaped
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fmt::print(stderr, "Usage: plateau-container-launch STATUS_FILE PROGRAM ARGV0 [ARG...]\n");
    return 2;
  }
  int status_fd = ::open(argv[1], O_WRONLY | O_CLOEXEC);
  if (status_fd < 0) {
    fmt::print(stderr, "plateau-container-launch: cannot open '{}': {}\n", argv[1],
               std::strerror(errno));
    return 2;
  }
  plateau::agent::ignoreSignals();
  const pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) {
    fmt::print(stderr, "plateau-container-launch: fork: {}\n", std::strerror(errno));
    return 2;
  }
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);  // the parent is gone already
    }
    plateau::agent::resetSignals();
    ::execvp(argv[2], argv + 3);
    fmt::print(stderr, "Failed to execute '{}': {}\n", argv[2], std::strerror(errno));
    ::_exit(127);
  }
  int status = waitFor(child);
  std::string text = fmt::format("{}\n", status);
  if (::write(status_fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
    ::fsync(status_fd);
  }
  ::close(status_fd);
  plateau::agent::exitLike(status);
}
