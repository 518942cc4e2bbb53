#pragma once

// A registry whose store outlives the master that writes it (so a test can fail a master over
// to a new one on the same store), that can be told to refuse writes, and that answers through
// the Timers like a real backend (never inside the caller).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "master/registry/registry.h"
#include "runtime/timers.h"

namespace plateau::testing {

class FakeRegistry final : public master::registry::Registry {
 public:
  struct Store {
    master::registry::State state;
    std::optional<Status> refuse_writes;  // set: every write fails with it, storing nothing
    size_t writes = 0;                    // successful apply() calls
  };

  FakeRegistry(Timers& timers, std::shared_ptr<Store> store)
      : timers_(timers), store_(std::move(store)) {}

  void recover(std::function<void(Result<master::registry::State>)> done) override {
    timers_.post([store = store_, done = std::move(done)] { done(store->state); });
  }
  void apply(std::vector<master::registry::Change> changes,
             std::function<void(Status)> done) override {
    Status status = store_->refuse_writes.value_or(Status());
    if (status.isOk()) {
      master::registry::State next = store_->state;  // all or nothing, like the real ones
      for (const auto& change : changes) {
        if (status = master::registry::applyTo(next, change); !status.isOk()) {
          break;
        }
      }
      if (status.isOk()) {
        store_->state = std::move(next);
        store_->writes++;
      }
    }
    timers_.post([status, done = std::move(done)] { done(status); });
  }
  std::string name() const override { return "fake"; }

 private:
  Timers& timers_;
  std::shared_ptr<Store> store_;
};

}  // namespace plateau::testing
