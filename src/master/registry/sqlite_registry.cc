#include "master/registry/sqlite_registry.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace plateau::master::registry {

namespace {

Status sqliteError(sqlite3* db, const std::string& what) {
  return {StatusCode::kUnavailable, fmt::format("{}: {}", what, sqlite3_errmsg(db))};
}

Status exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Status s(StatusCode::kUnavailable, fmt::format("SQLite '{}': {}", sql, error ? error : "?"));
    sqlite3_free(error);
    return s;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(Timers& loop,
                                                             const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status s = sqliteError(db, fmt::format("Cannot open the registry '{}'", path));
    sqlite3_close(db);
    return std::unexpected(s);
  }
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                          "CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, id TEXT NOT "
                          "NULL, data BLOB NOT NULL, PRIMARY KEY (kind, id))"}) {
    if (Status s = exec(db, sql); !s.isOk()) {
      sqlite3_close(db);
      return std::unexpected(s);
    }
  }
  return std::unique_ptr<SqliteRegistry>(new SqliteRegistry(loop, db));
}

SqliteRegistry::SqliteRegistry(Timers& loop, sqlite3* db)
    : loop_(loop), db_(db), worker_([this] { run(); }) {}

SqliteRegistry::~SqliteRegistry() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  worker_.join();
  sqlite3_close(db_);
}

void SqliteRegistry::run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) {
        return;  // stopping, and everything queued has been written
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void SqliteRegistry::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void SqliteRegistry::recover(std::function<void(Result<State>)> done) {
  submit([this, done = std::move(done)]() mutable {
    auto state = load();
    loop_.post([state = std::move(state), done = std::move(done)]() mutable { done(state); });
  });
}

void SqliteRegistry::apply(std::vector<Change> changes, std::function<void(Status)> done) {
  submit([this, changes = std::move(changes), done = std::move(done)]() mutable {
    Status status = store(changes);
    loop_.post([status, done = std::move(done)] { done(status); });
  });
}

Result<State> SqliteRegistry::load() {
  State state;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT kind, id, data FROM entries", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    return std::unexpected(sqliteError(db_, "Cannot read the registry"));
  }
  Status status;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string kind = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    Change change;
    change.id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    change.data.assign(static_cast<const char*>(sqlite3_column_blob(stmt, 2)),
                       sqlite3_column_bytes(stmt, 2));
    bool known = false;
    for (auto k : {Change::Kind::kAgent, Change::Kind::kUnreachable, Change::Kind::kGone,
                   Change::Kind::kFramework, Change::Kind::kWeight, Change::Kind::kMaintenance,
                   Change::Kind::kQuota}) {
      if (kind == kindName(k)) {
        change.kind = k;
        known = true;
      }
    }
    if (!known) {
      continue;  // written by a newer version: keep it, do not fail
    }
    if (status = applyTo(state, change); !status.isOk()) {
      break;
    }
  }
  sqlite3_finalize(stmt);
  if (!status.isOk()) {
    return std::unexpected(status);
  }
  return state;
}

Status SqliteRegistry::store(const std::vector<Change>& changes) {
  if (Status s = exec(db_, "BEGIN IMMEDIATE"); !s.isOk()) {
    return s;
  }
  sqlite3_stmt* put = nullptr;
  sqlite3_stmt* del = nullptr;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO entries (kind, id, data) VALUES (?, ?, ?)", -1,
                     &put, nullptr);
  sqlite3_prepare_v2(db_, "DELETE FROM entries WHERE kind = ? AND id = ?", -1, &del, nullptr);
  Status status;
  for (const auto& change : changes) {
    sqlite3_stmt* stmt = change.remove ? del : put;
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, kindName(change.kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, change.id.c_str(), static_cast<int>(change.id.size()),
                      SQLITE_TRANSIENT);
    if (!change.remove) {
      sqlite3_bind_blob(stmt, 3, change.data.data(), static_cast<int>(change.data.size()),
                        SQLITE_TRANSIENT);
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
      status = sqliteError(db_, "Cannot write the registry");
      break;
    }
  }
  sqlite3_finalize(put);
  sqlite3_finalize(del);
  if (!status.isOk()) {
    (void)exec(db_, "ROLLBACK");
    return status;
  }
  return exec(db_, "COMMIT");
}

}  // namespace plateau::master::registry
