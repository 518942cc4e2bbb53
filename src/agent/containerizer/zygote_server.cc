#include "agent/containerizer/zygote_server.h"

#include <fcntl.h>
#include <linux/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
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

// The memory layout the kernel records for this process (/proc/self/stat), with its
// environment range replaced by [env_start, env_end) when those are given.
std::optional<prctl_mm_map> ownLayout(unsigned long env_start = 0, unsigned long env_end = 0) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream rest(line.substr(close + 2));
  std::vector<unsigned long> field(52, 0);  // by stat's 1-based field number
  std::string value;
  for (size_t i = 3; i < field.size() && rest >> value; ++i) {
    field[i] = std::strtoul(value.c_str(), nullptr, 10);  // 0 for the state letter
  }
  prctl_mm_map map{};
  map.start_code = field[26];
  map.end_code = field[27];
  map.start_stack = field[28];
  map.start_data = field[45];
  map.end_data = field[46];
  map.start_brk = field[47];
  map.brk = reinterpret_cast<unsigned long>(::sbrk(0));
  map.arg_start = field[48];
  map.arg_end = field[49];
  map.env_start = env_start != 0 ? env_start : field[50];
  map.env_end = env_start != 0 ? env_end : field[51];
  map.exe_fd = static_cast<uint32_t>(-1);  // unchanged: no capability needed
  return map;
}

// Points the kernel's record of the environment (what /proc/<pid>/environ shows, which the
// agent reads back on recovery) at `block`, which must be anonymous memory (the heap).
bool setEnvironmentRange(const std::string& block) {
  auto start = reinterpret_cast<unsigned long>(block.data());
  auto map = ownLayout(start, start + block.size());
  return map && ::prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&*map),
                        sizeof(*map), 0UL) == 0;
}

// The launcher's steps between fork and exec, in its order (signals last); cgroups come first so
// that nothing the process does escapes its limits.
void setUp(const Request& r, const std::string& env_block, int report) {
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
  if (!setEnvironmentRange(env_block)) {
    fail(report, "set its environment");
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
  // The environment as one block of NUL-terminated entries, as exec lays it out.
  static std::string env_block;
  env_block.reserve(4096);  // on the heap, whatever its size
  for (const auto& e : r.env) {
    env_block += e;
    env_block += '\0';
  }
  env_block += '\0';
  setUp(r, env_block, report);
  // Everything but stdio and the report pipe goes (the zygote's socket among them).
  if (report > 3) {
    ::syscall(SYS_close_range, 3U, static_cast<unsigned>(report) - 1, 0U);
  }
  ::syscall(SYS_close_range, static_cast<unsigned>(report) + 1, ~0U, 0U);
  static std::vector<char*> envp;
  for (size_t at = 0; env_block[at] != '\0'; at += std::strlen(&env_block[at]) + 1) {
    envp.push_back(&env_block[at]);
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
  // Its clones must be able to show their own environment in /proc: without the capability
  // for that, the zygote refuses to serve (the agent then spawns every executor).
  auto layout = ownLayout();
  if (!layout || ::prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&*layout),
                         sizeof(*layout), 0UL) != 0) {
    std::fprintf(stderr, "plateau-executor zygote: cannot set a process's environment (%s)\n",
                 std::strerror(errno));
    return 2;
  }
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
