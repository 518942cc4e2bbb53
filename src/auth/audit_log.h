#pragma once

// The audit log (--audit_log): one JSON line per write call (scheduler calls, operator calls
// that change something, the legacy write endpoints), saying when, who (principal), what (call),
// on what (target), from where (source address) and how it ended (the HTTP status).

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/server.h"

namespace plateau::auth {

struct AuditRecord {
  double time = 0;        // seconds since the epoch
  std::string principal;  // "" when anonymous
  std::string call;       // "ACCEPT", "RESERVE_RESOURCES", "POST /master/teardown", ...
  std::string target;     // "framework_id=...", "agent_id=...", ... ("" when none)
  std::string source;     // the peer's "ip:port"
  int status = 0;         // the HTTP status of the answer
};

// {"time":...,"principal":...,"call":...,"target":...,"outcome":<status>,"source":...}
std::string auditLine(const AuditRecord& record);

// Appends lines to a file, each flushed as written. Loop thread only.
class AuditLog {
 public:
  // Opens `path` for appending (created 0600 if missing). InvalidArgument naming the flag when
  // it cannot be opened.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void record(const AuditRecord& record);

 private:
  explicit AuditLog(std::FILE* file) : file_(file) {}
  std::FILE* file_;
};

// A responder that answers through `inner` and calls `on_status` with the status it answered
// with (once; 500 when dropped unanswered).
http::Responder observeStatus(http::Responder inner, std::function<void(int status)> on_status);

}  // namespace plateau::auth
