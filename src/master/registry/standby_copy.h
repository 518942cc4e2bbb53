#pragma once

// A standby master's copy of the registry, read while another master leads, so that once
// elected it recovers by comparing one version instead of reading every entry again.
//
// Guarantees:
// - A copy is kept only if it was read whole while the store's version stayed the same (the
//   version is read before and after; a load during which it moved is dropped), and take()
//   hands it over only for exactly that version. The caller reads the version after fencing the
//   store (no earlier leader can write any more), so a stale copy is never used.
// - After a change the copy is read again, no sooner than kMinRefresh and four times the last
//   load's duration after the change was seen, so that a busy registry does not keep a standby
//   (and ZooKeeper) reading it all the time; at most one load runs at a time.
// - Nothing runs after stop() or take(), and nothing inside start() or the store's callbacks
//   but what the store itself calls. All calls on the loop thread.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/status.h"
#include "master/registry/registry.h"
#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::master::registry {

// Everything a store holds, and the keys it has (the backend's bookkeeping of what exists).
struct Snapshot {
  State state;
  std::set<std::string> keys;
};

// What the standby copy needs of a store. Every committed write advances the version.
class VersionedStore {
 public:
  virtual ~VersionedStore() = default;
  // The version now; nullopt when the store has none yet (no leader of this kind wrote it).
  virtual void readVersion(std::function<void(Result<std::optional<int>>)> done) = 0;
  // `changed` runs once when the version next changes, is created or removed; it is set once
  // `done` reports OK.
  virtual void watchVersion(std::function<void()> changed, std::function<void(Status)> done) = 0;
  // Everything stored.
  virtual void readAll(std::function<void(Result<Snapshot>)> done) = 0;
};

class StandbyCopy {
 public:
  static constexpr std::chrono::milliseconds kMinRefresh{1000};
  // After a failed read, the next try.
  static constexpr std::chrono::milliseconds kRetry{1000};

  StandbyCopy(const Clock& clock, Timers& timers, VersionedStore& store);
  ~StandbyCopy();
  StandbyCopy(const StandbyCopy&) = delete;
  StandbyCopy& operator=(const StandbyCopy&) = delete;

  // Reads the store and follows its changes until stop() or take().
  void start();
  // Stops following; the copy held stays for take().
  void stop();
  // The copy, if it is exactly of `version` (read after fencing); else nullopt. Stops following.
  std::optional<Snapshot> take(std::optional<int> version);

  // The version of the copy held, if any.
  std::optional<int> version() const;
  // Whole reads of the store begun so far.
  int loads() const { return loads_; }

 private:
  void watch();
  void onChanged();
  void refresh();
  void onLoaded(int before, Clock::TimePoint began, Result<Snapshot> snapshot);
  void finishLoad();
  void later(std::chrono::nanoseconds delay);

  const Clock& clock_;
  Timers& timers_;
  VersionedStore& store_;
  bool following_ = false;
  bool loading_ = false;
  bool again_ = false;  // a change was seen while loading
  Timers::TimerId timer_ = 0;
  std::chrono::nanoseconds last_load_{0};
  int loads_ = 0;
  // Dropped with any callback still in flight when the copy stops or is destroyed.
  std::shared_ptr<bool> alive_;
  std::optional<Snapshot> copy_;
  int copy_version_ = 0;
};

}  // namespace plateau::master::registry
