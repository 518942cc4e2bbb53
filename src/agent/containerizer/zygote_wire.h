#pragma once

// What the agent and the executor zygote (zygote.h, zygote_server.h) say to each other over
// their socket: one request per launch, one reply to each. A frame is a 32-bit length (host
// order: both ends are the same machine) and that many bytes. Decoding refuses malformed or
// oversized input with an error instead of trusting it.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::agent::zygote {

// The variable that makes plateau-executor the zygote, naming its socket's descriptor.
inline constexpr const char* kZygoteVariable = "PLATEAU_ZYGOTE_FD";

// The most a frame may hold (a whole environment fits many times over).
inline constexpr uint32_t kMaxFrame = 16u << 20;

// One process to start: what exec would have been given, and what the launcher does between
// fork and exec.
struct Request {
  std::vector<std::string> argv;     // argv[0] included; the program is the zygote itself
  std::vector<std::string> env;      // "NAME=value": the whole environment
  std::string working_dir;           // empty: the zygote's
  std::string stdout_path;           // empty: the zygote's
  std::string stderr_path;           // empty: the zygote's
  std::vector<std::string> cgroups;  // cgroup.procs files the process joins first
  bool switch_user = false;          // become uid/gid/groups before running
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
};

// The answer: the new process's pid, or why it could not start (pid 0).
struct Reply {
  pid_t pid = 0;
  std::string error;
};

std::string encode(const Request& request);
std::string encode(const Reply& reply);
Result<Request> decodeRequest(std::string_view bytes);
Result<Reply> decodeReply(std::string_view bytes);

// Writes one frame (length and bytes) to a blocking descriptor; false on any error.
bool writeFrame(int fd, std::string_view payload);
// Reads one frame from a blocking descriptor: nullopt at end of file, on an error or when the
// length is over kMaxFrame.
std::optional<std::string> readFrame(int fd);

}  // namespace plateau::agent::zygote
