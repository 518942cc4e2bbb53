#include "master/registry/standby_copy.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace plateau::master::registry {

StandbyCopy::StandbyCopy(const Clock& clock, Timers& timers, VersionedStore& store)
    : clock_(clock), timers_(timers), store_(store) {}

StandbyCopy::~StandbyCopy() { stop(); }

void StandbyCopy::start() {
  if (following_) {
    return;
  }
  following_ = true;
  alive_ = std::make_shared<bool>(true);
  watch();
}

void StandbyCopy::stop() {
  following_ = false;
  alive_.reset();
  if (timer_ != 0) {
    timers_.cancel(timer_);
    timer_ = 0;
  }
}

std::optional<Snapshot> StandbyCopy::take(std::optional<int> version) {
  stop();
  if (!copy_ || !version || *version != copy_version_) {
    copy_.reset();
    return std::nullopt;
  }
  std::optional<Snapshot> out = std::move(copy_);
  copy_.reset();
  return out;
}

std::optional<int> StandbyCopy::version() const {
  return copy_ ? std::optional<int>(copy_version_) : std::nullopt;
}

// The watch is set before the version is read, so a change after that read always fires it.
void StandbyCopy::watch() {
  std::weak_ptr<bool> alive = alive_;
  store_.watchVersion(
      [this, alive] {
        if (alive.lock()) {
          onChanged();
        }
      },
      [this, alive](Status status) {
        if (!alive.lock()) {
          return;
        }
        if (!status.isOk()) {
          return later(kRetry);
        }
        refresh();
      });
}

void StandbyCopy::onChanged() {
  if (loading_) {
    again_ = true;
    return;
  }
  later(std::max<std::chrono::nanoseconds>(kMinRefresh, 4 * last_load_));
}

void StandbyCopy::later(std::chrono::nanoseconds delay) {
  if (timer_ != 0) {
    return;  // a read is already due
  }
  timer_ = timers_.after(delay, [this] {
    timer_ = 0;
    watch();
  });
}

void StandbyCopy::refresh() {
  if (loading_) {
    again_ = true;
    return;
  }
  loading_ = true;
  std::weak_ptr<bool> alive = alive_;
  store_.readVersion([this, alive](Result<std::optional<int>> before) {
    if (!alive.lock()) {
      return;
    }
    if (!before) {
      finishLoad();
      return later(kRetry);
    }
    if (!*before || (copy_ && copy_version_ == **before)) {
      // No version yet (its creation fires the watch), or the copy is current.
      return finishLoad();
    }
    const int version = **before;
    const Clock::TimePoint began = clock_.now();
    loads_++;
    store_.readAll([this, alive, version, began](Result<Snapshot> snapshot) {
      if (alive.lock()) {
        onLoaded(version, began, std::move(snapshot));
      }
    });
  });
}

void StandbyCopy::onLoaded(int before, Clock::TimePoint began, Result<Snapshot> snapshot) {
  if (!snapshot) {
    finishLoad();
    return later(kRetry);
  }
  last_load_ = clock_.now() - began;
  std::weak_ptr<bool> alive = alive_;
  store_.readVersion(
      [this, alive, before,
       snapshot = std::make_shared<Snapshot>(std::move(*snapshot))](auto after) mutable {
        if (!alive.lock()) {
          return;
        }
        if (after && *after && **after == before) {
          copy_ = std::move(*snapshot);
          copy_version_ = before;
        } else {
          again_ = true;  // written meanwhile: this read may mix two versions
        }
        finishLoad();
      });
}

void StandbyCopy::finishLoad() {
  loading_ = false;
  if (again_) {
    again_ = false;
    later(std::max<std::chrono::nanoseconds>(kMinRefresh, 4 * last_load_));
  }
}

}  // namespace plateau::master::registry
