// The agent operator calls about operations and resource providers. Plateau's agent has no
// resource providers (no CSI storage provider): its resources are the default ones of
// --resources. So it answers as a Mesos agent that has none:
// - GET_OPERATIONS: the offer operations with an id it holds until their framework
//   acknowledges them (those the master sent it; checkpointed with the resources);
// - GET_RESOURCE_PROVIDERS: an empty list;
// - ADD/UPDATE_RESOURCE_PROVIDER_CONFIG: 400 for a type other than Mesos's storage provider
//   ("org.apache.mesos.rp.local.storage") or an `info.id` set, 500 without
//   --resource_provider_config_dir (Mesos's answer), else 400: no storage provider here;
// - REMOVE_RESOURCE_PROVIDER_CONFIG: 500 without --resource_provider_config_dir, else 200 (no
//   config of that type and name exists: nothing to do, as Mesos's idempotent remove);
// - MARK_RESOURCE_PROVIDER_GONE: 404, the agent knows no resource provider.

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/agent.h"
#include "auth/view_filter.h"

namespace plateau::agent {

namespace {

constexpr const char* kStorageProvider = "org.apache.mesos.rp.local.storage";

http::Response ok() { return http::Response{.status = 200, .headers = {}, .body = {}}; }

// A 400 naming the field that holds the call's arguments (named after its type, as
// add_resource_provider_config for ADD_RESOURCE_PROVIDER_CONFIG) when the call lacks it.
std::optional<http::Response> missingArguments(const agent_api::Call& call) {
  std::string field = agent_api::Call::Type_Name(call.type());
  std::transform(field.begin(), field.end(), field.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto* descriptor = agent_api::Call::descriptor()->FindFieldByName(field);
  if (descriptor != nullptr && call.GetReflection()->HasField(call, descriptor)) {
    return std::nullopt;
  }
  return http::Response::text(400, fmt::format("Expecting '{}' to be present", field));
}

http::Response missingConfigDir() {
  return http::Response::text(500, "Missing required flag --resource_provider_config_dir");
}

// ADD and UPDATE: Mesos's validation of the config, then the config directory.
http::Response configCall(const v1::ResourceProviderInfo& info, const std::string& dir) {
  auto refuse = [&](const std::string& why) {
    return http::Response::text(
        400, fmt::format("Failed to validate resource provider config with type '{}' and name "
                         "'{}': {}",
                         info.type(), info.name(), why));
  };
  if (info.type() != kStorageProvider) {
    return refuse(fmt::format("Unknown local resource provider type '{}'", info.type()));
  }
  if (info.has_id()) {
    return refuse("'ResourceProviderInfo.id' must not be set");
  }
  if (dir.empty()) {
    return missingConfigDir();
  }
  return refuse(
      "this agent has no storage local resource provider (CSI plugins are not "
      "supported)");
}

}  // namespace

std::optional<http::Response> Agent::resourceProviderCall(const agent_api::Call& call,
                                                          http::ContentType accept,
                                                          const auth::ViewFilter& view) const {
  const auto type = call.type();
  if (type == agent_api::Call::ADD_RESOURCE_PROVIDER_CONFIG ||
      type == agent_api::Call::UPDATE_RESOURCE_PROVIDER_CONFIG ||
      type == agent_api::Call::REMOVE_RESOURCE_PROVIDER_CONFIG ||
      type == agent_api::Call::MARK_RESOURCE_PROVIDER_GONE) {
    if (auto missing = missingArguments(call)) {
      return missing;
    }
  }
  agent_api::Response response;
  switch (type) {
    case agent_api::Call::GET_OPERATIONS:
      response.set_type(agent_api::Response::GET_OPERATIONS);
      response.mutable_get_operations();
      for (const auto& [key, operation] : operations_) {
        if (view.showsAll() || view.operation(operation.info())) {
          *response.mutable_get_operations()->add_operations() = operation;
        }
      }
      return http::messageResponse(response, accept);
    case agent_api::Call::GET_RESOURCE_PROVIDERS:
      response.set_type(agent_api::Response::GET_RESOURCE_PROVIDERS);
      response.mutable_get_resource_providers();
      return http::messageResponse(response, accept);
    case agent_api::Call::ADD_RESOURCE_PROVIDER_CONFIG:
      return configCall(call.add_resource_provider_config().info(),
                        flags_.resource_provider_config_dir);
    case agent_api::Call::UPDATE_RESOURCE_PROVIDER_CONFIG:
      return configCall(call.update_resource_provider_config().info(),
                        flags_.resource_provider_config_dir);
    case agent_api::Call::REMOVE_RESOURCE_PROVIDER_CONFIG:
      return flags_.resource_provider_config_dir.empty() ? missingConfigDir() : ok();
    case agent_api::Call::MARK_RESOURCE_PROVIDER_GONE:
      return http::Response::text(
          404, fmt::format("Unknown resource provider '{}': this agent has no resource providers",
                           call.mark_resource_provider_gone().resource_provider_id().value()));
    default:
      return std::nullopt;
  }
}

}  // namespace plateau::agent
