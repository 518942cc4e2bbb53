#include "master/leadership.h"

#include <fmt/format.h>

namespace plateau::master {

void SoleLeadership::start(const mesos::v1::MasterInfo& self, Callbacks callbacks) {
  callbacks.leader(self);
  callbacks.elected(std::move(registry_));
}

std::string SoleLeadership::describe() const { return fmt::format("registry={}", name_); }

}  // namespace plateau::master
