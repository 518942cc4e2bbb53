#include "master/drain_book.h"

#include <fmt/format.h>

namespace plateau::master {

namespace {

constexpr std::string_view kKeyPrefix = "agent/";

}  // namespace

const DrainBook::Hold* DrainBook::find(const std::string& agent_id) const {
  auto it = holds_.find(agent_id);
  return it == holds_.end() ? nullptr : &it->second;
}

bool DrainBook::draining(const std::string& agent_id) const {
  const Hold* hold = find(agent_id);
  return hold != nullptr && hold->drain && hold->drain->state() == mesos::v1::DRAINING;
}

DrainBook::Hold DrainBook::deactivation(const Hold* current) {
  Hold hold = current != nullptr ? *current : Hold{};
  hold.deactivated = true;
  return hold;
}

DrainBook::Hold DrainBook::drain(const Hold* current, const mesos::v1::DrainConfig& config) {
  Hold hold = deactivation(current);
  // Draining again keeps a DRAINED agent drained; the new configuration replaces the old one.
  auto state = hold.drain && hold.drain->state() == mesos::v1::DRAINED ? mesos::v1::DRAINED
                                                                       : mesos::v1::DRAINING;
  hold.drain.emplace();
  hold.drain->set_state(state);
  *hold.drain->mutable_config() = config;
  return hold;
}

DrainBook::Hold DrainBook::drained(const Hold& current) {
  Hold hold = current;
  if (hold.drain) {
    hold.drain->set_state(mesos::v1::DRAINED);
  }
  return hold;
}

std::string DrainBook::registryKey(const std::string& agent_id) {
  return fmt::format("{}{}", kKeyPrefix, agent_id);
}

// One byte ('d': deactivated only, 'D': with a drain), then the serialized DrainInfo.
std::string DrainBook::encode(const Hold& hold) {
  if (!hold.drain) {
    return "d";
  }
  return "D" + hold.drain->SerializePartialAsString();
}

Result<DrainBook::Hold> DrainBook::decode(std::string_view data) {
  Hold hold{.deactivated = true, .drain = std::nullopt};
  if (data == "d") {
    return hold;
  }
  mesos::v1::DrainInfo info;
  if (data.empty() || data[0] != 'D' ||
      !info.ParseFromArray(data.data() + 1, static_cast<int>(data.size() - 1))) {
    return invalidArgument("not an agent hold ('d', or 'D' and a DrainInfo)");
  }
  hold.drain = std::move(info);
  return hold;
}

Status DrainBook::recover(const std::map<std::string, std::string>& maintenance) {
  holds_.clear();
  std::string errors;
  for (auto it = maintenance.lower_bound(std::string(kKeyPrefix));
       it != maintenance.end() && it->first.starts_with(kKeyPrefix); ++it) {
    auto hold = decode(it->second);
    if (!hold) {
      errors +=
          fmt::format("{}{}: {}", errors.empty() ? "" : "; ", it->first, hold.error().message());
      continue;
    }
    holds_[it->first.substr(kKeyPrefix.size())] = std::move(*hold);
  }
  if (!errors.empty()) {
    return Status(StatusCode::kInvalidArgument, fmt::format("Unreadable agent holds: {}", errors));
  }
  return {};
}

}  // namespace plateau::master
