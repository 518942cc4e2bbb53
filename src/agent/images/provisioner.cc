#include "agent/images/provisioner.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

bool kernelHasOverlay() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    if (line.ends_with("\toverlay") || line == "overlay") {
      return true;
    }
  }
  return false;
}

bool isWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool isOpaque(const fs::path& dir) {
  char value[4] = {};
  ssize_t n = ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

Status copyEntry(const fs::path& from, const fs::path& to, const struct stat& st) {
  std::error_code ec;
  if (S_ISDIR(st.st_mode)) {
    struct stat existing;
    if (::lstat(to.c_str(), &existing) == 0 && !S_ISDIR(existing.st_mode)) {
      fs::remove(to, ec);
    }
    fs::create_directory(to, ec);
  } else {
    fs::remove_all(to, ec);
    if (S_ISLNK(st.st_mode)) {
      fs::copy_symlink(from, to, ec);
    } else if (S_ISREG(st.st_mode)) {
      fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    } else if (::mknod(to.c_str(), st.st_mode, st.st_rdev) != 0) {
      ec = std::error_code(errno, std::generic_category());
    }
  }
  if (ec) {
    return {StatusCode::kUnavailable,
            fmt::format("Failed to copy '{}': {}", from.string(), ec.message())};
  }
  (void)::lchown(to.c_str(), st.st_uid, st.st_gid);
  if (!S_ISLNK(st.st_mode)) {
    (void)::chmod(to.c_str(), st.st_mode & 07777);
  }
  return {};
}

Status copyTree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path source = it->path();
    const fs::path target = to / source.filename();
    struct stat st;
    if (::lstat(source.c_str(), &st) != 0) {
      continue;
    }
    if (isWhiteout(st)) {
      fs::remove_all(target, ec);
      ec.clear();
      continue;
    }
    if (S_ISDIR(st.st_mode) && isOpaque(source)) {
      fs::remove_all(target, ec);
      ec.clear();
    }
    if (Status s = copyEntry(source, target, st); !s.isOk()) {
      return s;
    }
    if (S_ISDIR(st.st_mode)) {
      if (Status s = copyTree(source, target); !s.isOk()) {
        return s;
      }
    }
  }
  if (ec) {
    return {StatusCode::kUnavailable,
            fmt::format("Failed to read '{}': {}", from.string(), ec.message())};
  }
  return {};
}

}  // namespace

Result<Backend> chooseBackend(const std::string& flag) {
  if (flag == "copy") {
    return Backend::kCopy;
  }
  if (flag == "overlay" || flag.empty()) {
    if (kernelHasOverlay()) {
      return Backend::kOverlay;
    }
    if (flag.empty()) {
      return Backend::kCopy;
    }
    return invalidArgument(
        "Flag '--image_provisioner_backend': 'overlay' is not in this kernel's /proc/filesystems");
  }
  return invalidArgument(fmt::format(
      "Flag '--image_provisioner_backend' must be 'overlay' or 'copy', not '{}'", flag));
}

const char* backendName(Backend backend) {
  return backend == Backend::kOverlay ? "overlay" : "copy";
}

Status applyLayerCopy(const std::string& layer, const std::string& rootfs) {
  return copyTree(layer, rootfs);
}

std::string Provisioner::containerDir(const std::string& container_id) const {
  return (fs::path(dir_) / "containers" / container_id).string();
}

Result<std::string> Provisioner::provision(const std::string& container_id,
                                           const std::vector<std::string>& layers) {
  fs::path dir = containerDir(container_id);
  fs::path rootfs = dir / "rootfs";
  std::error_code ec;
  destroyOne(container_id);
  fs::create_directories(rootfs, ec);
  if (ec) {
    return unavailable(fmt::format("Failed to create '{}': {}", rootfs.string(), ec.message()));
  }
  auto fail = [&](std::string why) {
    destroyOne(container_id);
    return unavailable(std::move(why));
  };
  {
    std::ofstream record(dir / "layers", std::ios::trunc);
    for (const auto& layer : layers) {
      record << layer << "\n";
    }
    if (!record.flush()) {
      return fail(fmt::format("Failed to write '{}'", (dir / "layers").string()));
    }
  }
  if (layers.empty()) {
    return rootfs.string();
  }
  if (backend_ == Backend::kCopy) {
    for (const auto& layer : layers) {
      if (Status s = applyLayerCopy(layer, rootfs.string()); !s.isOk()) {
        return fail(s.message());
      }
    }
    return rootfs.string();
  }
  fs::create_directories(dir / "upper", ec);
  fs::create_directories(dir / "work", ec);
  std::string lower;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    lower += (lower.empty() ? "" : ":") + *it;
  }
  std::string options = fmt::format("lowerdir={},upperdir={},workdir={}", lower,
                                    (dir / "upper").string(), (dir / "work").string());
  if (::mount("overlay", rootfs.c_str(), "overlay", 0, options.c_str()) != 0) {
    return fail(fmt::format("Failed to mount the overlay rootfs at '{}': {}", rootfs.string(),
                            std::strerror(errno)));
  }
  return rootfs.string();
}

void Provisioner::destroy(const std::string& container_id) {
  std::error_code ec;
  const std::string nested = container_id + ".";
  for (fs::directory_iterator it(fs::path(dir_) / "containers", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename().string().starts_with(nested)) {
      destroyOne(it->path().filename().string());
    }
  }
  destroyOne(container_id);
}

void Provisioner::destroyOne(const std::string& container_id) {
  fs::path dir = containerDir(container_id);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return;
  }
  // Detached, so a process still holding a file there cannot keep the folder alive.
  while (::umount2((dir / "rootfs").c_str(), MNT_DETACH) == 0) {
  }
  // Never remove through a mount that would not go: it could reach the layers below.
  struct stat outer;
  struct stat inner;
  if (::stat(dir.c_str(), &outer) == 0 && ::stat((dir / "rootfs").c_str(), &inner) == 0 &&
      outer.st_dev != inner.st_dev) {
    return;
  }
  fs::remove_all(dir, ec);
}

std::set<std::string> Provisioner::layersInUse() const {
  std::set<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(dir_) / "containers", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::ifstream record(it->path() / "layers");
    std::string line;
    while (std::getline(record, line)) {
      if (!line.empty()) {
        out.insert(line);
      }
    }
  }
  return out;
}

void Provisioner::recover(const std::vector<std::string>& alive) {
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(dir_) / "containers", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string id = it->path().filename().string();
    // A nested rootfs (a task of a group, an image volume) lives as long as its container.
    std::string outer = id.substr(0, id.find('.'));
    if (std::find(alive.begin(), alive.end(), outer) == alive.end()) {
      destroyOne(id);
    }
  }
}

}  // namespace plateau::agent::images
