#include "auth/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::auth {
namespace {

class ObservingExchange final : public http::Exchange {
 public:
  ObservingExchange(http::Responder inner, std::function<void(int)> on_status)
      : inner_(std::move(inner)), on_status_(std::move(on_status)) {}

  void respond(http::Response response) override {
    report(response.status);
    inner_.respond(std::move(response));
  }
  std::shared_ptr<http::Stream> stream(int status, http::Headers headers) override {
    report(status);
    return inner_.stream(status, std::move(headers));
  }

 private:
  void report(int status) {
    if (on_status_) {
      auto fn = std::move(on_status_);
      on_status_ = nullptr;
      fn(status);
    }
  }

  http::Responder inner_;
  std::function<void(int)> on_status_;
};

}  // namespace

std::string auditLine(const AuditRecord& record) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("time");
  w.value(record.time);
  w.key("principal");
  w.value(record.principal);
  w.key("call");
  w.value(record.call);
  w.key("target");
  w.value(record.target);
  w.key("outcome");
  w.value(record.status);
  w.key("source");
  w.value(record.source);
  w.endObject();
  return out;
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  std::FILE* file = fd < 0 ? nullptr : ::fdopen(fd, "a");
  if (file == nullptr) {
    if (fd >= 0) {
      ::close(fd);
    }
    return std::unexpected(
        Status(StatusCode::kInvalidArgument,
               fmt::format("Flag '--audit_log': cannot open '{}' for appending", path)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file));
}

AuditLog::~AuditLog() { std::fclose(file_); }

void AuditLog::record(const AuditRecord& record) {
  std::string line = auditLine(record);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

http::Responder observeStatus(http::Responder inner, std::function<void(int status)> on_status) {
  return http::Responder(
      std::make_shared<ObservingExchange>(std::move(inner), std::move(on_status)));
}

}  // namespace plateau::auth
