#include "common/json_codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/codec_test.pb.h"
#include "proto_fill.h"

namespace plateau {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
using google::protobuf::util::MessageDifferencer;

std::unique_ptr<Message> newMessage(const Descriptor* descriptor) {
  return std::unique_ptr<Message>(
      MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
}

template <class T>
T parseOk(std::string_view json) {
  T message;
  Status status = fromJson(json, &message);
  EXPECT_TRUE(status.isOk()) << json << ": " << status.message();
  return message;
}

template <class T>
std::string parseError(std::string_view json) {
  T message;
  Status status = fromJson(json, &message);
  EXPECT_FALSE(status.isOk()) << "accepted: " << json;
  EXPECT_EQ(status.code(), status.isOk() ? StatusCode::kOk : StatusCode::kInvalidArgument);
  return status.message();
}

// ---- Round trips ---------------------------------------------------------------------------

TEST(JsonCodecRoundTripTest, EveryMessageTypeRoundTripsThroughJsonAndBinary) {
  auto types = testing::allMessageTypes(test::Everything::descriptor()->file());
  ASSERT_GE(types.size(), 10u);
  for (const Descriptor* type : types) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      SCOPED_TRACE(type->full_name() + " seed " + std::to_string(seed));
      auto original = newMessage(type);
      testing::fillMessage(original.get(), seed);
      ASSERT_TRUE(original->IsInitialized()) << original->InitializationErrorString();

      std::string json = toJson(*original);
      auto decoded = newMessage(type);
      Status status = fromJson(json, decoded.get());
      ASSERT_TRUE(status.isOk()) << status.message() << "\n" << json;
      EXPECT_TRUE(MessageDifferencer::Equals(*original, *decoded)) << json << "\nvs\n"
                                                                   << toJson(*decoded);
      EXPECT_EQ(toJson(*decoded), json);

      std::string binary;
      ASSERT_TRUE(original->SerializeToString(&binary));
      auto reparsed = newMessage(type);
      ASSERT_TRUE(reparsed->ParseFromString(binary));
      EXPECT_TRUE(MessageDifferencer::Equals(*original, *reparsed));
    }
  }
}

TEST(JsonCodecRoundTripTest, FillIsDeterministicAndBounded) {
  test::Everything a;
  test::Everything b;
  testing::fillMessage(&a, 7);
  testing::fillMessage(&b, 7);
  EXPECT_TRUE(MessageDifferencer::Equals(a, b));
  testing::fillMessage(&b, 8);
  EXPECT_FALSE(MessageDifferencer::Equals(a, b));

  // Everything is depth 0 and its tree depth 1; at depth 3 only required fields are set.
  EXPECT_TRUE(a.tree().left().has_left());
  EXPECT_FALSE(a.tree().left().left().has_left());
  EXPECT_TRUE(a.tree().left().left().has_name());
  EXPECT_TRUE(a.tree().left().left().has_level());
  EXPECT_EQ(a.repeated().i64_size(), 2);
  EXPECT_EQ(a.inners_size(), 2);
}

TEST(JsonCodecRoundTripTest, EmptyMessageIsEmptyObjectPlusDefaults) {
  EXPECT_EQ(toJson(test::Scalars()), "{}");
  EXPECT_EQ(toJson(test::Repeated()), "{}");
  test::Scalars decoded;
  ASSERT_TRUE(fromJson("{}", &decoded).isOk());
  EXPECT_EQ(decoded.ByteSizeLong(), 0u);
}

// ---- Output shape --------------------------------------------------------------------------

TEST(JsonCodecWriteTest, WritesFieldsInDeclarationOrderWithMesosShapes) {
  test::Scalars scalars;
  scalars.set_text("hi \"you\"");
  scalars.set_i64(9007199254740993);
  scalars.set_i32(-3);
  scalars.set_u64(18446744073709551615u);
  scalars.set_dbl(2.0);
  scalars.set_flt(0.1f);
  scalars.set_flag(false);
  scalars.set_data(std::string("\x00\xff\x10", 3));
  scalars.set_color(test::BLUE);
  scalars.set_level(test::HIGH);
  EXPECT_EQ(toJson(scalars),
            R"({"i32":-3,"i64":9007199254740993,"u64":18446744073709551615,"dbl":2.0,)"
            R"("flt":0.1,"flag":false,"text":"hi \"you\"","data":"AP8Q","color":"BLUE",)"
            R"("level":"HIGH"})");
}

