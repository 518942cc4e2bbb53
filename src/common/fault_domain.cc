#include "common/fault_domain.h"

#include <fmt/format.h>

#include "common/json_codec.h"

namespace plateau {

Result<mesos::v1::DomainInfo> parseDomainFlag(const std::string& text) {
  mesos::v1::DomainInfo domain;
  if (text.empty()) {
    return domain;
  }
  if (Status s = fromJson(std::string_view(text), &domain); !s.isOk()) {
    return invalidArgument(fmt::format("Invalid value for flag '--domain': {}", s.message()));
  }
  if (!domain.has_fault_domain() || domain.fault_domain().region().name().empty() ||
      domain.fault_domain().zone().name().empty()) {
    return invalidArgument(
        "Invalid value for flag '--domain': it needs a fault_domain with a region and a zone, "
        "each with a name, e.g. {\"fault_domain\": {\"region\": {\"name\": \"r1\"}, \"zone\": "
        "{\"name\": \"z1\"}}}");
  }
  return domain;
}

}  // namespace plateau
