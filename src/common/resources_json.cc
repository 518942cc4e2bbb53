#include "common/resources_json.h"

#include <algorithm>
#include <set>
#include <string>

namespace plateau {
namespace {

bool always(const std::string& name) {
  return name == "cpus" || name == "gpus" || name == "mem" || name == "disk";
}

// One key per name (plus `suffix`), summed over roles (as Mesos; a name held by several roles,
// such as reserved and unreserved ports, must not repeat its key). With `skip_always`, cpus,
// gpus, mem and disk are left out (written already).
void writeNamed(json::Writer& w, const Resources& resources, const std::string& suffix,
                bool skip_always) {
  for (const std::string& name : resources.names()) {
    if (skip_always && always(name)) {
      continue;
    }
    const Resource* first = nullptr;
    std::set<std::string> items;
    for (const auto& r : resources) {
      if (r.name == name) {
        first = first == nullptr ? &r : first;
        items.insert(r.items.begin(), r.items.end());
      }
    }
    w.key(name + suffix);
    switch (first->type) {
      case ResourceType::kScalar:
        w.value(resources.scalar(name));
        break;
      case ResourceType::kRanges:
        w.value(resources.ranges(name).toString());
        break;
      case ResourceType::kSet: {
        std::string text;
        for (const auto& item : items) {
          text += (text.empty() ? "" : ",") + item;
        }
        w.value("{" + text + "}");
        break;
      }
    }
  }
}

void writeAlways(json::Writer& w, const Resources& resources) {
  static constexpr const char* kAlways[] = {"cpus", "gpus", "mem", "disk"};
  for (const char* name : kAlways) {
    w.key(name);
    w.value(resources.scalar(name));
  }
}

}  // namespace

void writeResourcesModel(json::Writer& w, const Resources& resources) {
  w.beginObject();
  const bool any_revocable = std::any_of(resources.begin(), resources.end(),
                                         [](const Resource& r) { return r.revocable; });
  if (!any_revocable) {
    writeAlways(w, resources);
    writeNamed(w, resources, "", true);
  } else {
    // As Mesos: revocable resources apart, under "<name>_revocable".
    const Resources regular = resources.nonRevocable();
    writeAlways(w, regular);
    writeNamed(w, regular, "", true);
    writeNamed(w, resources.revocable(), "_revocable", false);
  }
  w.endObject();
}

}  // namespace plateau
