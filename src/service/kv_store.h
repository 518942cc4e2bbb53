#pragma once

// A service's durable state as keys and values (JSON text, usually), behind one interface so
// that plateau-apps and plateau-jobs keep theirs in SQLite under --work_dir or in memory (tests)
// with the same code. Writes are synchronous: a write that returned OK survives a kill -9.
// Single-threaded: the owner's loop thread calls it.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::service {

// One change: `value` set puts the key, nullopt erases it.
struct Write {
  std::string key;
  std::optional<std::string> value;
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  // Every key under `prefix` (all keys for ""), in key order.
  virtual Result<std::map<std::string, std::string>> load(const std::string& prefix) = 0;
  // Applies `writes` atomically: all of them or none (kUnavailable on a storage failure).
  virtual Status apply(const std::vector<Write>& writes) = 0;
  // What it is, for logs and /v2/info ("sqlite:/path", "memory").
  virtual std::string describe() const = 0;

  Status put(const std::string& key, const std::string& value) { return apply({{key, value}}); }
  Status erase(const std::string& key) { return apply({{key, std::nullopt}}); }
};

// Keys and values in a map: for tests and for a service run without --work_dir.
std::unique_ptr<KvStore> makeMemoryStore();

// One SQLite file (WAL journal; created when missing). Errors name the file.
Result<std::unique_ptr<KvStore>> openSqliteStore(const std::string& path);

}  // namespace plateau::service
