#pragma once

// The standalone master's durable registry: one SQLite file in --work_dir (--registry=local).
// SQLite runs on a worker thread (commits fsync); results come back on the loop.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "master/registry/registry.h"
#include "runtime/timers.h"

struct sqlite3;

namespace plateau::master::registry {

class SqliteRegistry : public Registry {
 public:
  // Opens (creating if needed) `path`. Errors name the file.
  static Result<std::unique_ptr<SqliteRegistry>> open(Timers& loop, const std::string& path);
  ~SqliteRegistry() override;

  void recover(std::function<void(Result<State>)> done) override;
  void apply(std::vector<Change> changes, std::function<void(Status)> done) override;
  std::string name() const override { return "local"; }

 private:
  SqliteRegistry(Timers& loop, sqlite3* db);
  void run();
  void submit(std::function<void()> job);
  Result<State> load();
  Status store(const std::vector<Change>& changes);

  Timers& loop_;
  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace plateau::master::registry
