#include "agent/nested_launch.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "agent/containerizer/launcher.h"
#include "agent/containerizer/proc_tree.h"

namespace plateau::agent {

namespace {

enum Stage {
  kSetsid = 1,
  kStdio,
  kTty,
  kSetns,
  kChroot,
  kChdir,
  kFork,
  kSetgroups,
  kSetgid,
  kSetuid,
  kRelay,
  kExec
};

const char* stageName(int stage) {
  static const char* const kNames[] = {"start",
                                       "setsid",
                                       "set up stdio",
                                       "take the terminal",
                                       "join a namespace of the container",
                                       "enter the container's root filesystem",
                                       "enter the working directory",
                                       "fork into the container's pid namespace",
                                       "set supplementary groups",
                                       "set group id",
                                       "set user id",
                                       "enter the relay's folder",
                                       "execute"};
  return stage >= 0 && stage <= kExec ? kNames[stage] : "start";
}

struct ChildError {
  int stage;
  int err;
};

// Namespaces a nested process may join, in the order it joins them (mount last: the others
// are named through the host's /proc).
constexpr const char* kNamespaces[] = {"net", "uts", "ipc", "pid", "mnt"};

// Everything the child needs, made before fork: after it, the child only makes system calls.
struct Plan {
  std::vector<Fd> namespaces;  // to setns() into, in order
  bool join_pid = false;
  Fd root;  // the target's root, when it has its own
  Fd cwd;
  std::optional<uid_t> uid;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::vector<std::string> candidates;  // where the program may be
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ino_t inodeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string pathOf(const std::vector<std::string>& env) {
  for (const auto& e : env) {
    if (e.starts_with("PATH=")) {
      return e.substr(5);
    }
  }
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

std::vector<std::string> candidatesOf(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos) {
    return {program};
  }
  std::vector<std::string> out;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    out.push_back((dir.empty() ? std::string(".") : dir) + "/" + program);
  }
  return out;
}

// The ids of /proc/<pid>/status: real uid and gid, and the supplementary groups.
Status readIds(pid_t pid, Plan& plan) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line.substr(line.find(':') + 1));
    if (line.starts_with("Uid:")) {
      uid_t uid = 0;
      fields >> uid;
      plan.uid = uid;
      found = true;
    } else if (line.starts_with("Gid:")) {
      fields >> plan.gid;
    } else if (line.starts_with("Groups:")) {
      gid_t g = 0;
      while (fields >> g) {
        plan.groups.push_back(g);
      }
    }
  }
  if (!found) {
    return {StatusCode::kNotFound, fmt::format("The container's process {} is gone", pid)};
  }
  return {};
}

