#pragma once

// Leadership decided by the test: the master is elected (with the registry the test hands it),
// deposed, or told of another leader exactly when the test says so.

#include <memory>
#include <optional>
#include <string>

#include "master/leadership.h"

namespace plateau::testing {

class FakeLeadership final : public master::Leadership {
 public:
  // What the test keeps to drive the master after handing it the FakeLeadership.
  struct Control {
    bool started = false;
    mesos::v1::MasterInfo self;
    Callbacks callbacks;

    void elect(std::unique_ptr<master::registry::Registry> registry) {
      callbacks.leader(self);
      callbacks.elected(std::move(registry));
    }
    void depose(const std::string& why) { callbacks.lost(why); }
    void detect(std::optional<mesos::v1::MasterInfo> leader) { callbacks.leader(leader); }
  };

  explicit FakeLeadership(std::shared_ptr<Control> control) : control_(std::move(control)) {}
  void start(const mesos::v1::MasterInfo& self, Callbacks callbacks) override {
    control_->started = true;
    control_->self = self;
    control_->callbacks = std::move(callbacks);
  }
  std::string describe() const override { return "leadership=fake"; }
  bool contended() const override { return true; }

 private:
  std::shared_ptr<Control> control_;
};

}  // namespace plateau::testing
