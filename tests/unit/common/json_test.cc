#include "common/json.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace plateau::json {
namespace {

Value parseOk(std::string_view text) {
  auto parsed = parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed.value_or(Value());
}

std::string parseError(std::string_view text, const ParseOptions& options = {}) {
  auto parsed = parse(text, options);
  EXPECT_FALSE(parsed.has_value()) << "accepted: " << text;
  if (parsed.has_value()) {
    return "";
  }
  EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
  return parsed.error().message();
}

TEST(JsonParseTest, ParsesScalars) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk("true").asBool());
  EXPECT_FALSE(parseOk(" false ").asBool());
  EXPECT_EQ(parseOk("\"hi\"").asString(), "hi");
  EXPECT_EQ(parseOk("\n\t\r 42 \n").toInt64(), 42);
}

TEST(JsonParseTest, KeepsIntegerKindsExact) {
  Value max = parseOk("9223372036854775807");
  EXPECT_TRUE(max.isInt64());
  EXPECT_EQ(max.toInt64(), std::numeric_limits<int64_t>::max());

  Value min = parseOk("-9223372036854775808");
  EXPECT_TRUE(min.isInt64());
  EXPECT_EQ(min.toInt64(), std::numeric_limits<int64_t>::min());

  Value big = parseOk("18446744073709551615");
  EXPECT_TRUE(big.isUint64());
  EXPECT_EQ(big.toUint64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(big.toInt64(), std::nullopt);

  Value huge = parseOk("18446744073709551616");
  EXPECT_TRUE(huge.isDouble());
  EXPECT_EQ(huge.asDouble(), 0x1p64);
  EXPECT_EQ(huge.toUint64(), std::nullopt);

  Value too_negative = parseOk("-9223372036854775809");
  EXPECT_TRUE(too_negative.isDouble());

  EXPECT_TRUE(parseOk("-0").isInt64());
  EXPECT_EQ(parseOk("-1").toUint64(), std::nullopt);
}

TEST(JsonParseTest, ParsesDoubles) {
  EXPECT_TRUE(parseOk("1.0").isDouble());
  EXPECT_EQ(parseOk("1.0").toInt64(), 1);
  EXPECT_EQ(parseOk("0.5").asDouble(), 0.5);
  EXPECT_EQ(parseOk("-2.5e3").asDouble(), -2500.0);
  EXPECT_EQ(parseOk("1E+2").asDouble(), 100.0);
  EXPECT_EQ(parseOk("1e-2").asDouble(), 0.01);
  EXPECT_EQ(parseOk("0.1").asDouble(), 0.1);
  EXPECT_EQ(parseOk("4.9e-324").asDouble(), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(parseOk("1.5").toInt64(), std::nullopt);
  EXPECT_EQ(parseOk("9.3e18").toInt64(), std::nullopt);
  EXPECT_EQ(parseOk("9.3e18").toUint64(), 9300000000000000000u);
}

TEST(JsonParseTest, ParsesStringEscapesAndUnicode) {
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\b\f\n\r\t")").asString(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20AC")").asString(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parseOk(R"("\u0000")").asString(), std::string(1, '\0'));
  EXPECT_EQ(parseOk("\"h\xC3\xA9llo \xF0\x9F\x98\x80\"").asString(),
            "h\xC3\xA9llo \xF0\x9F\x98\x80");
}

TEST(JsonParseTest, ParsesContainersPreservingOrder) {
  Value doc = parseOk(R"({"z": 1, "a": [true, null, "x", {"k": []}], "m": {}})");
  ASSERT_TRUE(doc.isObject());
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc.asObject()[0].key, "z");
  EXPECT_EQ(doc.asObject()[1].key, "a");
  EXPECT_EQ(doc.asObject()[2].key, "m");
  EXPECT_EQ(doc["a"].size(), 4u);
  EXPECT_TRUE(doc["a"][0].asBool());
  EXPECT_TRUE(doc["a"][1].isNull());
  EXPECT_EQ(doc["a"][2].asString(), "x");
  EXPECT_TRUE(doc["a"][3]["k"].isArray());
  EXPECT_TRUE(doc["m"].isObject());
  EXPECT_EQ(doc.find("missing"), nullptr);
  EXPECT_TRUE(doc["missing"]["deeper"][7].isNull());
}

TEST(JsonParseTest, DuplicateKeysAreKeptAndLookupSeesTheLast) {
  Value doc = parseOk(R"({"a": 1, "a": 2})");
  EXPECT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc["a"].toInt64(), 2);
}