Result<Plan> makePlan(const NestedSpec& spec) {
  Plan plan;
  if (Status s = readIds(spec.target, plan); !s.isOk()) {
    return std::unexpected(s);
  }
  if (!spec.join_mount) {
    plan.uid.reset();
  }
  for (const char* ns : kNamespaces) {
    if (!spec.join_mount && std::string_view(ns) == "mnt") {
      continue;
    }
    std::string theirs = fmt::format("/proc/{}/ns/{}", spec.target, ns);
    if (inodeOf(theirs) == inodeOf(fmt::format("/proc/self/ns/{}", ns))) {
      continue;
    }
    Fd fd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      return unavailable(fmt::format("Failed to open '{}': {}", theirs, strerror(errno)));
    }
    plan.join_pid = plan.join_pid || std::string_view(ns) == "pid";
    plan.namespaces.push_back(std::move(fd));
  }
  std::string root = fmt::format("/proc/{}/root", spec.target);
  if (spec.join_mount && (inodeOf(root) != inodeOf("/") || !plan.namespaces.empty())) {
    plan.root.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (spec.join_mount) {
    plan.cwd.reset(
        ::open(fmt::format("/proc/{}/cwd", spec.target).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  plan.candidates = candidatesOf(spec.program, pathOf(spec.env));
  for (const auto& a : spec.argv) {
    plan.argv.push_back(const_cast<char*>(a.c_str()));
  }
  plan.argv.push_back(nullptr);
  for (const auto& e : spec.env) {
    plan.envp.push_back(const_cast<char*>(e.c_str()));
  }
  plan.envp.push_back(nullptr);
  return plan;
}

[[noreturn]] void fail(int report, int stage) {
  ChildError e{stage, errno};
  ssize_t ignored = ::write(report, &e, sizeof(e));
  (void)ignored;
  ::_exit(127);
}

// The command, from its user to exec.
[[noreturn]] void execCommand(const Plan& plan, int report) {
  resetSignals();  // a relay above ignores them
  if (plan.uid && *plan.uid != ::geteuid()) {
    if (::syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) != 0) {
      fail(report, kSetgroups);
    }
    if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) {
      fail(report, kSetgid);
    }
    if (::syscall(SYS_setresuid, *plan.uid, *plan.uid, *plan.uid) != 0) {
      fail(report, kSetuid);
    }
  }
  closeAllBut(report, -1);
  int err = ENOENT;
  for (const auto& candidate : plan.candidates) {
    ::execve(candidate.c_str(), plan.argv.data(), plan.envp.data());
    if (errno != ENOENT && errno != ENOTDIR) {
      err = errno;
    }
  }
  errno = err;
  fail(report, kExec);
}

// Waits for `command` (a child) and returns its wait status.
int waitCommand(pid_t command) {
  int status = 0;
  while (::waitpid(command, &status, 0) < 0) {
    if (errno != EINTR) {
      return W_EXITCODE(127, 0);  // cannot happen: the child is ours until reaped
    }
  }
  return status;
}

// In the process that stays in the agent's pid namespace: waits for the command and exits as
// it did.
[[noreturn]] void relayExit(pid_t command) {
  closeAllBut(-1, -1);
  exitLike(waitCommand(command));
}

// Writes `value` in decimal and a newline to `fd`, without allocating (after fork).
void writeStatus(int fd, int value) {
  char text[16];
  char* end = text + sizeof(text);
  char* p = end;
  *--p = '\n';
  unsigned magnitude = value < 0 ? 0U - static_cast<unsigned>(value) : static_cast<unsigned>(value);
  do {
    *--p = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) {
    *--p = '-';
  }
  if (::write(fd, p, static_cast<size_t>(end - p)) == end - p) {
    ::fsync(fd);
  }
}

// With a relay (NestedSpec::relay_dir): forks; the child returns to become the command, this
// process stays the relay on the host and never returns.
void splitRelay(const NestedSpec& spec, int report) {
  if (spec.relay_dir.empty()) {
    return;
  }
  if (::chdir(spec.relay_dir.c_str()) != 0) {
    fail(report, kRelay);
  }
  ignoreSignals();
  pid_t child = ::fork();
  if (child < 0) {
    fail(report, kFork);
  }
  if (child == 0) {
    return;
  }
  closeAllBut(spec.status_fd, -1);
  for (int fd : {0, 1, 2}) {
    ::close(fd);
  }
  int status = waitCommand(child);
  if (spec.status_fd >= 0) {
    writeStatus(spec.status_fd, status);
  }
  exitLike(status);
}

struct ChildFds {
  int in = -1;   // becomes stdin (kPipes) or the pty slave (kTty)
  int out = -1;  // becomes stdout (kPipes)
  int err = -1;  // becomes stderr (kPipes)
};

void setUpStdio(const NestedSpec& spec, const ChildFds& fds, int report) {
  if (spec.stdio == NestedStdio::kTty) {
    if (::ioctl(fds.in, TIOCSCTTY, 0) != 0) {
      fail(report, kTty);
    }
    for (int target : {0, 1, 2}) {
      if (::dup2(fds.in, target) < 0) {
        fail(report, kStdio);
      }
    }
    return;
  }
  if (spec.stdio == NestedStdio::kFiles) {
    int null = ::open("/dev/null", O_RDONLY);
    int out = ::open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = ::open(spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null < 0 || out < 0 || err < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0) {
      fail(report, kStdio);
    }
    return;
  }
  if (::dup2(fds.in, 0) < 0 || ::dup2(fds.out, 1) < 0 || ::dup2(fds.err, 2) < 0) {
    fail(report, kStdio);
  }
}

[[noreturn]] void runChild(const NestedSpec& spec, const Plan& plan, const ChildFds& fds, int sync,
                           int report) {
  char go = 0;
  if (::read(sync, &go, 1) != 1) {
    ::_exit(127);
  }
  resetSignals();  // the agent's handlers are not this process's
  if (::setsid() < 0) {
    fail(report, kSetsid);
  }
  setUpStdio(spec, fds, report);
  splitRelay(spec, report);
  for (const auto& ns : plan.namespaces) {
    if (::setns(ns.get(), 0) != 0) {
      fail(report, kSetns);
    }
  }
  if (plan.root.get() >= 0 && (::fchdir(plan.root.get()) != 0 || ::chroot(".") != 0)) {
    fail(report, kChroot);
  }
  if (plan.cwd.get() >= 0 && ::fchdir(plan.cwd.get()) != 0) {
    fail(report, kChdir);
  }
  if (!plan.join_pid) {
    execCommand(plan, report);
  }
  pid_t command = ::fork();
  if (command < 0) {
    fail(report, kFork);
  }
  if (command == 0) {
    execCommand(plan, report);
  }
  relayExit(command);
}

// Moves `pid` into each cgroup of `target` that is not the agent's own (best effort: a
// hierarchy it cannot write stays the agent's).
void joinCgroups(pid_t pid, pid_t target) {
  auto read = [](const std::string& path) {
    std::map<std::string, std::string> out;  // controllers -> path
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      size_t a = line.find(':');
      size_t b = line.find(':', a + 1);
      if (a != std::string::npos && b != std::string::npos) {
        out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
      }
    }
    return out;
  };
  auto mine = read("/proc/self/cgroup");
  for (const auto& [controllers, path] : read(fmt::format("/proc/{}/cgroup", target))) {
    if (mine[controllers] == path) {
      continue;
    }
    std::string hierarchy = controllers.empty() ? std::string("/sys/fs/cgroup")
                            : controllers.starts_with("name=")
                                ? "/sys/fs/cgroup/" + controllers.substr(5)
                                : "/sys/fs/cgroup/" + controllers;
    std::ofstream procs(hierarchy + path + "/cgroup.procs");
    procs << pid << '\n';
  }
}