TEST(JsonCodecWriteTest, WritesRepeatedAsArraysAndNestedAsObjects) {
  test::Repeated repeated;
  repeated.add_i64(1);
  repeated.add_i64(-2);
  repeated.add_text("a");
  repeated.add_color(test::GREEN);
  repeated.add_color(test::RED);
  repeated.add_scalars()->set_i32(5);
  repeated.add_scalars();
  repeated.add_data("\x01");
  EXPECT_EQ(toJson(repeated),
            R"({"i64":[1,-2],"text":["a"],"data":["AQ=="],"color":["GREEN","RED"],)"
            R"("scalars":[{"i32":5},{}]})");
}

TEST(JsonCodecWriteTest, PrintsUnsetFieldsWithExplicitDefaultsExceptDeprecated) {
  EXPECT_EQ(toJson(test::Defaults()),
            R"({"refuse_seconds":5.0,"count":-7,"label":"none","enabled":true,"color":"BLUE",)"
            R"("raw":"AQL/","big":18446744073709551615,"ratio":0.25,"zero":0})");
  test::Filters filters;
  EXPECT_EQ(toJson(filters), R"({"refuse_seconds":5.0})");
  filters.set_refuse_seconds(0.5);
  EXPECT_EQ(toJson(filters), R"({"refuse_seconds":0.5})");

  test::Defaults set_deprecated;
  set_deprecated.GetReflection()->SetString(
      &set_deprecated, test::Defaults::descriptor()->FindFieldByName("old_label"),
      "still printed when set");
  EXPECT_NE(toJson(set_deprecated).find(R"("old_label":"still printed when set")"),
            std::string::npos);
}

TEST(JsonCodecWriteTest, WriteJsonEmbedsMessagesInLargerDocuments) {
  test::FrameworkID id;
  id.set_value("fw-1");
  std::string out;
  json::Writer writer(&out);
  writer.beginObject();
  writer.key("frameworks");
  writer.beginArray();
  writeJson(writer, id);
  writeJson(writer, id);
  writer.endArray();
  writer.key("count");
  writer.value(2);
  writer.endObject();
  EXPECT_EQ(out, R"({"frameworks":[{"value":"fw-1"},{"value":"fw-1"}],"count":2})");
}

TEST(JsonCodecWriteTest, WritesMissingRequiredFieldsAsAbsent) {
  test::FrameworkInfo info;
  info.set_name("partial");
  EXPECT_EQ(toJson(info), R"({"name":"partial","failover_timeout":0.0,"checkpoint":false})");
}

// ---- Mesos-style input ---------------------------------------------------------------------

TEST(JsonCodecReadTest, ReadsAMesosSubscribeCall) {
  auto call = parseOk<test::Call>(R"({
    "type": "SUBSCRIBE",
    "subscribe": {
      "framework_info": {
        "user": "root",
        "name": "Example Framework",
        "roles": ["dev", "ops"],
        "failover_timeout": 604800,
        "capabilities": [{"type": "GPU_RESOURCES"}, {"type": "REVOCABLE_RESOURCES"}]
      }
    }
  })");
  EXPECT_EQ(call.type(), test::Call::SUBSCRIBE);
  const auto& info = call.subscribe().framework_info();
  EXPECT_EQ(info.user(), "root");
  EXPECT_EQ(info.name(), "Example Framework");
  ASSERT_EQ(info.roles_size(), 2);
  EXPECT_EQ(info.roles(1), "ops");
  EXPECT_EQ(info.failover_timeout(), 604800.0);
  ASSERT_EQ(info.capabilities_size(), 2);
  EXPECT_EQ(info.capabilities(0).type(), test::FrameworkInfo::Capability::GPU_RESOURCES);
}

