#pragma once

// A registry that forgets everything when the master stops (--registry=in_memory).

#include "master/registry/registry.h"
#include "runtime/timers.h"

namespace plateau::master::registry {

class InMemoryRegistry : public Registry {
 public:
  explicit InMemoryRegistry(Timers& loop) : loop_(loop) {}
  void recover(std::function<void(Result<State>)> done) override;
  void apply(std::vector<Change> changes, std::function<void(Status)> done) override;
  std::string name() const override { return "in_memory"; }

 private:
  Timers& loop_;
  State state_;
};

}  // namespace plateau::master::registry
