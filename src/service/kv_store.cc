#include "service/kv_store.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace plateau::service {

namespace {

class MemoryStore final : public KvStore {
 public:
  Result<std::map<std::string, std::string>> load(const std::string& prefix) override {
    std::map<std::string, std::string> out;
    for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.starts_with(prefix);
         ++it) {
      out.insert(*it);
    }
    return out;
  }
  Status apply(const std::vector<Write>& writes) override {
    for (const auto& w : writes) {
      if (w.value) {
        data_[w.key] = *w.value;
      } else {
        data_.erase(w.key);
      }
    }
    return {};
  }
  std::string describe() const override { return "memory"; }

 private:
  std::map<std::string, std::string> data_;
};

Status sqliteError(sqlite3* db, const std::string& what) {
  return {StatusCode::kUnavailable, fmt::format("{}: {}", what, sqlite3_errmsg(db))};
}

// A prepared statement, finalized on scope exit.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

class SqliteStore final : public KvStore {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override { sqlite3_close(db_); }

  Result<std::map<std::string, std::string>> load(const std::string& prefix) override {
    Statement s;
    if (sqlite3_prepare_v2(db_, "SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k", -1, &s.stmt,
                           nullptr) != SQLITE_OK) {
      return std::unexpected(sqliteError(db_, "SQLite prepare"));
    }
    sqlite3_bind_text(s.stmt, 1, prefix.data(), static_cast<int>(prefix.size()), SQLITE_STATIC);
    std::map<std::string, std::string> out;
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
      std::string key(reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, 0)),
                      sqlite3_column_bytes(s.stmt, 0));
      if (!key.starts_with(prefix)) {
        break;
      }
      out.emplace(std::move(key),
                  std::string(static_cast<const char*>(sqlite3_column_blob(s.stmt, 1)),
                              sqlite3_column_bytes(s.stmt, 1)));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      return std::unexpected(sqliteError(db_, fmt::format("SQLite read of '{}'", path_)));
    }
    return out;
  }

  Status apply(const std::vector<Write>& writes) override {
    if (writes.empty()) {
      return {};
    }
    if (Status st = exec("BEGIN IMMEDIATE"); !st.isOk()) {
      return st;
    }
    for (const auto& w : writes) {
      Statement s;
      const char* sql = w.value ? "INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)"
                                : "DELETE FROM kv WHERE k = ?1";
      if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK) {
        Status st = sqliteError(db_, "SQLite prepare");
        (void)exec("ROLLBACK");
        return st;
      }
      sqlite3_bind_text(s.stmt, 1, w.key.data(), static_cast<int>(w.key.size()), SQLITE_STATIC);
      if (w.value) {
        sqlite3_bind_blob(s.stmt, 2, w.value->data(), static_cast<int>(w.value->size()),
                          SQLITE_STATIC);
      }
      if (sqlite3_step(s.stmt) != SQLITE_DONE) {
        Status st = sqliteError(db_, fmt::format("SQLite write to '{}'", path_));
        (void)exec("ROLLBACK");
        return st;
      }
    }
    return exec("COMMIT");
  }

  std::string describe() const override { return "sqlite:" + path_; }

  Status exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      Status s(StatusCode::kUnavailable,
               fmt::format("SQLite '{}' on '{}': {}", sql, path_, error ? error : "?"));
      sqlite3_free(error);
      return s;
    }
    return {};
  }

 private:
  sqlite3* db_;
  std::string path_;
};

}  // namespace

std::unique_ptr<KvStore> makeMemoryStore() { return std::make_unique<MemoryStore>(); }

Result<std::unique_ptr<KvStore>> openSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status s = sqliteError(db, fmt::format("Cannot open the state store '{}'", path));
    sqlite3_close(db);
    return std::unexpected(s);
  }
  auto store = std::make_unique<SqliteStore>(db, path);
  // WAL with synchronous=NORMAL survives the process being killed at any point; FULL would
  // also survive a power cut at the price of an fsync per commit.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)"}) {
    if (Status s = store->exec(sql); !s.isOk()) {
      return std::unexpected(s);
    }
  }
  return std::unique_ptr<KvStore>(std::move(store));
}

}  // namespace plateau::service