TEST(JsonCodecReadTest, AcceptsIntegersAsStrings) {
  auto scalars = parseOk<test::Scalars>(
      R"({"i64":"-9223372036854775808","u64":"18446744073709551615","i32":"-42",)"
      R"("u32":"4294967295","sfx64":"123","fx32":"7","dbl":"2.5","flt":"0.25"})");
  EXPECT_EQ(scalars.i64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(scalars.u64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(scalars.i32(), -42);
  EXPECT_EQ(scalars.u32(), 4294967295u);
  EXPECT_EQ(scalars.sfx64(), 123);
  EXPECT_EQ(scalars.fx32(), 7u);
  EXPECT_EQ(scalars.dbl(), 2.5);
  EXPECT_EQ(scalars.flt(), 0.25f);

  auto repeated = parseOk<test::Repeated>(R"({"i64":["1", 2, "3"]})");
  ASSERT_EQ(repeated.i64_size(), 3);
  EXPECT_EQ(repeated.i64(2), 3);
}

TEST(JsonCodecReadTest, AcceptsNumbersInEveryNumericForm) {
  auto scalars = parseOk<test::Scalars>(
      R"({"i32":5.0,"i64":1e3,"u64":18446744073709551615,"dbl":7,"flt":-3,"s32":-1,"s64":-2})");
  EXPECT_EQ(scalars.i32(), 5);
  EXPECT_EQ(scalars.i64(), 1000);
  EXPECT_EQ(scalars.u64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(scalars.dbl(), 7.0);
  EXPECT_EQ(scalars.flt(), -3.0f);
  EXPECT_EQ(scalars.s32(), -1);
  EXPECT_EQ(scalars.s64(), -2);
}

TEST(JsonCodecReadTest, IgnoresUnknownFields) {
  auto id = parseOk<test::FrameworkID>(
      R"({"value":"x","unknown":{"deep":[1,2,{"a":null}]},"also_unknown":"\u00e9"})");
  EXPECT_EQ(id.value(), "x");
  EXPECT_TRUE(id.GetReflection()->GetUnknownFields(id).empty());
}

TEST(JsonCodecReadTest, ReadsEnumsByNameAndByNumber) {
  auto scalars = parseOk<test::Scalars>(R"({"color":"GREEN","level":20})");
  EXPECT_EQ(scalars.color(), test::GREEN);
  EXPECT_EQ(scalars.level(), test::HIGH);
  scalars = parseOk<test::Scalars>(R"({"color":"2","level":"LOW"})");
  EXPECT_EQ(scalars.color(), test::BLUE);
  EXPECT_EQ(scalars.level(), test::LOW);
  auto repeated = parseOk<test::Repeated>(R"({"color":["RED", 1, "BLUE"]})");
  ASSERT_EQ(repeated.color_size(), 3);
  EXPECT_EQ(repeated.color(1), test::GREEN);
}

TEST(JsonCodecReadTest, DropsUnknownEnumValuesOfOptionalAndRepeatedFieldsLikeMesos) {
  auto scalars = parseOk<test::Scalars>(R"({"color":"PURPLE","level":15,"i32":1})");
  EXPECT_FALSE(scalars.has_color());
  EXPECT_FALSE(scalars.has_level());
  EXPECT_EQ(scalars.i32(), 1);

  auto info = parseOk<test::FrameworkInfo>(
      R"({"user":"u","name":"n","capabilities":[{"type":"FROM_THE_FUTURE"},)"
      R"({"type":"GPU_RESOURCES"}]})");
  ASSERT_EQ(info.capabilities_size(), 2);
  EXPECT_FALSE(info.capabilities(0).has_type());
  EXPECT_EQ(info.capabilities(1).type(), test::FrameworkInfo::Capability::GPU_RESOURCES);

  auto repeated = parseOk<test::Repeated>(R"({"color":["RED","PURPLE",7,"BLUE"]})");
  ASSERT_EQ(repeated.color_size(), 2);
  EXPECT_EQ(repeated.color(1), test::BLUE);
}

TEST(JsonCodecReadTest, TreatsNullAsUnset) {
  auto scalars = parseOk<test::Scalars>(R"({"i32":null,"text":null,"color":null})");
  EXPECT_FALSE(scalars.has_i32());
  EXPECT_FALSE(scalars.has_text());
  auto repeated = parseOk<test::Repeated>(R"({"i32":[1,null,2],"scalars":null})");
  EXPECT_EQ(repeated.i32_size(), 2);
  EXPECT_EQ(repeated.scalars_size(), 0);
}

TEST(JsonCodecReadTest, AcceptsASingleValueForARepeatedField) {
  auto repeated = parseOk<test::Repeated>(R"({"text":"only","scalars":{"i32":1}})");
  ASSERT_EQ(repeated.text_size(), 1);
  EXPECT_EQ(repeated.text(0), "only");
  ASSERT_EQ(repeated.scalars_size(), 1);
}

TEST(JsonCodecReadTest, DecodesBytesFromBase64) {
  auto scalars = parseOk<test::Scalars>(R"({"data":"AP8Q"})");
  EXPECT_EQ(scalars.data(), std::string("\x00\xff\x10", 3));
}

TEST(JsonCodecReadTest, ReplacesPreviousContent) {
  test::Scalars scalars;
  scalars.set_i32(1);
  scalars.set_text("old");
  ASSERT_TRUE(fromJson(R"({"i64":2})", &scalars).isOk());
  EXPECT_FALSE(scalars.has_i32());
  EXPECT_FALSE(scalars.has_text());
  EXPECT_EQ(scalars.i64(), 2);
}

TEST(JsonCodecReadTest, ReadsFromADom) {
  json::Value dom;
  dom.set("value", "from-dom");
  test::FrameworkID id;
  ASSERT_TRUE(fromJson(dom, &id).isOk());
  EXPECT_EQ(id.value(), "from-dom");
}

// ---- Errors --------------------------------------------------------------------------------

TEST(JsonCodecErrorTest, MissingRequiredFieldNamesTheFullPath) {
  std::string message =
      parseError<test::Call>(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}})");
  EXPECT_EQ(message, "Missing required field 'subscribe.framework_info.user'");

  message = parseError<test::Call>(R"({"subscribe":{"framework_info":{}}})");
  EXPECT_EQ(message,
            "Missing required fields 'subscribe.framework_info.user', "
            "'subscribe.framework_info.name'");

  message = parseError<test::Call>(R"({"decline":{"offer_ids":[{"value":"a"},{}]}})");
  EXPECT_EQ(message, "Missing required field 'decline.offer_ids[1].value'");
}

TEST(JsonCodecErrorTest, WrongTypeNamesTheFieldPath) {
  std::string message =
      parseError<test::Call>(R"({"subscribe":{"framework_info":{"user":"u","name":"n",)"
                             R"("capabilities":[{"type":"GPU_RESOURCES"},{"type":{}}]}}})");
  EXPECT_EQ(message,
            "Invalid value for field 'subscribe.framework_info.capabilities[1].type': "
            "expected an enum name, got an object");

  EXPECT_EQ(parseError<test::Scalars>(R"({"i32":"abc"})"),
            "Invalid value for field 'i32': 'abc' is not a decimal integer");
  EXPECT_EQ(parseError<test::Scalars>(R"({"text":5})"),
            "Invalid value for field 'text': expected a string, got a number");
  EXPECT_EQ(parseError<test::Scalars>(R"({"flag":"true"})"),
            "Invalid value for field 'flag': expected a boolean, got a string");
  EXPECT_EQ(parseError<test::Scalars>(R"({"i64":[1]})"),
            "Invalid value for field 'i64': expected a single int64, got an array");
  EXPECT_EQ(parseError<test::Repeated>(R"({"scalars":[{"i32":1},5]})"),
            "Invalid value for field 'scalars[1]': expected an object, got a number");
  EXPECT_EQ(parseError<test::Repeated>(R"({"i32":[1,[2]]})"),
            "Invalid value for field 'i32[1]': expected an integer, got an array");
  EXPECT_EQ(parseError<test::Scalars>(R"({"i32":1.5})"),
            "Invalid value for field 'i32': 1.5 is not an integer");
  EXPECT_EQ(parseError<test::Scalars>(R"({"dbl":"fast"})"),
            "Invalid value for field 'dbl': 'fast' is not a number");
  EXPECT_EQ(parseError<test::Scalars>(R"([1,2])"),
            "Invalid JSON: expected an object for plateau.test.Scalars, got an array");
  EXPECT_EQ(parseError<test::Everything>(R"({"id":"x","scalars":"nope"})"),
            "Invalid value for field 'scalars': expected an object, got a string");
}

TEST(JsonCodecErrorTest, ErrorsEchoOnlyAnExcerptOfTheInput) {
  std::string long_text(100000, 'x');
  std::string message = parseError<test::Scalars>(R"({"i64":")" + std::string(70, 'x') + "\u00e9" +
                                                  long_text + "\"}");
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_NE(message.find("xxx..."), std::string::npos) << message;

  // Never cut inside a multi-byte character.
  message = parseError<test::Scalars>(R"({"dbl":")" + std::string(63, 'x') + "\u00e9" + long_text +
                                      "\"}");
  EXPECT_NE(message.find(std::string(63, 'x') + "..."), std::string::npos) << message;
}

