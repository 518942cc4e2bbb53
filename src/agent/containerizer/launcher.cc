#include "agent/containerizer/launcher.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/fd.h"

namespace plateau::agent {

namespace {

// What a child that failed before exec reports through its error pipe.
struct ChildError {
  int stage;
  int err;
};

enum Stage {
  kSetsid = 1,
  kMountPrivate,
  kMountProc,
  kStdin,
  kStdout,
  kStderr,
  kChdir,
  kSetgroups,
  kSetgid,
  kSetuid,
  kExec
};

const char* stageName(int stage) {
  switch (stage) {
    case kSetsid:
      return "setsid";
    case kMountPrivate:
      return "make the mount namespace private";
    case kMountProc:
      return "mount /proc";
    case kStdin:
      return "open stdin";
    case kStdout:
      return "open stdout";
    case kStderr:
      return "open stderr";
    case kChdir:
      return "enter the working directory";
    case kSetgroups:
      return "set supplementary groups";
    case kSetgid:
      return "set group id";
    case kSetuid:
      return "set user id";
    case kExec:
      return "execute";
    default:
      return "start";
  }
}

// Resolves a program name on PATH in the parent (execvpe allocates; not safe after fork).
std::string resolveProgram(const std::string& path) {
  if (path.find('/') != std::string::npos) {
    return path;
  }
  const char* env = std::getenv("PATH");
  std::string dirs = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    std::string candidate = dirs.substr(start, end - start) + "/" + path;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return path;
}

[[noreturn]] void childFail(int fd, int stage) {
  ChildError e{stage, errno};
  ssize_t ignored = ::write(fd, &e, sizeof(e));
  (void)ignored;
  ::_exit(127);
}

}  // namespace

// Closes every descriptor from 3 up except `a` and `b` (either may be -1).
void closeAllBut(int a, int b) {
  int keep[2] = {std::min(a, b), std::max(a, b)};
  unsigned next = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(next)) {
      continue;
    }
    if (static_cast<unsigned>(fd) > next) {
      ::syscall(SYS_close_range, next, static_cast<unsigned>(fd) - 1, 0);
    }
    next = static_cast<unsigned>(fd) + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0);
}

namespace {

int openOnto(const char* path, int flags, int target) {
  int fd = ::open(path, flags, 0644);
  if (fd < 0) {
    return -1;
  }
  if (fd != target) {
    if (::dup2(fd, target) < 0) {
      return -1;
    }
    ::close(fd);
  }
  return 0;
}

// What the child executes, built in the parent: after fork the child only makes system calls.
struct ExecImage {
  std::string program;
  Fd program_fd;
  std::vector<char*> argv;  // into the LaunchSpec's strings, null-terminated
  std::vector<char*> envp;
};

ExecImage prepareExec(const LaunchSpec& p) {
  ExecImage image;
  image.program = resolveProgram(p.path);
  // The program is opened here, while the agent still has its own privileges, and executed
  // through this descriptor: a task's user may not be able to traverse the folders above it
  // (a build tree under root's 0700 home, say), but may execute the file once it is open.
  image.program_fd.reset(::open(image.program.c_str(), O_PATH | O_CLOEXEC));
  if (image.program_fd.get() >= 0 && image.program_fd.get() < 3) {
    // The child's stdio would replace it.
    image.program_fd.reset(::fcntl(image.program_fd.get(), F_DUPFD_CLOEXEC, 3));
  }
  for (const auto& a : p.argv) {
    image.argv.push_back(const_cast<char*>(a.c_str()));
  }
  image.argv.push_back(nullptr);
  for (const auto& e : p.env) {
    image.envp.push_back(const_cast<char*>(e.c_str()));
  }
  image.envp.push_back(nullptr);
  return image;
}

// In the child: a private mount namespace, with its own /proc in a new pid namespace.
void enterMountNamespace(int clone_flags, int out) {
  if ((clone_flags & CLONE_NEWNS) == 0) {
    return;
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    childFail(out, kMountPrivate);
  }
  if ((clone_flags & CLONE_NEWPID) != 0 &&
      ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    childFail(out, kMountProc);
  }
}

// In the child: stdin from /dev/null, stdout and stderr to their files, the working directory.
void setUpStdio(const LaunchSpec& p, int out) {
  if (openOnto("/dev/null", O_RDONLY, STDIN_FILENO) != 0) {
    childFail(out, kStdin);
  }
  if (!p.stdout_path.empty() &&
      openOnto(p.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, STDOUT_FILENO) != 0) {
    childFail(out, kStdout);
  }
  if (!p.stderr_path.empty() &&
      openOnto(p.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, STDERR_FILENO) != 0) {
    childFail(out, kStderr);
  }
  if (!p.working_dir.empty() && ::chdir(p.working_dir.c_str()) != 0) {
    childFail(out, kChdir);
  }
}

// In the child: becomes the user, groups first.
void switchUser(const UserIds& user, int out) {
  // Raw system calls: glibc's wrappers would try to change the ids of the parent's other
  // threads too, which do not exist in this child.
  if (::syscall(SYS_setgroups, user.groups.size(), user.groups.data()) != 0) {
    childFail(out, kSetgroups);
  }
  if (::syscall(SYS_setresgid, user.gid, user.gid, user.gid) != 0) {
    childFail(out, kSetgid);
  }
  if (::syscall(SYS_setresuid, user.uid, user.uid, user.uid) != 0) {
    childFail(out, kSetuid);
  }
}

}  // namespace

// In the child: every signal to its default disposition, none blocked.
void ignoreSignals() {
  for (int signo = 1; signo < NSIG; signo++) {
    if (signo != SIGKILL && signo != SIGSTOP && signo != SIGCHLD) {
      ::signal(signo, SIG_IGN);
    }
  }
}

