#include "agent/containerizer/zygote_server.h"

#include <fcntl.h>
#include <linux/prctl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
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
#include "common/fd.h"
#include "common/status.h"

extern char** environ;

namespace plateau::agent::zygote {

namespace {

// What the zygote opens for one process before cloning it, so that what can fail fails here,
// named in the reply, while the agent waits; the clone only moves these into place and so
// needs no confirmation: the zygote answers as soon as the clone exists (and has joined its
// cgroups), without waiting for it to be scheduled.
struct Prepared {
  std::vector<Fd> cgroups;  // cgroup.procs files, written with the new pid by the zygote
  Fd stdout_fd;
  Fd stderr_fd;
  Fd working_dir;  // O_PATH
};

Result<Prepared> prepare(const Request& r) {
  auto failed = [](const char* step) {
    return std::unexpected(
        Status(StatusCode::kUnavailable, fmt::format("Failed to {}: {}", step, strerror(errno))));
  };
  Prepared p;
  for (const auto& procs : r.cgroups) {
    p.cgroups.emplace_back(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (p.cgroups.back().get() < 0) {
      return failed("join its cgroup");
    }
  }
  auto open = [](const std::string& path) {
    return Fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  };
  if (!r.stdout_path.empty() && (p.stdout_fd = open(r.stdout_path)).get() < 0) {
    return failed("open stdout");
  }
  if (!r.stderr_path.empty() && (p.stderr_fd = open(r.stderr_path)).get() < 0) {
    return failed("open stderr");
  }
  if (!r.working_dir.empty()) {
    p.working_dir = Fd(::open(r.working_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (p.working_dir.get() < 0) {
      return failed("enter the working directory");
    }
  }
  if (r.switch_user && ::geteuid() != 0) {
    errno = EPERM;  // setgroups(2) needs root: the clone would fail there
    return failed("set supplementary groups");
  }
  return p;
}

// glibc's default for M_MXFAST (64 * sizeof(size_t) / 4), which the zygote turns off.
constexpr int kDefaultMaxFast = 64 * sizeof(size_t) / 4;

// A step that failed in the new process after the zygote answered: said on its stderr (the
// sandbox's, when opened), and it exits 127, which the agent sees as the executor's exit.
[[noreturn]] void fail(const char* step) {
  char line[160];
  int n = std::snprintf(line, sizeof(line), "plateau-executor: failed to %s: %s\n", step,
                        strerror(errno));
  ssize_t ignored = ::write(STDERR_FILENO, line, static_cast<size_t>(std::max(n, 0)));
  (void)ignored;
  ::_exit(127);
}

// The memory layout the kernel records for this process (/proc/self/stat), read once by the
// zygote: its clones share it but for the break and the environment.
std::optional<prctl_mm_map> ownLayout() {
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
  map.env_start = field[50];
  map.env_end = field[51];
  map.exe_fd = static_cast<uint32_t>(-1);  // unchanged: no capability needed
  return map;
}

// Points the kernel's record of the environment (what /proc/<pid>/environ shows, which the
// agent reads back on recovery) at `block`, which must be anonymous memory (the heap).
bool setEnvironmentRange(prctl_mm_map map, const std::string& block) {
  map.brk = reinterpret_cast<unsigned long>(::sbrk(0));
  map.env_start = reinterpret_cast<unsigned long>(block.data());
  map.env_end = map.env_start + block.size();
  return ::prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&map), sizeof(map),
                 0UL) == 0;
}

// The launcher's steps between fork and exec, in its order (signals last), with what the
// zygote opened; the cgroups were joined by the zygote before this process was let go.
void setUp(const Request& r, const Prepared& p, int dev_null, const prctl_mm_map& layout,
           const std::string& env_block) {
  if (::setsid() < 0) {
    fail("setsid");
  }
  if (::dup2(dev_null, STDIN_FILENO) < 0 ||
      (p.stdout_fd.get() >= 0 && ::dup2(p.stdout_fd.get(), STDOUT_FILENO) < 0) ||
      (p.stderr_fd.get() >= 0 && ::dup2(p.stderr_fd.get(), STDERR_FILENO) < 0)) {
    fail("open its stdio");
  }
  if (p.working_dir.get() >= 0 && ::fchdir(p.working_dir.get()) != 0) {
    fail("enter the working directory");
  }
  if (!setEnvironmentRange(layout, env_block)) {
    fail("set its environment");
  }
  if (r.switch_user) {
    // Raw system calls, as the launcher makes: this process has one thread.
    if (::syscall(SYS_setgroups, r.groups.size(), r.groups.data()) != 0) {
      fail("set supplementary groups");
    }
    if (::syscall(SYS_setresgid, r.gid, r.gid, r.gid) != 0) {
      fail("set group id");
    }
    if (::syscall(SYS_setresuid, r.uid, r.uid, r.uid) != 0) {
      fail("set user id");
    }
  }
  // The agent started the zygote with every signal at its default and none blocked; the
  // zygote itself only ignores SIGPIPE.
  ::signal(SIGPIPE, SIG_DFL);
}

// In the new process: waits until the zygote has put it in its cgroups, sets it up and
// becomes the executor.
[[noreturn]] void become(Request& r, const Prepared& p, int go, int dev_null,
                         const prctl_mm_map& layout, int (*main)(int, char**)) {
  char verdict = 0;
  ssize_t n = 0;
  while ((n = ::read(go, &verdict, 1)) < 0 && errno == EINTR) {
  }
  if (n != 0) {
    ::_exit(127);  // the zygote could not place it (and kills it)
  }
  // The environment as one block of NUL-terminated entries, as exec lays it out.
  static std::string env_block;
  env_block.reserve(4096);  // on the heap, whatever its size
  for (const auto& e : r.env) {
    env_block += e;
    env_block += '\0';
  }
  env_block += '\0';
  setUp(r, p, dev_null, layout, env_block);
  ::mallopt(M_MXFAST, kDefaultMaxFast);  // the executor allocates as an exec'd one would
  // Everything but stdio goes (the zygote's socket among them).
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
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
  int code = main(static_cast<int>(r.argv.size()), argv.data());
  // `main` has returned and its objects are gone; what exit() would still do is run every
  // library's static destructors and exit handlers (protobuf's default instances, iostreams,
  // the dynamic linker's finalisers) on this process's copies of the zygote's objects, which
  // its end discards anyway. Only the C stdio buffers (std::cout shares them) must go out.
  std::fflush(nullptr);
  ::_exit(code);
}

// Starts one process; the reply names its pid or why it could not start.
Reply launch(Request& r, int socket, int dev_null, const prctl_mm_map& layout,
             int (*main)(int, char**)) {
  auto prepared = prepare(r);
  if (!prepared) {
    return {.pid = 0, .error = prepared.error().message()};
  }
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) {
    return {.pid = 0, .error = fmt::format("Failed to create a pipe: {}", strerror(errno))};
  }
  pid_t pid = static_cast<pid_t>(
      ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid == 0) {
    ::close(socket);
    ::close(go[1]);
    become(r, *prepared, go[0], dev_null, layout, main);
  }
  ::close(go[0]);
  Fd release(go[1]);
  if (pid < 0) {
    return {.pid = 0,
            .error = fmt::format("Failed to start '{}': clone: {}", r.argv[0], strerror(errno))};
  }
  // Cgroups first, so that nothing the process does escapes its limits.
  const std::string text = std::to_string(pid);
  for (const auto& procs : prepared->cgroups) {
    if (::write(procs.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      int err = errno;
      ::kill(pid, SIGKILL);  // it exits unplaced; the agent, its parent, reaps it
      return {.pid = 0, .error = fmt::format("Failed to join its cgroup: {}", strerror(err))};
    }
  }
  return {.pid = pid, .error = {}};  // closing `release` lets it go
}

}  // namespace

int serve(int fd, int (*main)(int argc, char** argv)) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) {
    return 1;  // the agent is already gone
  }
  ::signal(SIGPIPE, SIG_IGN);
  // Every page the zygote writes after a clone is a copy-on-write fault (the clone shares them
  // all): without fastbins, freeing a large block never makes the zygote's malloc walk
  // (consolidate) the small free blocks spread over its heap. Its clones turn them back on.
  ::mallopt(M_MXFAST, 0);
  // Its clones must be able to show their own environment in /proc: without the capability
  // for that, the zygote refuses to serve (the agent then spawns every executor).
  auto layout = ownLayout();
  if (!layout || ::prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&*layout),
                         sizeof(*layout), 0UL) != 0) {
    std::fprintf(stderr, "plateau-executor zygote: cannot set a process's environment (%s)\n",
                 std::strerror(errno));
    return 2;
  }
  Fd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (dev_null.get() < 0) {
    std::fprintf(stderr, "plateau-executor zygote: cannot open /dev/null (%s)\n",
                 std::strerror(errno));
    return 2;
  }
  // Freeing a request's strings right after its clone would write to every heap page that
  // holds one of them, each a copy-on-write fault while the clone lives; they are freed
  // together every kSpentBatch requests instead, when most of those clones have exited.
  constexpr size_t kSpentBatch = 64;
  std::vector<std::string> spent_frames;
  std::vector<Request> spent;
  spent_frames.reserve(kSpentBatch);
  spent.reserve(kSpentBatch);
  while (auto frame = readFrame(fd)) {
    auto request = decodeRequest(*frame);
    Reply reply = request ? launch(*request, fd, dev_null.get(), *layout, main)
                          : Reply{.pid = 0, .error = request.error().message()};
    if (!writeFrame(fd, encode(reply))) {
      return 1;
    }
    if (spent.size() == kSpentBatch) {
      spent.clear();
      spent_frames.clear();
    }
    spent_frames.push_back(std::move(*frame));
    if (request) {
      spent.push_back(std::move(*request));
    }
  }
  return 0;
}

}  // namespace plateau::agent::zygote
