#include "master/registry/registry.h"

#include <cstdlib>

#include <fmt/format.h>

namespace plateau::master::registry {

const char* kindName(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::kAgent:
      return "agents";
    case Change::Kind::kUnreachable:
      return "unreachable";
    case Change::Kind::kGone:
      return "gone";
    case Change::Kind::kFramework:
      return "frameworks";
    case Change::Kind::kWeight:
      return "weights";
    case Change::Kind::kMaintenance:
      return "maintenance";
    case Change::Kind::kQuota:
      return "quotas";
  }
  return "unknown";
}

Change Change::putAgent(const mesos::v1::AgentInfo& info) {
  return {Kind::kAgent, info.id().value(), info.SerializePartialAsString(), false};
}

Change Change::putFramework(const mesos::v1::FrameworkInfo& info) {
  return {Kind::kFramework, info.id().value(), info.SerializePartialAsString(), false};
}

Change Change::putQuota(const mesos::v1::quota::QuotaConfig& config) {
  return {Kind::kQuota, config.role(), config.SerializePartialAsString(), false};
}

Change Change::putNumber(Kind kind, const std::string& id, double value) {
  return {kind, id, fmt::format("{}", value), false};
}

Change Change::erase(Kind kind, const std::string& id) { return {kind, id, "", true}; }

Change Change::putBlob(Kind kind, const std::string& id, std::string data) {
  return {kind, id, std::move(data), false};
}

namespace {

Result<double> number(const Change& change) {
  char* end = nullptr;
  double v = std::strtod(change.data.c_str(), &end);
  if (change.data.empty() || end != change.data.c_str() + change.data.size()) {
    return invalidArgument(fmt::format("Registry entry {}/{} is not a number: '{}'",
                                       kindName(change.kind), change.id, change.data));
  }
  return v;
}

template <class Map>
Status eraseOr(Map& map, const Change& change, auto&& put) {
  if (change.remove) {
    map.erase(change.id);
    return {};
  }
  return put();
}

}  // namespace

Status applyTo(State& state, const Change& change) {
  switch (change.kind) {
    case Change::Kind::kAgent:
      return eraseOr(state.agents, change, [&]() -> Status {
        mesos::v1::AgentInfo info;
        if (!info.ParseFromString(change.data)) {
          return {StatusCode::kInvalidArgument,
                  fmt::format("Registry entry agents/{} does not parse", change.id)};
        }
        state.agents[change.id] = std::move(info);
        return {};
      });
    case Change::Kind::kFramework:
      return eraseOr(state.frameworks, change, [&]() -> Status {
        mesos::v1::FrameworkInfo info;
        if (!info.ParseFromString(change.data)) {
          return {StatusCode::kInvalidArgument,
                  fmt::format("Registry entry frameworks/{} does not parse", change.id)};
        }
        state.frameworks[change.id] = std::move(info);
        return {};
      });
    case Change::Kind::kMaintenance:
      return eraseOr(state.maintenance, change, [&]() -> Status {
        state.maintenance[change.id] = change.data;
        return {};
      });
    case Change::Kind::kQuota:
      return eraseOr(state.quotas, change, [&]() -> Status {
        mesos::v1::quota::QuotaConfig config;
        if (!config.ParseFromString(change.data)) {
          return {StatusCode::kInvalidArgument,
                  fmt::format("Registry entry quotas/{} does not parse", change.id)};
        }
        state.quotas[change.id] = std::move(config);
        return {};
      });
    case Change::Kind::kUnreachable:
    case Change::Kind::kGone:
    case Change::Kind::kWeight: {
      auto& map = change.kind == Change::Kind::kUnreachable ? state.unreachable
                  : change.kind == Change::Kind::kGone      ? state.gone
                                                            : state.weights;
      return eraseOr(map, change, [&]() -> Status {
        auto v = number(change);
        if (!v) {
          return v.error();
        }
        map[change.id] = *v;
        return {};
      });
    }
  }
  return {StatusCode::kInternal, "unknown registry change"};
}

}  // namespace plateau::master::registry