TEST(JsonCodecErrorTest, RejectsOutOfRangeIntegers) {
  EXPECT_EQ(parseError<test::Scalars>(R"({"i32":2147483648})"),
            "Invalid value for field 'i32': 2147483648 is out of range for int32");
  EXPECT_EQ(parseError<test::Scalars>(R"({"i32":"3000000000"})"),
            "Invalid value for field 'i32': 3000000000 is out of range for int32");
  EXPECT_EQ(parseError<test::Scalars>(R"({"u32":-1})"),
            "Invalid value for field 'u32': -1 is out of range for uint32");
  EXPECT_EQ(parseError<test::Scalars>(R"({"u64":"-1"})"),
            "Invalid value for field 'u64': -1 is out of range for uint64");
  parseError<test::Scalars>(R"({"i64":9223372036854775808})");
  parseError<test::Scalars>(R"({"i64":"9223372036854775808"})");
  parseError<test::Scalars>(R"({"u64":18446744073709551616})");
  parseError<test::Scalars>(R"({"u64":"18446744073709551616"})");
  parseError<test::Scalars>(R"({"i64":1e19})");
  parseError<test::Scalars>(R"({"flt":1e39})");
  parseError<test::Scalars>(R"({"color":4294967296})");
  for (const char* bad : {R"({"i64":" 1"})", R"({"i64":"1 "})", R"({"i64":"+1"})",
                          R"({"i64":"0x10"})", R"({"i64":""})", R"({"i64":"1.0"})"}) {
    parseError<test::Scalars>(bad);
  }
}

