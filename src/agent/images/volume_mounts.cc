// The volume mounts of a container as JSON (enter_rootfs.h): how the agent hands them to the
// command executor and the default executor. Not in plateau-rootfs, which reads them from its
// command line and links fmt alone.

#include <fmt/format.h>

#include "agent/images/enter_rootfs.h"
#include "common/json.h"

namespace plateau::agent::images {

std::string mountsToJson(const std::vector<VolumeMount>& mounts) {
  json::Value out = json::Array{};
  for (const auto& m : mounts) {
    json::Value entry = json::Object{};
    entry.set("source", m.source);
    entry.set("target", m.target);
    entry.set("read_only", m.read_only);
    out.push(std::move(entry));
  }
  return json::stringify(out);
}

Result<std::vector<VolumeMount>> mountsFromJson(const std::string& text) {
  std::vector<VolumeMount> out;
  if (text.empty()) {
    return out;
  }
  auto doc = json::parse(text);
  if (!doc || !doc->isArray()) {
    return invalidArgument("the mounts are not a JSON array");
  }
  for (const auto& entry : doc->asArray()) {
    const json::Value* source = entry.isObject() ? entry.find("source") : nullptr;
    const json::Value* target = entry.isObject() ? entry.find("target") : nullptr;
    const json::Value* read_only = entry.isObject() ? entry.find("read_only") : nullptr;
    if (source == nullptr || !source->isString() || target == nullptr || !target->isString() ||
        (read_only != nullptr && !read_only->isBool())) {
      return invalidArgument("a mount needs a string 'source' and 'target'");
    }
    out.push_back(
        {source->asString(), target->asString(), read_only == nullptr || read_only->asBool()});
  }
  return out;
}

}  // namespace plateau::agent::images
