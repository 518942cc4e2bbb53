#pragma once

// Which loopback source addresses plateau-sim's agent streams connect from. One source address
// holds about as many connections to one master address as the ephemeral port range has ports,
// so a run with more agents than that spreads their streams over several addresses of
// 127.0.0.0/8 (all loopback on Linux), each bound before connecting (http::Endpoint::source).

#include <cstddef>
#include <string>

namespace plateau::sim {

// Source addresses needed for `connections` when each holds at most `per_address` (at least 1).
size_t sourceAddressesNeeded(size_t connections, size_t per_address);

// The index-th source address, index from 0: 127.0.1.1, 127.0.1.2, ... 127.0.1.254, 127.0.2.1,
// ... (never 127.0.0.x, which the master and the calls use, nor .0 or .255).
std::string sourceAddress(size_t index);

}  // namespace plateau::sim
