// An agent's attributes as Mesos's JSON endpoints show them: what both /master/state and the
// agent's /state write.

#include <gtest/gtest.h>

#include "common/attributes_json.h"

namespace plateau {
namespace {

mesos::v1::Attribute* add(mesos::v1::AgentInfo& info, const std::string& name,
                          mesos::v1::Value::Type type) {
  mesos::v1::Attribute* attribute = info.add_attributes();
  attribute->set_name(name);
  attribute->set_type(type);
  return attribute;
}

TEST(AttributesJson, ScalarsTextRangesAndSetsAsMesosWritesThem) {
  mesos::v1::AgentInfo info;
  add(info, "rack", mesos::v1::Value::TEXT)->mutable_text()->set_value("r1");
  add(info, "level", mesos::v1::Value::SCALAR)->mutable_scalar()->set_value(3);
  auto* ports = add(info, "ports", mesos::v1::Value::RANGES)->mutable_ranges();
  auto* low = ports->add_range();
  low->set_begin(1);
  low->set_end(10);
  auto* high = ports->add_range();
  high->set_begin(20);
  high->set_end(20);
  auto* os = add(info, "os", mesos::v1::Value::SET)->mutable_set();
  os->add_item("a");
  os->add_item("b");

  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeAttributesModel(w, info);
  w.endObject();
  auto doc = json::parse(out);
  ASSERT_TRUE(doc.has_value()) << out;
  const json::Value& attributes = (*doc)["attributes"];
  EXPECT_EQ(attributes["rack"].asString(), "r1");
  EXPECT_EQ(attributes["level"].asDouble(), 3);
  EXPECT_EQ(attributes["ports"].asString(), "[1-10, 20-20]");
  EXPECT_EQ(attributes["os"].asString(), "{a,b}");
}

}  // namespace
}  // namespace plateau
