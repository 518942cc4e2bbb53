#include "agent/containerizer/zygote_wire.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace plateau::agent::zygote {

namespace {

class Writer {
 public:
  void u32(uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void strs(const std::vector<std::string>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) {
      str(s);
    }
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer wrote; any read past the end marks the input bad and yields zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint32_t u32() {
    uint32_t v = 0;
    if (in_.size() < sizeof(v)) {
      bad_ = true;
      return 0;
    }
    std::memcpy(&v, in_.data(), sizeof(v));
    in_.remove_prefix(sizeof(v));
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    if (n > in_.size()) {
      bad_ = true;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  std::vector<std::string> strs() {
    uint32_t n = u32();
    std::vector<std::string> v;
    // Each entry takes at least its 4-byte length: a count beyond that is a lie.
    if (n > in_.size() / sizeof(uint32_t)) {
      bad_ = true;
      return v;
    }
    for (uint32_t i = 0; i < n && !bad_; ++i) {
      v.push_back(str());
    }
    return v;
  }
  // Whether everything was read, and nothing more was there.
  bool done() const { return !bad_ && in_.empty(); }

 private:
  std::string_view in_;
  bool bad_ = false;
};

}  // namespace

std::string encode(const Request& r) {
  Writer w;
  w.strs(r.argv);
  w.strs(r.env);
  w.str(r.working_dir);
  w.str(r.stdout_path);
  w.str(r.stderr_path);
  w.strs(r.cgroups);
  w.u32(r.switch_user ? 1 : 0);
  w.u32(r.uid);
  w.u32(r.gid);
  w.u32(static_cast<uint32_t>(r.groups.size()));
  for (uint32_t g : r.groups) {
    w.u32(g);
  }
  return w.take();
}

std::string encode(const Reply& r) {
  Writer w;
  w.u32(static_cast<uint32_t>(r.pid));
  w.str(r.error);
  return w.take();
}

Result<Request> decodeRequest(std::string_view bytes) {
  Reader in(bytes);
  Request r;
  r.argv = in.strs();
  r.env = in.strs();
  r.working_dir = in.str();
  r.stdout_path = in.str();
  r.stderr_path = in.str();
  r.cgroups = in.strs();
  r.switch_user = in.u32() != 0;
  r.uid = in.u32();
  r.gid = in.u32();
  uint32_t groups = in.u32();
  if (groups > bytes.size() / sizeof(uint32_t)) {
    return invalidArgument("Malformed zygote request: too many groups");
  }
  for (uint32_t i = 0; i < groups; ++i) {
    r.groups.push_back(in.u32());
  }
  if (!in.done() || r.argv.empty()) {
    return invalidArgument("Malformed zygote request");
  }
  return r;
}

Result<Reply> decodeReply(std::string_view bytes) {
  Reader in(bytes);
  Reply r;
  r.pid = static_cast<pid_t>(in.u32());
  r.error = in.str();
  if (!in.done() || r.pid < 0 || (r.pid == 0 && r.error.empty())) {
    return invalidArgument("Malformed zygote reply");
  }
  return r;
}

namespace {

// Moves all `size` bytes with `io` (read or write), retrying interrupted and partial calls;
// false on an error or at end of file.
template <typename Io, typename Byte>
bool transferAll(Io io, int fd, Byte* data, size_t size) {
  while (size > 0) {
    ssize_t n = io(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool writeFrame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrame) {
    return false;
  }
  auto size = static_cast<uint32_t>(payload.size());
  std::string frame(reinterpret_cast<const char*>(&size), sizeof(size));
  frame += payload;
  return transferAll(::write, fd, frame.data(), frame.size());
}

std::optional<std::string> readFrame(int fd) {
  uint32_t size = 0;
  if (!transferAll(::read, fd, reinterpret_cast<char*>(&size), sizeof(size)) || size > kMaxFrame) {
    return std::nullopt;
  }
  std::string payload(size, '\0');
  if (!transferAll(::read, fd, payload.data(), size)) {
    return std::nullopt;
  }
  return payload;
}

}  // namespace plateau::agent::zygote
