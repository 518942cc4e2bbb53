#include "agent/images/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "common/fd.h"

namespace plateau::agent::images {

namespace fs = std::filesystem;

namespace {

// libarchive's message of the last error; it may have none (NULL).
const char* archiveError(struct archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown archive error";
}

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};

Status layerError(const std::string& tar_path, const std::string& why) {
  return {StatusCode::kInvalidArgument, fmt::format("Invalid layer '{}': {}", tar_path, why)};
}

// The first component of `rel`'s parent path (under `dest`) that is a symbolic link, or "".
std::string symlinkOnPath(const std::string& dest, const std::string& rel) {
  std::string prefix;
  size_t start = 0;
  while (true) {
    size_t slash = rel.find('/', start);
    if (slash == std::string::npos) {
      return "";
    }
    prefix = rel.substr(0, slash);
    struct stat st;
    std::string full = dest + "/" + prefix;
    if (::lstat(full.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return prefix;
    }
    start = slash + 1;
  }
}

Status makeWhiteout(const std::string& dest, const Whiteout& w) {
  fs::path target = fs::path(dest) / w.target;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (w.kind == WhiteoutKind::kOpaque) {
    fs::create_directories(target, ec);
    if (::setxattr(target.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return {StatusCode::kUnavailable,
              fmt::format("Failed to mark '{}' opaque: {}", w.target, std::strerror(errno))};
    }
    return {};
  }
  fs::remove_all(target, ec);
  if (::mknod(target.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
    return {StatusCode::kUnavailable, fmt::format("Failed to write the whiteout for '{}': {}",
                                                  w.target, std::strerror(errno))};
  }
  return {};
}

Status copyData(archive* in, archive* out) {
  const void* buffer = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  while (true) {
    int rc = archive_read_data_block(in, &buffer, &size, &offset);
    if (rc == ARCHIVE_EOF) {
      return {};
    }
    if (rc < ARCHIVE_WARN) {
      return {StatusCode::kInvalidArgument, archiveError(in)};
    }
    if (archive_write_data_block(out, buffer, size, offset) < ARCHIVE_WARN) {
      return {StatusCode::kUnavailable, archiveError(out)};
    }
  }
}

}  // namespace

Result<std::string> checkEntryPath(const std::string& name) {
  if (name.starts_with("/")) {
    return invalidArgument(
        fmt::format("entry '{}' has an absolute path: it escapes the layer's root", name));
  }
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) {
      end = name.size();
    }
    std::string component = name.substr(start, end - start);
    start = end + 1;
    if (component.empty() || component == ".") {
      continue;
    }
    if (component == "..") {
      return invalidArgument(
          fmt::format("entry '{}' climbs with '..': it escapes the layer's root", name));
    }
    out += (out.empty() ? "" : "/") + component;
  }
  return out;
}

Whiteout classifyWhiteout(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base == kOpaqueMarker) {
    return {WhiteoutKind::kOpaque, dir};
  }
  if (base.starts_with(kWhiteoutPrefix) && base.size() > kWhiteoutPrefix.size()) {
    std::string hidden = base.substr(kWhiteoutPrefix.size());
    return {WhiteoutKind::kFile, dir.empty() ? hidden : dir + "/" + hidden};
  }
  return {};
}

Status unpackLayer(const std::string& tar_path, const std::string& dest) {
  std::unique_ptr<archive, ReadCloser> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), tar_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return layerError(tar_path, archiveError(in.get()));
  }
  std::unique_ptr<archive, WriteCloser> out(archive_write_disk_new());
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR |
                                                ARCHIVE_EXTRACT_UNLINK |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc < ARCHIVE_WARN) {
      return layerError(tar_path, archiveError(in.get()));
    }
    const char* raw = archive_entry_pathname(entry);
    auto rel = checkEntryPath(raw != nullptr ? raw : "");
    if (!rel) {
      return layerError(tar_path, rel.error().message());
    }
    if (rel->empty()) {
      continue;
    }
    if (std::string link = symlinkOnPath(dest, *rel); !link.empty()) {
      return layerError(tar_path,
                        fmt::format("entry '{}' would be written through the symbolic link "
                                    "'{}': it escapes the layer's root",
                                    *rel, link));
    }
    if (Whiteout w = classifyWhiteout(*rel); w.kind != WhiteoutKind::kNone) {
      if (Status s = makeWhiteout(dest, w); !s.isOk()) {
        return layerError(tar_path, s.message());
      }
      continue;
    }
    if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
      auto target = checkEntryPath(hard);
      if (!target) {
        return layerError(tar_path, "hard link " + target.error().message());
      }
      if (std::string link = symlinkOnPath(dest, *target + "/x"); !link.empty()) {
        return layerError(tar_path, fmt::format("hard link '{}' points through the symbolic "
                                                "link '{}': it escapes the layer's root",
                                                *rel, link));
      }
      archive_entry_set_hardlink(entry, (dest + "/" + *target).c_str());
    }
    archive_entry_set_pathname(entry, (dest + "/" + *rel).c_str());
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      return layerError(tar_path,
                        fmt::format("cannot write '{}': {}", *rel, archiveError(out.get())));
    }
    if (archive_entry_size(entry) > 0) {
      if (Status s = copyData(in.get(), out.get()); !s.isOk()) {
        return layerError(tar_path, fmt::format("'{}': {}", *rel, s.message()));
      }
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      return layerError(tar_path,
                        fmt::format("cannot finish '{}': {}", *rel, archiveError(out.get())));
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    return layerError(tar_path, archiveError(out.get()));
  }
  return {};
}

namespace {

std::string finishSha256(sha256_ctx& ctx) {
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof(digest), digest);
  std::string hex = "sha256:";
  for (uint8_t b : digest) {
    hex += fmt::format("{:02x}", b);
  }
  return hex;
}

}  // namespace

Result<std::string> sha256File(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return unavailable(fmt::format("Failed to read '{}': {}", path, std::strerror(errno)));
  }
  sha256_ctx ctx;
  sha256_init(&ctx);
  std::vector<uint8_t> buffer(1 << 16);
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return unavailable(fmt::format("Failed to read '{}': {}", path, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    sha256_update(&ctx, static_cast<size_t>(n), buffer.data());
  }
  return finishSha256(ctx);
}

std::string sha256Bytes(std::string_view bytes) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  return finishSha256(ctx);
}

}  // namespace plateau::agent::images
