#include "agent/images/enter_rootfs.h"

#include <grp.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "agent/images/image_user.h"

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

// Fails when a folder on the way to `path` (below `root`) is a symbolic link: following it
// while the host's root is still "/" could reach outside the image.
Status checkNoSymlinks(const fs::path& root, const fs::path& path) {
  fs::path at = root;
  for (const auto& part : path.lexically_relative(root).parent_path()) {
    at /= part;
    struct stat st;
    if (::lstat(at.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return {StatusCode::kInvalidArgument,
              fmt::format("Failed to set up the image: '{}' is a symbolic link",
                          at.lexically_relative(root).string())};
    }
  }
  return {};
}

Status failed(const std::string& what) {
  return {StatusCode::kUnavailable, fmt::format("Failed to {}: {}", what, std::strerror(errno))};
}

// A file (created empty when missing) to bind a host file onto. Stays inside the rootfs: the
// path is resolved while the rootfs is not yet "/", so a symlink in the image could point
// out; such targets are replaced by a plain file.
Status ensureFile(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    fs::remove_all(path, ec);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return failed(fmt::format("create '{}'", path.string()));
  }
  ::close(fd);
  return {};
}

Status ensureDir(const fs::path& path) {
  std::error_code ec;
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    fs::remove_all(path, ec);
  }
  fs::create_directories(path, ec);
  if (ec) {
    return {StatusCode::kUnavailable,
            fmt::format("Failed to create '{}': {}", path.string(), ec.message())};
  }
  return {};
}