TEST(JsonParseTest, RejectsMalformedDocuments) {
  for (const char* bad : {"",
                          " ",
                          "nul",
                          "tru",
                          "True",
                          "[1,]",
                          "{\"a\":1,}",
                          "[1 2]",
                          "{\"a\" 1}",
                          "{a:1}",
                          "{'a':1}",
                          "[",
                          "{",
                          "]",
                          "01",
                          "-",
                          "1.",
                          ".5",
                          "+1",
                          "1e",
                          "1e+",
                          "0x10",
                          "NaN",
                          "Infinity",
                          "-Infinity",
                          "\"abc",
                          "\"\\x\"",
                          "\"\\u12\"",
                          "\"\\u12G4\"",
                          "1 2",
                          "[1] x",
                          "// c\n1",
                          "/* c */1",
                          "\"tab\there\"",
                          "\"line\nbreak\"",
                          "\xEF\xBB\xBF{}",
                          "{\"a\":1}}",
                          "1e400",
                          "-1e400"}) {
    parseError(bad);
  }
}

TEST(JsonParseTest, RejectsInvalidUtf8AndSurrogates) {
  for (const char* bad : {
           "\"\xC0\x80\"",          // overlong NUL
           "\"\xC1\xBF\"",          // overlong
           "\"\xE0\x80\xAF\"",      // overlong
           "\"\xED\xA0\x80\"",      // UTF-8 encoded surrogate
           "\"\xF4\x90\x80\x80\"",  // beyond U+10FFFF
           "\"\xF5\x80\x80\x80\"",  // invalid lead byte
           "\"\x80\"",              // lone continuation byte
           "\"\xC3\"",              // truncated sequence
           "\"\xE2\x82\"",          // truncated sequence
           "\"\xFF\"",              // never valid
           R"("\ud83d")",           // lone high surrogate
           R"("\ud83dx")",          // high surrogate followed by text
           R"("\ude00")",           // lone low surrogate
           R"("\ud83d\u0041")",     // high surrogate followed by a non-surrogate
           R"("\ud83d\ud83d")",     // two high surrogates
       }) {
    parseError(bad);
  }
}

TEST(JsonParseTest, ErrorsNameLineColumnAndOffset) {
  std::string message = parseError("{\n  \"a\": [1,\n  ]\n}");
  EXPECT_NE(message.find("line 3, column 3 (offset 15)"), std::string::npos) << message;
  message = parseError("[1, 2] trailing");
  EXPECT_NE(message.find("unexpected data after the JSON value"), std::string::npos) << message;
  message = parseError(R"(["\q"])");
  EXPECT_NE(message.find("column 3"), std::string::npos) << message;
}

TEST(JsonParseTest, LimitsNestingDepth) {
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse(nested(128)).has_value());
  std::string message = parseError(nested(129));
  EXPECT_NE(message.find("nesting deeper than 128"), std::string::npos) << message;

  EXPECT_TRUE(parse(nested(3), ParseOptions{.max_depth = 3}).has_value());
  parseError(nested(4), ParseOptions{.max_depth = 3});

  std::string objects;
  for (int i = 0; i < 200; ++i) {
    objects += "{\"a\":";
  }
  parseError(objects + "1" + std::string(200, '}'));
}

TEST(JsonParseTest, HostileInputDoesNotExhaustTheStack) {
  parseError(std::string(1'000'000, '['));
  parseError(std::string(1'000'000, '{'));
  std::string alternating;
  for (int i = 0; i < 500'000; ++i) {
    alternating += "[{\"a\":";
  }
  parseError(alternating);
}

TEST(JsonValueTest, BuildsDocuments) {
  Value doc;
  doc.set("name", "plateau");
  doc.set("port", 5050);
  doc.set("ratio", 0.5);
  doc.set("big", uint64_t{18446744073709551615u});
  doc.set("name", "renamed");
  Value& list = doc.set("list", Value());
  list.push(1);
  list.push("two");
  list.push(Value(Object{}));
  EXPECT_EQ(stringify(doc),
            R"({"name":"renamed","port":5050,"ratio":0.5,"big":18446744073709551615,)"
            R"("list":[1,"two",{}]})");
  EXPECT_EQ(parseOk(stringify(doc)), doc);
}

TEST(JsonValueTest, WrongKindAccessorsReturnEmptyValues) {
  Value number(7);
  EXPECT_EQ(number.asString(), "");
  EXPECT_TRUE(number.asArray().empty());
  EXPECT_TRUE(number.asObject().empty());
  EXPECT_FALSE(number.asBool());
  EXPECT_EQ(number.find("x"), nullptr);
  EXPECT_EQ(number.size(), 0u);
  EXPECT_EQ(Value("7").toInt64(), std::nullopt);
  EXPECT_EQ(Value("7").asDouble(), 0.0);
}

TEST(JsonValueTest, EqualityIsStructural) {
  EXPECT_EQ(parseOk(R"({"a":[1,"b",null]})"), parseOk(R"({ "a" : [ 1 , "b" , null ] })"));
  EXPECT_NE(parseOk(R"({"a":1,"b":2})"), parseOk(R"({"b":2,"a":1})"));
  EXPECT_NE(parseOk("1"), parseOk("1.0"));
}

std::string write(auto&& fn) {
  std::string out;
  Writer writer(&out);
  fn(writer);
  return out;
}

