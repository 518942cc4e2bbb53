#include "common/resources_json.h"

namespace plateau {

void writeResourcesModel(json::Writer& w, const Resources& resources) {
  static constexpr const char* kAlways[] = {"cpus", "gpus", "mem", "disk"};
  w.beginObject();
  for (const char* name : kAlways) {
    w.key(name);
    w.value(resources.scalar(name));
  }
  for (const auto& r : resources) {
    if (r.name == "cpus" || r.name == "gpus" || r.name == "mem" || r.name == "disk") {
      continue;
    }
    w.key(r.name);
    switch (r.type) {
      case ResourceType::kScalar:
        w.value(r.scalar());
        break;
      case ResourceType::kRanges:
        w.value(r.ranges.toString());
        break;
      case ResourceType::kSet: {
        std::string items;
        for (const auto& item : r.items) {
          items += (items.empty() ? "" : ",") + item;
        }
        w.value("{" + items + "}");
        break;
      }
    }
  }
  w.endObject();
}

}  // namespace plateau
