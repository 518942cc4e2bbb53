#include "agent/standalone_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "agent/checkpoint.h"
#include "agent/containerizer/launcher.h"

namespace plateau::agent {

namespace fs = std::filesystem;

StandaloneCheckpoint::StandaloneCheckpoint(const std::string& work_dir, const std::string& folder)
    : root_((fs::path(work_dir) / "meta" / folder).string()) {}

std::string StandaloneCheckpoint::dir(const std::string& container_id) const {
  return root_ + "/" + container_id;
}

Result<std::string> StandaloneCheckpoint::prepare(const std::string& container_id,
                                                  const std::string& user) const {
  std::error_code ec;
  fs::create_directories(dir(container_id), ec);
  if (ec) {
    return std::unexpected(
        Status(StatusCode::kInternal,
               fmt::format("Cannot create {}: {}", dir(container_id), ec.message())));
  }
  std::string path = dir(container_id) + "/exit_status";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return std::unexpected(Status(StatusCode::kInternal,
                                  fmt::format("Cannot create {}: {}", path, std::strerror(errno))));
  }
  Status owned;
  if (::geteuid() == 0 && !user.empty()) {
    // An unknown user is the containerizer's to report, when it launches the container.
    if (auto ids = lookupUser(user); ids && ::fchown(fd, ids->uid, ids->gid) != 0) {
      owned = Status(StatusCode::kInternal,
                     fmt::format("Cannot chown {}: {}", path, std::strerror(errno)));
    }
  }
  ::close(fd);
  if (!owned.isOk()) {
    return std::unexpected(owned);
  }
  return path;
}

Status StandaloneCheckpoint::write(const StandaloneRecord& record) const {
  return writeFileAtomic(
      dir(record.container_id) + "/container",
      fmt::format("{}\n{}\n{} {} {}\n{}", record.pid, record.sandbox, record.cpus, record.mem_mb,
                  record.disk_mb, record.session ? "session\n" : ""));
}

std::vector<StandaloneRecord> StandaloneCheckpoint::recover(
    std::vector<std::string>* errors) const {
  std::vector<StandaloneRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    StandaloneRecord record;
    record.container_id = entry.path().filename().string();
    auto text = readFile((entry.path() / "container").string());
    std::istringstream in(text.value_or(""));
    in >> record.pid;
    in.ignore(1);
    std::getline(in, record.sandbox);
    in >> record.cpus >> record.mem_mb >> record.disk_mb;
    bool unreadable = !text || in.fail() || record.pid <= 0 || record.sandbox.empty();
    std::string marker;
    in >> marker;  // absent in the records of earlier versions
    record.session = marker == "session";
    if (unreadable) {
      // Launched, but the agent stopped before its record was written: nothing to take over.
      errors->push_back(fmt::format("standalone container {} has no readable record in {}",
                                    record.container_id, entry.path().string()));
      remove(record.container_id);
      continue;
    }
    out.push_back(std::move(record));
  }
  return out;
}

std::optional<int> StandaloneCheckpoint::exitStatus(const std::string& container_id) const {
  auto text = readFile(dir(container_id) + "/exit_status");
  if (!text || text->empty() || text->back() != '\n') {
    return std::nullopt;  // not written (its first process was killed), or torn
  }
  int status = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size() - 1, status);
  if (ec != std::errc() || end != text->data() + text->size() - 1) {
    return std::nullopt;
  }
  return status;
}

void StandaloneCheckpoint::remove(const std::string& container_id) const {
  std::error_code ec;
  fs::remove_all(dir(container_id), ec);
}

}  // namespace plateau::agent