Status bindFile(const std::string& host, const fs::path& target, bool read_only) {
  if (::access(host.c_str(), F_OK) != 0) {
    return {};  // mount only what the host has
  }
  if (Status s = ensureFile(target); !s.isOk()) {
    return s;
  }
  if (::mount(host.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return failed(fmt::format("bind '{}' at '{}'", host, target.string()));
  }
  if (read_only && ::mount(nullptr, target.c_str(), nullptr,
                           MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    return failed(fmt::format("make '{}' read-only", target.string()));
  }
  return {};
}

// The host's file copied into the rootfs (the container's own copy, in its upper layer, as
// Docker gives one): no mount to make, nor to tear down when the container goes. An image's
// own file is removed and a new one created rather than truncated: on overlay, opening a
// lower file for writing copies it up, and overlay syncs each copy-up to disk (2-9 ms per
// file measured on ext4 under load; a create over the whiteout costs about 0.1 ms).
Status copyHostFile(const fs::path& root, const std::string& host) {
  int in = ::open(host.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return {};  // only what the host has
  }
  std::string content;
  char buf[4096];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) > 0;) {
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(in);
  fs::path target = root / fs::path(host).relative_path();
  if (Status s = checkNoSymlinks(root, target); !s.isOk()) {
    return s;
  }
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (fs::is_directory(fs::symlink_status(target, ec))) {
    fs::remove_all(target, ec);  // rename() below replaces a file or a link, not a folder
  }
  // Written aside and renamed over the target: another entry into the same rootfs at the same
  // time (a command health check entering the task's image while the task enters it) replaces
  // the file with the same content instead of finding it half made or already there.
  // Named by pid and time: two entries may each be pid 1 of their own pid namespace.
  fs::path aside = target.parent_path() /
                   fmt::format(".{}.plateau-{}-{}", target.filename().string(), ::getpid(),
                               std::chrono::steady_clock::now().time_since_epoch().count());
  int out = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  bool written = out >= 0 && ::write(out, content.data(), content.size()) ==
                                 static_cast<ssize_t>(content.size());
  if (out >= 0) {
    ::close(out);
  }
  if (!written || ::rename(aside.c_str(), target.c_str()) != 0) {
    Status error = failed(fmt::format("copy '{}' into the rootfs", host));
    ::unlink(aside.c_str());
    return error;
  }
  return {};
}

Status mountDev(const fs::path& root) {
  fs::path dev = root / "dev";
  if (Status s = ensureDir(dev); !s.isOk()) {
    return s;
  }
  if (::mount("tmpfs", dev.c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") != 0) {
    return failed("mount /dev");
  }
  // Made as device nodes with the host's numbers (cheaper than a bind mount each, and nothing
  // to unmount when the container goes), bound from the host where mknod is not allowed.
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string host = std::string("/dev/") + node;
    struct stat st;
    if (::stat(host.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
      continue;  // only what the host has
    }
    if (::mknod((dev / node).c_str(), S_IFCHR | 0666, st.st_rdev) == 0) {
      ::chmod((dev / node).c_str(), 0666);  // whatever the umask took away
      continue;
    }
    if (Status s = bindFile(host, dev / node, false); !s.isOk()) {
      return s;
    }
  }
  std::error_code ec;
  fs::create_directories(dev / "pts", ec);
  if (::mount("devpts", (dev / "pts").c_str(), "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=620") == 0) {
    fs::create_symlink("pts/ptmx", dev / "ptmx", ec);
  }
  fs::create_directories(dev / "shm", ec);
  if (::mount("tmpfs", (dev / "shm").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    return failed("mount /dev/shm");
  }
  fs::create_symlink("/proc/self/fd", dev / "fd", ec);
  fs::create_symlink("/proc/self/fd/0", dev / "stdin", ec);
  fs::create_symlink("/proc/self/fd/1", dev / "stdout", ec);
  fs::create_symlink("/proc/self/fd/2", dev / "stderr", ec);
  return {};
}

// Becomes the image's `name` (after pivot_root: "/" is the image): the sandbox is handed over
// so the task can write there, then groups, gid and uid, in that order.
Status switchUser(const std::string& name, const std::string& sandbox_directory) {
  auto user = readImageUser("/", name);
  if (!user) {
    return {user.error().code(), "Failed to switch to the task's user: " + user.error().message()};
  }
  std::error_code ec;
  ::lchown(sandbox_directory.c_str(), user->uid, user->gid);
  for (fs::recursive_directory_iterator it(sandbox_directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    ::lchown(it->path().c_str(), user->uid, user->gid);
  }
  if (::setgroups(user->groups.size(), user->groups.data()) != 0 || ::setgid(user->gid) != 0 ||
      ::setuid(user->uid) != 0) {
    return failed(fmt::format("switch to user '{}' (uid {}, gid {})", name, user->uid, user->gid));
  }
  ::setenv("USER", name.c_str(), 1);
  ::setenv("LOGNAME", name.c_str(), 1);
  if (!user->home.empty()) {
    ::setenv("HOME", user->home.c_str(), 1);
  }
  return {};
}

// Binds each volume at its target (below the sandbox when relative), never through a symbolic
// link of the image, read-only when asked.
Status mountVolumes(const fs::path& root, const EnterOptions& o) {
  for (const auto& m : o.mounts) {
    std::string inside =
        m.target.starts_with("/") ? m.target : (fs::path(o.sandbox_directory) / m.target).string();
    fs::path target = root / fs::path(inside).relative_path();
    if (Status s = checkNoSymlinks(root, target / "x"); !s.isOk()) {
      return s;
    }
    if (Status s = ensureDir(target); !s.isOk()) {
      return s;
    }
    if (::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      return failed(fmt::format("mount the volume '{}' at '{}'", m.source, inside));
    }
    if (m.read_only && ::mount(nullptr, target.c_str(), nullptr,
                               MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, nullptr) != 0) {
      return failed(fmt::format("make the volume at '{}' read-only", inside));
    }
  }
  return {};
}

// Runs the program in the host's filesystem with the volume mounts only (no rootfs): absolute
// targets must exist, relative ones are made below the sandbox (never through a link).
Status mountVolumesOnHost(const EnterOptions& o) {
  for (const auto& m : o.mounts) {
    fs::path target =
        m.target.starts_with("/") ? fs::path(m.target) : fs::path(o.sandbox) / m.target;
    if (m.target.starts_with("/")) {
      struct stat st;
      if (::stat(target.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return {StatusCode::kInvalidArgument,
                fmt::format("the volume's container_path '{}' is not a folder on the host "
                            "(the container has no image of its own)",
                            m.target)};
      }
    } else if (Status s = checkNoSymlinks(o.sandbox, target / "x"); !s.isOk()) {
      return s;
    } else if (Status made = ensureDir(target); !made.isOk()) {
      return made;
    }
    if (::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      return failed(fmt::format("mount the volume '{}' at '{}'", m.source, target.string()));
    }
    if (m.read_only && ::mount(nullptr, target.c_str(), nullptr,
                               MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, nullptr) != 0) {
      return failed(fmt::format("make the volume at '{}' read-only", target.string()));
    }
  }
  return {};
}

// The last steps, in the container's root: the user, the working directory, exec.
Status execIn(const EnterOptions& o, const std::string& sandbox_inside) {
  if (!o.user.empty()) {
    if (Status s = switchUser(o.user, sandbox_inside); !s.isOk()) {
      return s;
    }
  }
  std::string cwd = o.working_dir.empty() ? sandbox_inside : o.working_dir;
  if (::chdir(cwd.c_str()) != 0) {
    return failed(fmt::format("enter the working directory '{}'", cwd));
  }
  std::vector<char*> argv;
  for (const auto& a : o.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const std::string& program = o.program.empty() ? o.argv[0] : o.program;
  ::execvp(program.c_str(), argv.data());
  return failed(fmt::format("execute '{}'{}", program, o.rootfs.empty() ? "" : " in the image"));
}

// Makes `root` the root of this mount namespace and detaches the host's. pivot_root(".", ".")
// stacks the old root on the new one, so no folder has to be made (and removed) in the image
// for it: removing one from an overlay rootfs took 2-5 ms.
bool pivotInto(const fs::path& root) {
  int old_root = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0) {
    return false;
  }
  bool ok = ::chdir(root.c_str()) == 0 && ::syscall(SYS_pivot_root, ".", ".") == 0 &&
            ::fchdir(old_root) == 0 && ::umount2(".", MNT_DETACH) == 0 && ::chdir("/") == 0;
  int saved = errno;
  ::close(old_root);
  errno = saved;
  return ok;
}

}  // namespace

Result<EnterOptions> parseEnterArgs(const std::vector<std::string>& args) {
  EnterOptions o;
  size_t i = 0;
  for (; i < args.size(); i++) {
    const std::string& a = args[i];
    auto take = [&](const char* flag, std::string* out) {
      std::string prefix = std::string("--") + flag + "=";
      if (a.starts_with(prefix)) {
        *out = a.substr(prefix.size());
        return true;
      }
      return false;
    };
    if (a == "--") {
      i++;
      break;
    }
    std::string mount;
    if (take("mount", &mount)) {  // MODE:TARGET:SOURCE, MODE ro or rw
      size_t colon = mount.find(':', 3);
      if (!(mount.starts_with("ro:") || mount.starts_with("rw:")) || colon == std::string::npos) {
        return invalidArgument(fmt::format("--mount='{}': expected ro|rw:TARGET:SOURCE", mount));
      }
      o.mounts.push_back(
          {mount.substr(colon + 1), mount.substr(3, colon - 3), mount.starts_with("ro:")});
      continue;
    }
    if (!take("rootfs", &o.rootfs) && !take("sandbox", &o.sandbox) &&
        !take("sandbox_directory", &o.sandbox_directory) && !take("working_dir", &o.working_dir) &&
        !take("user", &o.user) && !take("program", &o.program)) {
      return invalidArgument(fmt::format("unknown argument '{}'", a));
    }
  }
  o.argv.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (o.sandbox.empty() || (!o.rootfs.empty() && o.sandbox_directory.empty())) {
    return invalidArgument("--sandbox is required, and --sandbox_directory with --rootfs");
  }
  if (!o.rootfs.empty() && !o.sandbox_directory.starts_with("/")) {
    return invalidArgument("--sandbox_directory must be an absolute path");
  }
  if (o.argv.empty()) {
    return invalidArgument("no program given after '--'");
  }
  return o;
}

std::vector<std::string> enterArgs(const std::string& program, const EnterOptions& o) {
  std::vector<std::string> args = {program, "--rootfs=" + o.rootfs, "--sandbox=" + o.sandbox,
                                   "--sandbox_directory=" + o.sandbox_directory,
                                   "--working_dir=" + o.working_dir};
  if (!o.user.empty()) {
    args.push_back("--user=" + o.user);
  }
  if (!o.program.empty()) {
    args.push_back("--program=" + o.program);
  }
  for (const auto& m : o.mounts) {
    args.push_back(fmt::format("--mount={}:{}:{}", m.read_only ? "ro" : "rw", m.target, m.source));
  }
  args.push_back("--");
  args.insert(args.end(), o.argv.begin(), o.argv.end());
  return args;
}

Status enterAndExec(const EnterOptions& o) {
  if (::unshare(CLONE_NEWNS) != 0) {
    return failed("enter a new mount namespace");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return failed("make the mount namespace private");
  }
  if (o.rootfs.empty()) {
    if (Status s = mountVolumesOnHost(o); !s.isOk()) {
      return s;
    }
    return execIn(o, o.sandbox);
  }
  const fs::path root = o.rootfs;
  // pivot_root needs the new root to be a mount point (a copied rootfs is not).
  if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return failed(fmt::format("bind the rootfs '{}'", o.rootfs));
  }
  for (const char* dir : {"proc", "sys", "tmp"}) {
    if (Status s = ensureDir(root / dir); !s.isOk()) {
      return s;
    }
  }
  if (::mount("proc", (root / "proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) !=
      0) {
    return failed("mount /proc");
  }
  if (::mount("sysfs", (root / "sys").c_str(), "sysfs",
              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return failed("mount /sys");
  }
  if (Status s = mountDev(root); !s.isOk()) {
    return s;
  }
  for (const char* file : {"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}) {
    if (Status s = copyHostFile(root, file); !s.isOk()) {
      return s;
    }
  }
  fs::path sandbox = root / o.sandbox_directory.substr(1);
  for (const auto& inside : {root / "etc" / "hosts", sandbox / "x"}) {
    if (Status s = checkNoSymlinks(root, inside); !s.isOk()) {
      return s;
    }
  }
  if (Status s = ensureDir(sandbox); !s.isOk()) {
    return s;
  }
  if (::mount(o.sandbox.c_str(), sandbox.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return failed(fmt::format("bind the sandbox at '{}'", o.sandbox_directory));
  }
  if (Status s = mountVolumes(root, o); !s.isOk()) {
    return s;
  }
  return pivotInto(root) ? execIn(o, o.sandbox_directory) : failed("pivot_root");
}

}  // namespace plateau::agent::images