TEST(JsonCodecErrorTest, RejectsInvalidBase64) {
  EXPECT_EQ(parseError<test::Scalars>(R"({"data":"not base64!"})"),
            "Invalid value for field 'data': Invalid base64: unexpected character at offset 3");
  parseError<test::Repeated>(R"({"data":["AQ==","A"]})");
}

TEST(JsonCodecErrorTest, RejectsUnknownEnumValueOfARequiredField) {
  EXPECT_EQ(
      parseError<test::Tree>(R"({"name":"t","level":"MEDIUM"})"),
      "Invalid value for field 'level': unknown value \"MEDIUM\" for enum plateau.test.Level");
  parseError<test::Tree>(R"({"name":"t","level":15})");
  parseError<test::Tree>(R"({"name":"t","level":true})");
}

TEST(JsonCodecErrorTest, ReportsMalformedJson) {
  std::string message = parseError<test::Scalars>(R"({"i32": 1,})");
  EXPECT_NE(message.find("JSON parse error at line 1"), std::string::npos) << message;
  parseError<test::Scalars>("");
  parseError<test::Scalars>(R"({"text":"\ud800"})");
  parseError<test::Scalars>("{\"text\":\"\xC0\x80\"}");
}

TEST(JsonCodecErrorTest, RejectsDeepNestingWithoutCrashing) {
  std::string deep;
  for (int i = 0; i < 10000; ++i) {
    deep += R"({"name":"n","level":"LOW","left":)";
  }
  parseError<test::Tree>(deep);

  // Deep but within the parser's limit: reads fine.
  std::string ok;
  for (int i = 0; i < 100; ++i) {
    ok += R"({"name":"n","level":"LOW","left":)";
  }
  ok += R"({"name":"leaf","level":"HIGH"})" + std::string(100, '}');
  auto tree = parseOk<test::Tree>(ok);
  EXPECT_EQ(tree.left().left().name(), "n");
}

TEST(JsonCodecErrorTest, SurvivesArbitraryMutationsOfValidInput) {
  test::Everything everything;
  testing::fillMessage(&everything, 99);
  const std::string json = toJson(everything);
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = json;
    for (int edits = 1 + static_cast<int>(next() % 4); edits > 0; --edits) {
      size_t at = next() % mutated.size();
      switch (next() % 3) {
        case 0:
          mutated[at] = static_cast<char>(next());
          break;
        case 1:
          mutated.erase(at, 1 + next() % 8);
          break;
        default:
          mutated.insert(at, 1, "{}[]\",:0-e.\\"[next() % 12]);
          break;
      }
      if (mutated.empty()) {
        mutated = "{";
      }
    }
    test::Everything decoded;
    Status status = fromJson(mutated, &decoded);
    if (status.isOk()) {
      EXPECT_TRUE(decoded.IsInitialized());
    }
  }
}

}  // namespace
}  // namespace plateau
