#pragma once

// Master detection for the client libraries: which master leads now, and when that changes.
// A detector is made from the --master text a framework is given:
//   host:port, http://host:port    one standalone master (a non-leading master redirects us);
//   file:///path                   a file holding one of these forms (read when detecting);
//   zk://host:port[,host:port]/path  the leader elected through ZooKeeper.

#include <memory>
#include <string_view>

#include "client/detector.h"

namespace plateau::client {

// The detector for `master`, running on `loop` (which must outlive it). InvalidArgument for
// text that is none of the forms above.
Result<std::unique_ptr<MasterDetector>> createMasterDetector(EventLoop& loop,
                                                             std::string_view master);

}  // namespace plateau::client
