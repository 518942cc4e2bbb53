#include "client/detector.h"

namespace plateau::client {

namespace {

bool sameLeader(const MasterDetector::Leader& a, const MasterDetector::Leader& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a || (a->host == b->host && a->port == b->port);
}

// One master at a fixed address: the leader never changes from the detector's point of view
// (a non-leading master answers with a redirect, which the connection follows).
class StandaloneDetector : public MasterDetector {
 public:
  StandaloneDetector(EventLoop& loop, http::Endpoint master)
      : loop_(loop), master_(std::move(master)), alive_(std::make_shared<bool>(true)) {}
  ~StandaloneDetector() override { *alive_ = false; }

  void detect(const Leader& previous, Callback done) override {
    if (sameLeader(previous, master_)) {
      return;  // never changes
    }
    loop_.post([alive = alive_, done = std::move(done), master = master_] {
      if (*alive) {
        done(Leader(master));
      }
    });
  }

 private:
  EventLoop& loop_;
  http::Endpoint master_;
  std::shared_ptr<bool> alive_;
};

}  // namespace

std::unique_ptr<MasterDetector> fixedDetector(EventLoop& loop, http::Endpoint endpoint) {
  return std::make_unique<StandaloneDetector>(loop, std::move(endpoint));
}

}  // namespace plateau::client
