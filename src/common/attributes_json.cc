#include "common/attributes_json.h"

#include <string>

#include "common/resources.h"

namespace plateau {

namespace {

std::string setText(const mesos::v1::Value::Set& set) {
  std::string text = "{";
  for (int i = 0; i < set.item_size(); i++) {
    text += (i > 0 ? "," : "") + set.item(i);
  }
  return text + "}";
}

}  // namespace

void writeAttributesModel(json::Writer& w, const mesos::v1::AgentInfo& info) {
  w.key("attributes");
  w.beginObject();
  for (const auto& attribute : info.attributes()) {
    w.key(attribute.name());
    switch (attribute.type()) {
      case mesos::v1::Value::SCALAR:
        w.value(attribute.scalar().value());
        break;
      case mesos::v1::Value::RANGES: {
        Ranges ranges;
        for (const auto& r : attribute.ranges().range()) {
          ranges.add(Range{r.begin(), r.end()});
        }
        w.value(ranges.toString());
        break;
      }
      case mesos::v1::Value::SET:
        w.value(setText(attribute.set()));
        break;
      default:
        w.value(attribute.text().value());
        break;
    }
  }
  w.endObject();
}

}  // namespace plateau
