#include "sim/sources.h"

#include <algorithm>

#include <fmt/format.h>

namespace plateau::sim {

size_t sourceAddressesNeeded(size_t connections, size_t per_address) {
  per_address = std::max<size_t>(per_address, 1);
  return std::max<size_t>(1, (connections + per_address - 1) / per_address);
}

std::string sourceAddress(size_t index) {
  constexpr size_t kPerOctet = 254;  // .1 to .254
  const size_t third = 1 + index / kPerOctet;
  const size_t second = third / 256;
  return fmt::format("127.{}.{}.{}", second, third % 256, 1 + index % kPerOctet);
}

}  // namespace plateau::sim
