#pragma once

// The operator API calls that the master (mesos.v1.master) and the agent (mesos.v1.agent) answer
// alike. Both packages spell these calls and responses the same way, so one template serves.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/version.h"

namespace plateau {

// Fills `response` for GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS and GET_LOGGING_LEVEL and
// returns true; false for any other call.
template <class Call, class Response, class Snapshot>
bool answerCommonCall(const Call& call, Response* response,
                      const std::vector<std::pair<std::string, std::string>>& flags,
                      Snapshot&& metrics, uint32_t logging_level) {
  switch (call.type()) {
    case Call::GET_HEALTH:
      response->set_type(Response::GET_HEALTH);
      response->mutable_get_health()->set_healthy(true);
      return true;
    case Call::GET_FLAGS:
      response->set_type(Response::GET_FLAGS);
      for (const auto& [name, value] : flags) {
        auto* flag = response->mutable_get_flags()->add_flags();
        flag->set_name(name);
        flag->set_value(value);
      }
      return true;
    case Call::GET_VERSION: {
      response->set_type(Response::GET_VERSION);
      auto* version = response->mutable_get_version()->mutable_version_info();
      version->set_version(kVersion);
      // As Mesos, which always sets the build's date, time and user: no build details here.
      version->set_build_date("");
      version->set_build_time(0);
      version->set_build_user("plateau");
      return true;
    }
    case Call::GET_METRICS:
      response->set_type(Response::GET_METRICS);
      for (const auto& [name, value] : metrics()) {
        auto* metric = response->mutable_get_metrics()->add_metrics();
        metric->set_name(name);
        metric->set_value(value);
      }
      return true;
    case Call::GET_LOGGING_LEVEL:
      response->set_type(Response::GET_LOGGING_LEVEL);
      response->mutable_get_logging_level()->set_level(logging_level);
      return true;
    default:
      return false;
  }
}

}  // namespace plateau