// Waits until the child has exec'd (the report pipe closes) or says why it could not.
Status fromReport(pid_t pid, int report, const NestedSpec& spec) {
  ChildError error{};
  ssize_t n = 0;
  while ((n = ::read(report, &error, sizeof(error))) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(error))) {
    return {};
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string what = stageName(error.stage);
  if (error.stage == kExec) {
    what += fmt::format(" '{}'", spec.program);
  }
  return {StatusCode::kUnavailable, fmt::format("Failed to {}: {}", what, strerror(error.err))};
}

}  // namespace

std::optional<pid_t> joinTarget(pid_t root) {
  std::vector<pid_t> tree = processTree(root);
  if (tree.empty()) {
    return std::nullopt;
  }
  ino_t mnt = inodeOf(fmt::format("/proc/{}/ns/mnt", root));
  for (pid_t pid : tree) {
    ino_t theirs = inodeOf(fmt::format("/proc/{}/ns/mnt", pid));
    if (theirs != 0 && theirs != mnt) {
      return pid;
    }
  }
  return root;
}

std::vector<std::string> processEnvironment(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/environ", pid), std::ios::binary);
  std::vector<std::string> env;
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    if (!entry.empty() && !entry.starts_with("MESOS_EXECUTOR_AUTHENTICATION_TOKEN=")) {
      env.push_back(entry);
    }
  }
  return env;
}

namespace {

Status pipeError() {
  return {StatusCode::kUnavailable, fmt::format("Failed to create a pipe: {}", strerror(errno))};
}

// Makes the stdio `spec` asks for: the agent's ends go to `process`, the child's to `child`
// (kept open until the child has them) and are named in `fds`.
Status makeStdio(const NestedSpec& spec, NestedProcess& process, std::vector<Fd>& child,
                 ChildFds& fds) {
  if (spec.stdio == NestedStdio::kTty) {
    Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    char name[128];
    if (master.get() < 0 || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0 ||
        ::ptsname_r(master.get(), name, sizeof(name)) != 0) {
      return {StatusCode::kUnavailable,
              fmt::format("Failed to open a pseudo-terminal: {}", strerror(errno))};
    }
    struct winsize size {};
    size.ws_row = spec.window.first;
    size.ws_col = spec.window.second;
    ::ioctl(master.get(), TIOCSWINSZ, &size);
    Fd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (slave.get() < 0) {
      return {StatusCode::kUnavailable,
              fmt::format("Failed to open '{}': {}", name, strerror(errno))};
    }
    fds.in = slave.get();
    child.push_back(std::move(slave));
    process.input.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    process.output = std::move(master);
    return {};
  }
  if (spec.stdio == NestedStdio::kFiles) {
    return {};
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    return pipeError();
  }
  process.input.reset(in[1]);
  child.emplace_back(in[0]);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return pipeError();
  }
  process.output.reset(out[0]);
  child.emplace_back(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    return pipeError();
  }
  process.error.reset(err[0]);
  child.emplace_back(err[1]);
  fds = {in[0], out[1], err[1]};
  return {};
}

}  // namespace

Result<NestedProcess> launchNested(const NestedSpec& spec) {
  if (spec.program.empty() || spec.argv.empty()) {
    return invalidArgument("A nested container needs a command");
  }
  auto plan = makePlan(spec);
  if (!plan) {
    return std::unexpected(plan.error());
  }
  NestedProcess process;
  std::vector<Fd> child_side;
  ChildFds fds;
  if (Status s = makeStdio(spec, process, child_side, fds); !s.isOk()) {
    return std::unexpected(s);
  }
  int sync[2], report[2];
  if (::pipe2(sync, O_CLOEXEC) != 0) {
    return std::unexpected(pipeError());
  }
  Fd sync_read(sync[0]), sync_write(sync[1]);
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return std::unexpected(pipeError());
  }
  Fd report_read(report[0]), report_write(report[1]);
  pid_t pid = ::fork();
  if (pid < 0) {
    return unavailable(fmt::format("Failed to fork: {}", strerror(errno)));
  }
  if (pid == 0) {
    runChild(spec, *plan, fds, sync_read.get(), report_write.get());
  }
  sync_read.reset();
  report_write.reset();
  child_side.clear();
  joinCgroups(pid, spec.target);
  char go = 1;
  ssize_t written = ::write(sync_write.get(), &go, 1);
  (void)written;
  sync_write.reset();
  if (Status s = fromReport(pid, report_read.get(), spec); !s.isOk()) {
    return std::unexpected(s);
  }
  process.pid = pid;
  return process;
}

}  // namespace plateau::agent
