#pragma once

// Master detection for the client libraries: which master leads now, and when that changes.
// A detector is made from the --master text a framework is given:
//   host:port, http://host:port    one standalone master (a non-leading master redirects us);
//   file:///path                   a file holding one of these forms (read when detecting);
//   zk://host:port[,host:port]/path  the leader elected through ZooKeeper.

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

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

// The detector for `master`, running on `loop` (which must outlive it). InvalidArgument for
// text that is none of the forms above.
Result<std::unique_ptr<MasterDetector>> createMasterDetector(EventLoop& loop,
                                                             std::string_view master);

// A peer at a fixed address that never changes (an executor's agent), on `loop`.
std::unique_ptr<MasterDetector> fixedDetector(EventLoop& loop, http::Endpoint endpoint);

}  // namespace plateau::client
