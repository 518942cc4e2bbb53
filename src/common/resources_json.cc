#include "common/resources_json.h"

#include <set>
#include <string>

namespace plateau {

void writeResourcesModel(json::Writer& w, const Resources& resources) {
  static constexpr const char* kAlways[] = {"cpus", "gpus", "mem", "disk"};
  w.beginObject();
  for (const char* name : kAlways) {
    w.key(name);
    w.value(resources.scalar(name));
  }
  // One key per name, summed over roles (as Mesos; a name held by several roles, such as
  // reserved and unreserved ports, must not repeat its key).
  for (const std::string& name : resources.names()) {
    if (name == "cpus" || name == "gpus" || name == "mem" || name == "disk") {
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
    w.key(name);
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
  w.endObject();
}

}  // namespace plateau
