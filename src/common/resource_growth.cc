#include "common/resource_growth.h"

namespace plateau {

Resources givenBase(const Resources& total) {
  Resources base;
  for (Resource entry : total) {
    while (entry.dynamicallyReserved()) {
      entry.popReservation();
    }
    entry.disk = DiskInfo{};
    base += entry;
  }
  return base;
}

std::optional<Resources> grownBy(const Resources& total, const Resources& given) {
  const Resources before = givenBase(total);
  const Resources after = givenBase(given);
  if (!after.contains(before)) {
    return std::nullopt;
  }
  return total + (after - before);
}

}  // namespace plateau
