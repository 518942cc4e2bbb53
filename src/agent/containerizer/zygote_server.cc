#include "agent/containerizer/zygote_server.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/containerizer/zygote_wire.h"

extern char** environ;

namespace plateau::agent::zygote {

namespace {

// A step that failed in the new process, written to the zygote through the report pipe.
struct StepError {
  char step[48];
  int err;
};

[[noreturn]] void fail(int report, const char* step) {
  StepError e{};
  std::snprintf(e.step, sizeof(e.step), "%s", step);
  e.err = errno;
  ssize_t ignored = ::write(report, &e, sizeof(e));
  (void)ignored;
  ::_exit(127);
}

void openOnto(const std::string& path, int flags, int target, int report, const char* step) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0 || ::dup2(fd, target) < 0) {
    fail(report, step);
  }
  ::close(fd);
}

// The launcher's steps between fork and exec, in its order (signals last); cgroups come first so
// that nothing the process does escapes its limits.
void setUp(const Request& r, int report) {
  for (const auto& procs : r.cgroups) {
    int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    std::string pid = std::to_string(::getpid());
    if (fd < 0 || ::write(fd, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
      fail(report, "join its cgroup");
    }
    ::close(fd);
  }
  if (::setsid() < 0) {
    fail(report, "setsid");
  }
  openOnto("/dev/null", O_RDONLY, STDIN_FILENO, report, "open stdin");
  if (!r.stdout_path.empty()) {
    openOnto(r.stdout_path, O_WRONLY | O_CREAT | O_APPEND, STDOUT_FILENO, report, "open stdout");
  }
  if (!r.stderr_path.empty()) {
    openOnto(r.stderr_path, O_WRONLY | O_CREAT | O_APPEND, STDERR_FILENO, report, "open stderr");
  }
  if (!r.working_dir.empty() && ::chdir(r.working_dir.c_str()) != 0) {
    fail(report, "enter the working directory");
  }
  if (r.switch_user) {
    // Raw system calls, as the launcher makes: this process has one thread.
    if (::syscall(SYS_setgroups, r.groups.size(), r.groups.data()) != 0) {
      fail(report, "set supplementary groups");
    }
    if (::syscall(SYS_setresgid, r.gid, r.gid, r.gid) != 0) {
      fail(report, "set group id");
    }
    if (::syscall(SYS_setresuid, r.uid, r.uid, r.uid) != 0) {
      fail(report, "set user id");
    }
  }
  // The agent started the zygote with every signal at its default and none blocked; the
  // zygote itself only ignores SIGPIPE.
  ::signal(SIGPIPE, SIG_DFL);
}

// In the new process: sets it up, tells the zygote it is ready (by closing the report pipe)
// and becomes the executor.
[[noreturn]] void become(Request& r, int report, int (*main)(int, char**)) {
  setUp(r, report);
  // Everything but stdio and the report pipe goes (the zygote's socket among them).
  if (report > 3) {
    ::syscall(SYS_close_range, 3U, static_cast<unsigned>(report) - 1, 0U);
  }
  ::syscall(SYS_close_range, static_cast<unsigned>(report) + 1, ~0U, 0U);
  static std::vector<char*> envp;
  for (auto& e : r.env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  environ = envp.data();
  static std::vector<char*> argv;
  for (auto& a : r.argv) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  ::close(report);
  std::exit(main(static_cast<int>(r.argv.size()), argv.data()));
}

// Starts one process; the reply names its pid or why it could not start.
Reply launch(Request& r, int socket, int (*main)(int, char**)) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return {.pid = 0, .error = fmt::format("Failed to create a pipe: {}", strerror(errno))};
  }
  pid_t pid = static_cast<pid_t>(
      ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid == 0) {
    ::close(socket);
    ::close(report[0]);
    become(r, report[1], main);
  }
  ::close(report[1]);
  if (pid < 0) {
    int err = errno;
    ::close(report[0]);
    return {.pid = 0,
            .error = fmt::format("Failed to start '{}': clone: {}", r.argv[0], strerror(err))};
  }
  StepError e{};
  ssize_t n = 0;
  while ((n = ::read(report[0], &e, sizeof(e))) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof(e))) {
    // It exits with 127; the agent, its parent, reaps it.
    e.step[sizeof(e.step) - 1] = '\0';
    return {.pid = 0, .error = fmt::format("Failed to {}: {}", e.step, strerror(e.err))};
  }
  return {.pid = pid, .error = {}};
}

}  // namespace

int serve(int fd, int (*main)(int argc, char** argv)) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) {
    return 1;  // the agent is already gone
  }
  ::signal(SIGPIPE, SIG_IGN);
  while (auto frame = readFrame(fd)) {
    auto request = decodeRequest(*frame);
    Reply reply =
        request ? launch(*request, fd, main) : Reply{.pid = 0, .error = request.error().message()};
    if (!writeFrame(fd, encode(reply))) {
      return 1;
    }
  }
  return 0;
}

}  // namespace plateau::agent::zygote
