#include "agent/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace plateau::agent {

namespace fs = std::filesystem;
namespace v1 = mesos::v1;

namespace {

constexpr char kUpdateRecord = 'U';
constexpr char kAckRecord = 'A';

// Ids become directory names: '/', '%' and a leading '.' are escaped so none can leave meta/.
std::string escape(const std::string& id) {
  std::string out;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (c == '/' || c == '%' || c == '\0' || (i == 0 && c == '.')) {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

Status errnoStatus(const std::string& what, const std::string& path) {
  return {StatusCode::kInternal, fmt::format("{} {}: {}", what, path, std::strerror(errno))};
}

Status writeAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errnoStatus("Cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

template <class Message>
bool readMessage(const fs::path& path, Message* message) {
  auto data = readFile(path);
  return data && message->ParsePartialFromString(*data);
}

Status ensureDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return {StatusCode::kInternal, fmt::format("Cannot create {}: {}", dir, ec.message())};
  }
  return {};
}

std::string encodeRecord(char type, const std::string& payload) {
  uint32_t size = static_cast<uint32_t>(payload.size() + 1);
  std::string out(reinterpret_cast<const char*>(&size), sizeof(size));
  out += type;
  out += payload;
  return out;
}

void readUpdates(const fs::path& path, RecoveredTask* task) {
  auto data = readFile(path);
  if (!data) {
    return;
  }
  size_t at = 0;
  while (at + sizeof(uint32_t) <= data->size()) {
    uint32_t size = 0;
    std::memcpy(&size, data->data() + at, sizeof(size));
    at += sizeof(size);
    if (size == 0 || at + size > data->size()) {
      break;  // torn by a crash mid-append
    }
    char type = (*data)[at];
    std::string payload = data->substr(at + 1, size - 1);
    at += size;
    if (type == kUpdateRecord) {
      v1::TaskStatus status;
      if (status.ParsePartialFromString(payload)) {
        task->updates.push_back(std::move(status));
      }
    } else if (type == kAckRecord) {
      task->acknowledged.insert(payload);
    }
  }
}

}  // namespace

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status writeFileAtomic(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errnoStatus("Cannot open", tmp);
  }
  Status s = writeAll(fd, data, tmp);
  if (s.isOk() && ::fsync(fd) != 0) {
    s = errnoStatus("Cannot fsync", tmp);
  }
  ::close(fd);
  if (s.isOk() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = errnoStatus("Cannot rename", tmp);
  }
  return s;
}

Checkpoint::Checkpoint(std::string work_dir) : meta_((fs::path(work_dir) / "meta").string()) {}

std::string Checkpoint::frameworkDir(const std::string& framework_id) const {
  return meta_ + "/frameworks/" + escape(framework_id);
}

std::string Checkpoint::executorDir(const std::string& framework_id,
                                    const std::string& executor_id) const {
  return frameworkDir(framework_id) + "/executors/" + escape(executor_id);
}

std::string Checkpoint::taskDir(const std::string& framework_id, const std::string& executor_id,
                                const std::string& task_id) const {
  return executorDir(framework_id, executor_id) + "/tasks/" + escape(task_id);
}

Status Checkpoint::wipe() const {
  std::error_code ec;
  fs::remove_all(meta_, ec);
  if (ec) {
    return {StatusCode::kInternal, fmt::format("Cannot remove {}: {}", meta_, ec.message())};
  }
  return {};
}

Status Checkpoint::writeAgentId(const std::string& agent_id) const {
  if (Status s = ensureDir(meta_); !s.isOk()) {
    return s;
  }
  return writeFileAtomic(meta_ + "/agent_id", agent_id);
}

Status Checkpoint::writeAgentInfo(const mesos::v1::AgentInfo& info) const {
  if (Status s = ensureDir(meta_); !s.isOk()) {
    return s;
  }
  return writeFileAtomic(meta_ + "/agent.info", info.SerializeAsString());
}

std::optional<mesos::v1::AgentInfo> Checkpoint::readAgentInfo() const {
  mesos::v1::AgentInfo info;
  if (!readMessage(fs::path(meta_) / "agent.info", &info)) {
    return std::nullopt;
  }
  return info;
}

Status Checkpoint::writeSession(const std::string& session) const {
  if (Status s = ensureDir(meta_); !s.isOk()) {
    return s;
  }
  return writeFileAtomic(meta_ + "/session", session);
}

std::string Checkpoint::readSession() const {
  return readFile(fs::path(meta_) / "session").value_or("");
}

Status Checkpoint::writeFramework(const v1::FrameworkInfo& info) const {
  std::string dir = frameworkDir(info.id().value());
  if (Status s = ensureDir(dir); !s.isOk()) {
    return s;
  }
  return writeFileAtomic(dir + "/framework.info", info.SerializePartialAsString());
}

