#pragma once

// Who leads now, and when that changes: what a Subscription (client/subscription.h) asks before
// each attempt. The detectors that need ZooKeeper or a file are client/master_detector.h's; this
// header and fixedDetector() need neither, so an executor links without them.

#include <functional>
#include <memory>
#include <optional>

#include "common/status.h"
#include "http/client.h"
#include "runtime/event_loop.h"

namespace plateau::client {

class MasterDetector {
 public:
  using Leader = std::optional<http::Endpoint>;
  using Callback = std::function<void(Result<Leader>)>;

  virtual ~MasterDetector() = default;

  // Calls `done` once, on the loop thread, as soon as the leader differs from `previous`
  // (at once when `previous` is nullopt and a leader is known). Detection errors (an
  // unreadable file) arrive as a failed Result. A pending `done` is dropped when the detector
  // is destroyed; a second detect() replaces the pending one.
  virtual void detect(const Leader& previous, Callback done) = 0;
};

// A peer at a fixed address that never changes (an executor's agent), on `loop`.
std::unique_ptr<MasterDetector> fixedDetector(EventLoop& loop, http::Endpoint endpoint);

}  // namespace plateau::client
