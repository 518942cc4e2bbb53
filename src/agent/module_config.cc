#include "agent/module_config.h"

#include <fmt/format.h>

#include "common/json.h"

namespace plateau::agent {
namespace {

ModuleParameters parametersOf(const json::Value& module) {
  ModuleParameters out;
  const json::Value* parameters = module.find("parameters");
  if (parameters == nullptr || !parameters->isArray()) {
    return out;
  }
  for (const json::Value& p : parameters->asArray()) {
    const json::Value* k = p.isObject() ? p.find("key") : nullptr;
    const json::Value* v = p.isObject() ? p.find("value") : nullptr;
    if (k != nullptr && k->isString() && v != nullptr && v->isString()) {
      out.emplace_back(k->asString(), v->asString());
    }
  }
  return out;
}

}  // namespace

Status badFlag(const std::string& flag, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, fmt::format("Flag '--{}': {}", flag, why));
}

Result<ModuleParameters> moduleParameters(const std::string& modules, const std::string& name) {
  auto doc = json::parse(modules);
  const json::Value* libraries = doc && doc->isObject() ? doc->find("libraries") : nullptr;
  if (libraries == nullptr || !libraries->isArray()) {
    return std::unexpected(badFlag("modules", "expected Mesos's modules JSON with 'libraries'"));
  }
  for (const json::Value& library : libraries->asArray()) {
    const json::Value* list = library.isObject() ? library.find("modules") : nullptr;
    if (list == nullptr || !list->isArray()) {
      continue;
    }
    for (const json::Value& module : list->asArray()) {
      const json::Value* module_name = module.isObject() ? module.find("name") : nullptr;
      if (module_name != nullptr && module_name->isString() && module_name->asString() == name) {
        return parametersOf(module);
      }
    }
  }
  return std::unexpected(badFlag("modules", fmt::format("no module named '{}'", name)));
}

}  // namespace plateau::agent
