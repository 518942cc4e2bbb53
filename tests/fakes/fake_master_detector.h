#pragma once

// A MasterDetector whose leader the test sets: detect() answers at once when the leader (or a
// detection error) differs from `previous`, else when the test changes the leader; a second
// detect() replaces a pending one, as the real detectors do.

#include <optional>
#include <utility>

#include "client/master_detector.h"

namespace plateau::testing {

class FakeMasterDetector final : public client::MasterDetector {
 public:
  explicit FakeMasterDetector(Result<Leader> leader) : leader_(std::move(leader)) {}

  void detect(const Leader& previous, Callback done) override {
    ++detections_;
    previous_ = previous;
    pending_ = std::move(done);
    maybeAnswer();
  }

  void setLeader(Result<Leader> leader) {
    leader_ = std::move(leader);
    maybeAnswer();
  }

  // How many times detect() was called.
  int detections() const { return detections_; }
  bool pending() const { return static_cast<bool>(pending_); }

 private:
  static bool same(const Leader& a, const Leader& b) {
    return a.has_value() == b.has_value() && (!a || a->toString() == b->toString());
  }

  void maybeAnswer() {
    if (!pending_ || (leader_ && same(*leader_, previous_))) {
      return;
    }
    auto done = std::move(pending_);
    pending_ = nullptr;
    done(leader_);
  }

  Result<Leader> leader_;
  Leader previous_;
  Callback pending_;
  int detections_ = 0;
};

}  // namespace plateau::testing