void exitLike(int status) {
  if (WIFEXITED(status)) {
    ::_exit(WEXITSTATUS(status));
  }
  int signo = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(signo, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signo);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signo);
  ::_exit(128 + signo);
}

void resetSignals() {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int signo = 1; signo < NSIG; signo++) {
    ::sigaction(signo, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

namespace {

[[noreturn]] void execImage(const ExecImage& image, int out) {
  if (image.program_fd.get() >= 0) {
    ::syscall(SYS_execveat, image.program_fd.get(), "", image.argv.data(), image.envp.data(),
              AT_EMPTY_PATH);
    // A script ("#!") cannot be run through a close-on-exec descriptor (its interpreter
    // would open /dev/fd/N after the exec closed it): such programs, and only they, fall
    // back to their path.
    if (errno != ENOENT) {
      childFail(out, kExec);
    }
  }
  ::execve(image.program.c_str(), image.argv.data(), image.envp.data());
  childFail(out, kExec);
}

// The child, from clone to exec: waits on `sync` for the parent to place it, sets itself up,
// and execs; a failure before exec is written to `report`.
[[noreturn]] void runChild(const ChildSpec& spec, const ExecImage& image, int sync, int report) {
  int out = report;
  if (out < 3) {
    out = ::fcntl(out, F_DUPFD_CLOEXEC, 3);
  }
  char go = 0;
  if (::read(sync, &go, 1) != 1) {
    ::_exit(127);
  }
  ::close(sync);
  if (::setsid() < 0) {
    childFail(out, kSetsid);
  }
  enterMountNamespace(spec.clone_flags, out);
  setUpStdio(spec.process, out);
  if (spec.user) {
    switchUser(*spec.user, out);
  }
  resetSignals();
  closeAllBut(out, image.program_fd.get());
  execImage(image, out);
}

void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

Status childFailed(const ChildError& error, const ChildSpec& spec) {
  std::string what = stageName(error.stage);
  if (error.stage == kSetuid || error.stage == kSetgid || error.stage == kSetgroups) {
    what += fmt::format(" for user '{}'", spec.user ? spec.user->name : "");
  } else if (error.stage == kExec) {
    what += fmt::format(" '{}'", spec.process.path);
  } else if (error.stage == kChdir) {
    what += fmt::format(" '{}'", spec.process.working_dir);
  }
  return {StatusCode::kUnavailable, fmt::format("Failed to {}: {}", what, strerror(error.err))};
}

// In the parent: places the waiting child, lets it go on `sync`, and waits on `report` until
// it has exec'd (the pipe closes) or reports why it could not.
Result<pid_t> releaseChild(pid_t pid, const ChildSpec& spec, int sync, int report,
                           const std::function<Status(pid_t)>& place) {
  if (Status s = place(pid); !s.isOk()) {
    ::kill(pid, SIGKILL);
    ::close(sync);
    ::close(report);
    reap(pid);
    return std::unexpected(s);
  }
  char go = 1;
  ssize_t written = ::write(sync, &go, 1);
  ::close(sync);
  if (written != 1) {
    ::kill(pid, SIGKILL);
    ::close(report);
    reap(pid);
    return unavailable(
        fmt::format("Failed to start '{}': the child did not wait", spec.process.path));
  }
  ChildError error{};
  ssize_t n = 0;
  while ((n = ::read(report, &error, sizeof(error))) < 0 && errno == EINTR) {
  }
  ::close(report);
  if (n == static_cast<ssize_t>(sizeof(error))) {
    reap(pid);
    return std::unexpected(childFailed(error, spec));
  }
  return pid;
}

}  // namespace

Result<UserIds> lookupUser(const std::string& name) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  struct passwd pw;
  struct passwd* found = nullptr;
  int rc = 0;
  while ((rc = ::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found)) == ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (found == nullptr) {
    return notFound(rc == 0 ? fmt::format("Failed to find user '{}'", name)
                            : fmt::format("Failed to look up user '{}': {}", name, strerror(rc)));
  }
  UserIds ids;
  ids.name = name;
  ids.uid = pw.pw_uid;
  ids.gid = pw.pw_gid;
  ids.home = pw.pw_dir != nullptr ? pw.pw_dir : "";
  int count = 32;
  std::vector<gid_t> groups(count);
  while (::getgrouplist(name.c_str(), pw.pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count) + 32);
    count = static_cast<int>(groups.size());
  }
  groups.resize(static_cast<size_t>(count));
  ids.groups = std::move(groups);
  return ids;
}

Result<pid_t> launchChild(const ChildSpec& spec, const std::function<Status(pid_t)>& place) {
  const LaunchSpec& p = spec.process;
  ExecImage image = prepareExec(p);
  int sync[2];
  int report[2];
  if (::pipe2(sync, O_CLOEXEC) != 0) {
    return unavailable(fmt::format("Failed to create a pipe: {}", strerror(errno)));
  }
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(sync[0]);
    ::close(sync[1]);
    return unavailable(fmt::format("Failed to create a pipe: {}", strerror(errno)));
  }
  long flags = SIGCHLD | spec.clone_flags;
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) {
    int err = errno;
    for (int fd : {sync[0], sync[1], report[0], report[1]}) {
      ::close(fd);
    }
    return unavailable(fmt::format("Failed to start '{}': clone: {}", p.path, strerror(err)));
  }
  if (pid == 0) {
    ::close(sync[1]);
    ::close(report[0]);
    runChild(spec, image, sync[0], report[1]);
  }
  ::close(sync[0]);
  ::close(report[1]);
  return releaseChild(pid, spec, sync[1], report[0], place);
}

}  // namespace plateau::agent