TEST(JsonWriterTest, WritesNestedContainersWithSeparators) {
  std::string out = write([](Writer& w) {
    w.beginObject();
    w.key("a");
    w.beginArray();
    w.value(1);
    w.value(true);
    w.null();
    w.beginObject();
    w.endObject();
    w.beginArray();
    w.endArray();
    w.endArray();
    w.key("b");
    w.value("x");
    w.key("c");
    w.rawValue(R"({"pre":"rendered"})");
    w.key("d");
    w.value(std::string("s"));
    w.endObject();
  });
  EXPECT_EQ(out, R"({"a":[1,true,null,{},[]],"b":"x","c":{"pre":"rendered"},"d":"s"})");
  EXPECT_TRUE(parse(out).has_value());
}

TEST(JsonWriterTest, AppendsToExistingText) {
  std::string out = "prefix:";
  Writer writer(&out);
  writer.value(1);
  EXPECT_EQ(out, "prefix:1");
}

TEST(JsonWriterTest, WritesIntegersExactly) {
  EXPECT_EQ(write([](Writer& w) { w.value(std::numeric_limits<int64_t>::min()); }),
            "-9223372036854775808");
  EXPECT_EQ(write([](Writer& w) { w.value(std::numeric_limits<uint64_t>::max()); }),
            "18446744073709551615");
  EXPECT_EQ(write([](Writer& w) { w.value(int32_t{-5}); }), "-5");
  EXPECT_EQ(write([](Writer& w) { w.value(uint32_t{4000000000u}); }), "4000000000");
}

std::string writeDouble(double number) {
  return write([&](Writer& w) { w.value(number); });
}

TEST(JsonWriterTest, WritesDoublesShortestAndIntegralWithPointZero) {
  EXPECT_EQ(writeDouble(2.0), "2.0");
  EXPECT_EQ(writeDouble(0.5), "0.5");
  EXPECT_EQ(writeDouble(0.1), "0.1");
  EXPECT_EQ(writeDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(writeDouble(-3.25), "-3.25");
  EXPECT_EQ(writeDouble(0.0), "0.0");
  EXPECT_EQ(writeDouble(-0.0), "-0.0");
  EXPECT_EQ(writeDouble(1024.0), "1024.0");
  EXPECT_EQ(writeDouble(1e15), "1000000000000000.0");
  EXPECT_EQ(writeDouble(0x1p53), "9007199254740992.0");
  EXPECT_EQ(writeDouble(1e20), "1e+20");
  EXPECT_EQ(writeDouble(1e-7), "1e-07");
  EXPECT_EQ(writeDouble(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(writeDouble(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(writeDouble(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(write([](Writer& w) { w.value(0.1f); }), "0.1");
  EXPECT_EQ(write([](Writer& w) { w.value(3.0f); }), "3.0");
}

TEST(JsonWriterTest, DoublesRoundTripBitForBit) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 20000; ++i) {
    double number = std::bit_cast<double>(rng());
    if (!std::isfinite(number)) {
      continue;
    }
    std::string text = writeDouble(number);
    auto parsed = parse(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(std::bit_cast<uint64_t>(parsed->asDouble()), std::bit_cast<uint64_t>(number)) << text;
  }
}

TEST(JsonWriterTest, EscapesStrings) {
  std::string out =
      write([](Writer& w) { w.value(std::string_view("q\"b\\s/\b\f\n\r\t\x01\x1f\0", 14)); });
  EXPECT_EQ(out, R"("q\"b\\s/\b\f\n\r\t\u0001\u001f\u0000")");
  EXPECT_EQ(write([](Writer& w) { w.value("h\xC3\xA9 \xF0\x9F\x98\x80"); }),
            "\"h\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(write([](Writer& w) {
              w.beginObject();
              w.key("k\"ey");
              w.value(1);
              w.endObject();
            }),
            R"({"k\"ey":1})");
}

TEST(JsonWriterTest, ReplacesInvalidUtf8SoOutputStaysValid) {
  std::string out = write([](Writer& w) {
    w.value(
        "a\xFF"
        "b\xC3"
        "c\xED\xA0\x80");
  });
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_TRUE(parse(out).has_value());
}

TEST(JsonWriterTest, StringsRoundTrip) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) {
    all += static_cast<char>(c);
  }
  all += std::string("\0\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", 14);
  std::string out = write([&](Writer& w) { w.value(all); });
  EXPECT_EQ(parseOk(out).asString(), all);
}

TEST(JsonTest, StringifyOfParseIsCanonical) {
  for (const char* doc :
       {R"({"a":[1,-2,3.5,"x",true,false,null],"b":{"c":{}},"d":[]})", R"("\u0001")", "[]", "{}",
        "-9223372036854775808", "18446744073709551615", "1e+300", "[[[[]]]]"}) {
    EXPECT_EQ(stringify(parseOk(doc)), doc);
  }
}

}  // namespace
}  // namespace plateau::json