Status Checkpoint::writeExecutor(const std::string& framework_id, const v1::ExecutorInfo& info,
                                 const std::string& container_id, const std::string& directory,
                                 pid_t pid, bool command_executor) const {
  std::string dir = executorDir(framework_id, info.executor_id().value());
  if (Status s = ensureDir(dir); !s.isOk()) {
    return s;
  }
  if (Status s = writeFileAtomic(dir + "/executor.info", info.SerializePartialAsString());
      !s.isOk()) {
    return s;
  }
  return writeFileAtomic(dir + "/run", fmt::format("{}\n{}\n{}\n{}\n", container_id, pid,
                                                   command_executor ? 1 : 0, directory));
}

Status Checkpoint::writeTask(const std::string& framework_id, const std::string& executor_id,
                             const v1::TaskInfo& task) const {
  std::string dir = taskDir(framework_id, executor_id, task.task_id().value());
  if (Status s = ensureDir(dir); !s.isOk()) {
    return s;
  }
  return writeFileAtomic(dir + "/task.info", task.SerializePartialAsString());
}

namespace {

Status appendRecord(const std::string& dir, const std::string& record) {
  if (Status s = ensureDir(dir); !s.isOk()) {
    return s;
  }
  std::string path = dir + "/updates";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errnoStatus("Cannot open", path);
  }
  Status s = writeAll(fd, record, path);
  if (s.isOk() && ::fdatasync(fd) != 0) {
    s = errnoStatus("Cannot fsync", path);
  }
  ::close(fd);
  return s;
}

}  // namespace

Status Checkpoint::appendUpdate(const std::string& framework_id, const std::string& executor_id,
                                const v1::TaskStatus& status) const {
  return appendRecord(taskDir(framework_id, executor_id, status.task_id().value()),
                      encodeRecord(kUpdateRecord, status.SerializePartialAsString()));
}

Status Checkpoint::appendAck(const std::string& framework_id, const std::string& executor_id,
                             const std::string& task_id, const std::string& uuid) const {
  return appendRecord(taskDir(framework_id, executor_id, task_id), encodeRecord(kAckRecord, uuid));
}

void Checkpoint::removeTask(const std::string& framework_id, const std::string& executor_id,
                            const std::string& task_id) const {
  std::error_code ec;
  fs::remove_all(taskDir(framework_id, executor_id, task_id), ec);
}

void Checkpoint::removeExecutor(const std::string& framework_id,
                                const std::string& executor_id) const {
  std::error_code ec;
  fs::remove_all(executorDir(framework_id, executor_id), ec);
  fs::path executors = fs::path(frameworkDir(framework_id)) / "executors";
  if (!fs::exists(executors, ec) || fs::is_empty(executors, ec)) {
    removeFramework(framework_id);
  }
}

void Checkpoint::removeFramework(const std::string& framework_id) const {
  std::error_code ec;
  fs::remove_all(frameworkDir(framework_id), ec);
}

RecoveredState Checkpoint::recover(std::vector<std::string>* errors) const {
  RecoveredState state;
  if (auto id = readFile(fs::path(meta_) / "agent_id"); id && !id->empty()) {
    state.agent_id = *id;
  }
  std::error_code ec;
  fs::path frameworks = fs::path(meta_) / "frameworks";
  if (!fs::is_directory(frameworks, ec)) {
    return state;
  }
  // An entry that could not be read: partial when one of its files is missing, else an error.
  auto skipped = [&](const fs::path& entry, std::initializer_list<const char*> files) {
    std::error_code missing;
    bool partial = std::ranges::any_of(
        files, [&](const char* file) { return !fs::exists(entry / file, missing); });
    if (partial) {
      state.partial.push_back(entry.string());
    } else {
      errors->push_back(fmt::format("unreadable {}", entry.string()));
    }
  };
  for (const auto& fw_entry : fs::directory_iterator(frameworks, ec)) {
    RecoveredFramework framework;
    if (!readMessage(fw_entry.path() / "framework.info", &framework.info)) {
      skipped(fw_entry.path(), {"framework.info"});
      continue;
    }
    std::error_code ec2;
    for (const auto& ex_entry : fs::directory_iterator(fw_entry.path() / "executors", ec2)) {
      RecoveredExecutor executor;
      auto run = readFile(ex_entry.path() / "run");
      if (!readMessage(ex_entry.path() / "executor.info", &executor.info) || !run) {
        skipped(ex_entry.path(), {"executor.info", "run"});
        continue;
      }
      std::istringstream lines(*run);
      std::string pid;
      std::string command;
      std::getline(lines, executor.container_id);
      std::getline(lines, pid);
      std::getline(lines, command);
      std::getline(lines, executor.directory);
      executor.pid = static_cast<pid_t>(std::atoi(pid.c_str()));
      executor.command_executor = command == "1";
      std::error_code ec3;
      for (const auto& task_entry : fs::directory_iterator(ex_entry.path() / "tasks", ec3)) {
        RecoveredTask task;
        if (!readMessage(task_entry.path() / "task.info", &task.info)) {
          skipped(task_entry.path(), {"task.info"});
          continue;
        }
        readUpdates(task_entry.path() / "updates", &task);
        executor.tasks.push_back(std::move(task));
      }
      framework.executors.push_back(std::move(executor));
    }
    state.frameworks.push_back(std::move(framework));
  }
  return state;
}

}  // namespace plateau::agent
