#include "common/resources.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace plateau {
namespace {

Resources parsed(std::string_view text) {
  auto result = Resources::parse(text);
  EXPECT_TRUE(result.has_value()) << text << ": " << result.error().message();
  return result.value_or(Resources());
}

std::string parseError(std::string_view text) {
  auto result = Resources::parse(text);
  EXPECT_FALSE(result.has_value()) << text << " parsed as " << result->toString();
  return result.has_value() ? std::string() : result.error().message();
}

TEST(RangesTest, AddCoalescesOverlappingAndAdjacentIntervals) {
  Ranges ranges;
  ranges.add({10, 20});
  ranges.add({30, 40});
  ranges.add({21, 25});
  EXPECT_EQ(ranges.toString(), "[10-25, 30-40]");
  ranges.add({26, 29});
  EXPECT_EQ(ranges.toString(), "[10-40]");
  ranges.add({5, 50});
  EXPECT_EQ(ranges.toString(), "[5-50]");
  ranges.add({1, 2});
  EXPECT_EQ(ranges.toString(), "[1-2, 5-50]");
}

TEST(RangesTest, SubtractSplitsIntervals) {
  Ranges ranges{{31000, 32000}};
  ranges.subtract({31100, 31199});
  EXPECT_EQ(ranges.toString(), "[31000-31099, 31200-32000]");
  ranges.subtract({30000, 31000});
  EXPECT_EQ(ranges.toString(), "[31001-31099, 31200-32000]");
  ranges.subtract({31050, 31300});
  EXPECT_EQ(ranges.toString(), "[31001-31049, 31301-32000]");
  ranges.subtract(Ranges{{0, 100000}});
  EXPECT_TRUE(ranges.empty());
  EXPECT_EQ(ranges.toString(), "[]");
}

TEST(RangesTest, ContainsAndSize) {
  const Ranges ranges{{31000, 32000}, {33000, 33005}};
  EXPECT_EQ(ranges.toString(), "[31000-32000, 33000-33005]");
  EXPECT_EQ(ranges.size(), 1001u + 6u);
  EXPECT_TRUE(ranges.contains(31000));
  EXPECT_TRUE(ranges.contains(Range{33001, 33005}));
  EXPECT_FALSE(ranges.contains(Range{31999, 33000}));
  EXPECT_FALSE(ranges.contains(32001));
  EXPECT_TRUE(ranges.contains(Ranges{{31000, 31010}, {33002, 33003}}));
  EXPECT_FALSE(ranges.contains(Ranges{{31000, 31010}, {33002, 33006}}));
}

TEST(RangesTest, HandlesTheWholeValueSpaceWithoutOverflow) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  Ranges ranges{{kMax - 1, kMax}};
  ranges.add({0, kMax - 2});
  EXPECT_EQ(ranges.intervals().size(), 1u);
  EXPECT_EQ(ranges.size(), kMax);
  ranges.subtract({kMax, kMax});
  EXPECT_FALSE(ranges.contains(kMax));
  EXPECT_TRUE(ranges.contains(kMax - 1));
}

TEST(ResourcesTest, ScalarsAreExactFixedPoint) {
  Resources sum =
      Resources{Resource::makeScalar("cpus", 0.1)} + Resources{Resource::makeScalar("cpus", 0.2)};
  EXPECT_EQ(sum, Resources{Resource::makeScalar("cpus", 0.3)});
  EXPECT_EQ(sum.scalar("cpus"), 0.3);
  Resources many;
  for (int i = 0; i < 10; ++i) {
    many += Resource::makeScalar("cpus", 0.1);
  }
  EXPECT_EQ(many.scalarMilli("cpus"), 1000);
  EXPECT_EQ(Resource::makeScalar("mem", 0.0004).scalar_milli, 0);
  EXPECT_EQ(Resource::makeScalar("mem", 0.0005).scalar_milli, 1);
}

TEST(ResourcesTest, AdditionMergesByNameAndRole) {
  Resources resources = parsed("cpus:1;mem:512;ports:[1000-1999]");
  resources += parsed("cpus:2;ports:[2000-2999];cpus(eng):4");
  EXPECT_EQ(resources.toString(), "cpus:3; mem:512; ports:[1000-2999]; cpus(eng):4");
  EXPECT_EQ(resources.scalar("cpus"), 7);
  EXPECT_EQ(resources.ranges("ports").toString(), "[1000-2999]");
  EXPECT_EQ(resources.names(), (std::vector<std::string>{"cpus", "mem", "ports"}));
}

TEST(ResourcesTest, SubtractionNeverGoesBelowZeroAndDropsEmptyEntries) {
  Resources resources = parsed("cpus:2;mem:1024;ports:[31000-32000];disks:{a,b}");
  resources -= parsed("cpus:5;ports:[31000-31999];disks:{a}");
  EXPECT_EQ(resources.toString(), "mem:1024; ports:[32000-32000]; disks:{b}");
  resources -= resources;
  EXPECT_TRUE(resources.empty());
}

TEST(ResourcesTest, ArithmeticWithItselfIsSafe) {
  Resources resources = parsed("cpus:2;ports:[1-10];disks:{a,b}");
  resources += resources;
  EXPECT_EQ(resources, parsed("cpus:4;ports:[1-10];disks:{a,b}"));
  resources += resources.entries()[1];
  resources -= resources.entries()[2];
  EXPECT_EQ(resources, parsed("cpus:4;ports:[1-10]"));
  Ranges ranges{{1, 5}};
  ranges.add(ranges);
  EXPECT_EQ(ranges, (Ranges{{1, 5}}));
  ranges.subtract(ranges);
  EXPECT_TRUE(ranges.empty());
}

TEST(ResourcesTest, ContainsComparesEveryKind) {
  const Resources agent = parsed("cpus:24;mem:4096;ports:[31000-32000];disks:{a,b}");
  EXPECT_TRUE(agent.contains(parsed("cpus:24;ports:[31500-31600];disks:{b}")));
  EXPECT_TRUE(agent.contains(Resources()));
  EXPECT_FALSE(agent.contains(parsed("cpus:24.001")));
  EXPECT_FALSE(agent.contains(parsed("ports:[30999-31000]")));
  EXPECT_FALSE(agent.contains(parsed("disks:{c}")));
  EXPECT_FALSE(agent.contains(parsed("gpus:1")));
  EXPECT_FALSE(agent.contains(parsed("cpus(eng):1")));
}

TEST(ResourcesTest, EqualityIgnoresEntryOrder) {
  EXPECT_EQ(parsed("cpus:1;mem:2"), parsed("mem:2;cpus:1"));
  EXPECT_NE(parsed("cpus:1;mem:2"), parsed("cpus:1;mem:3"));
  EXPECT_NE(parsed("cpus:1"), parsed("cpus(eng):1"));
}

TEST(ResourcesTest, AllocatableToKeepsUnreservedAndTheRolesOwn) {
  const Resources resources = parsed("cpus:4;cpus(eng):2;mem(ops):128");
  EXPECT_EQ(resources.allocatableTo("eng"), parsed("cpus:4;cpus(eng):2"));
  EXPECT_EQ(resources.allocatableTo("web"), parsed("cpus:4"));
  EXPECT_FALSE(resources.unreservedOnly());
  EXPECT_TRUE(resources.allocatableTo("web").unreservedOnly());
}

TEST(ResourcesTest, ToStringUsesMesosTextForm) {
  EXPECT_EQ(parsed("cpus:2;mem:1024;ports:[31000-32000]").toString(),
            "cpus:2; mem:1024; ports:[31000-32000]");
  EXPECT_EQ(parsed("cpus:0.5;mem:0.125;disk:1.250").toString(), "cpus:0.5; mem:0.125; disk:1.25");
  EXPECT_EQ(parsed("ports:[33000-33005,31000-32000]").toString(),
            "ports:[31000-32000, 33000-33005]");
  EXPECT_EQ(parsed("disks:{b,a}").toString(), "disks:{a, b}");
  EXPECT_EQ(Resources().toString(), "");
}

TEST(ResourcesParseTest, AcceptsMesosTextSyntax) {
  const Resources resources =
      parsed(" cpus:24; mem:4096 ;disk:4096;ports:[31000-32000];gpus:1;disks:{a,b}; ");
  EXPECT_EQ(resources.scalar("cpus"), 24);
  EXPECT_EQ(resources.scalar("mem"), 4096);
  EXPECT_EQ(resources.scalar("disk"), 4096);
  EXPECT_EQ(resources.scalar("gpus"), 1);
  EXPECT_EQ(resources.ranges("ports"), (Ranges{{31000, 32000}}));
  EXPECT_EQ(resources.toString(),
            "cpus:24; mem:4096; disk:4096; ports:[31000-32000]; gpus:1; disks:{a, b}");
}

TEST(ResourcesParseTest, AcceptsRolesAndSumsRepeatedNames) {
  const Resources resources = parsed("cpus(eng):2;cpus:1;cpus(eng):0.5;mem(*):64");
  EXPECT_EQ(resources.toString(), "cpus(eng):2.5; cpus:1; mem:64");
  EXPECT_EQ(resources.entries()[0].role, "eng");
  EXPECT_EQ(resources.scalar("cpus"), 3.5);
}

TEST(ResourcesParseTest, DropsZeroAndEmptyValues) {
  EXPECT_TRUE(parsed("cpus:0;ports:[];disks:{}").empty());
  EXPECT_TRUE(parsed("").empty());
  EXPECT_TRUE(parsed("  ;; ").empty());
}

TEST(ResourcesParseTest, AcceptsTheJsonArrayForm) {
  const Resources resources = parsed(R"([
      {"name":"cpus","type":"SCALAR","scalar":{"value":2}},
      {"name":"mem","type":"SCALAR","scalar":{"value":1024.5},"role":"eng"},
      {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000},
                                                          {"begin":"33000","end":33005}]}},
      {"name":"disks","type":"SET","set":{"item":["a","b\u00e9"]},"reservations":[]}
  ])");
  EXPECT_EQ(resources.toString(),
            "cpus:2; mem(eng):1024.5; ports:[31000-32000, 33000-33005]; disks:{a, b\xc3\xa9}");
  EXPECT_EQ(parsed("[]"), Resources());
}

TEST(ResourcesParseTest, TextAndJsonFormsAgree) {
  EXPECT_EQ(parsed("cpus:2;ports:[31000-32000]"),
            parsed(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":2}},
                       {"name":"ports","type":"RANGES",
                        "ranges":{"range":[{"begin":31000,"end":32000}]}}])"));
}

TEST(ResourcesParseTest, RejectsBadScalars) {
  EXPECT_NE(parseError("cpus:-1").find("negative"), std::string::npos);
  EXPECT_NE(parseError("cpus:nan").find("NaN"), std::string::npos);
  EXPECT_NE(parseError("cpus:inf").find("limit"), std::string::npos);
  EXPECT_NE(parseError("cpus:1e13").find("limit"), std::string::npos);
  EXPECT_NE(parseError("cpus:two").find("invalid scalar"), std::string::npos);
  EXPECT_NE(parseError("cpus:").find("invalid scalar"), std::string::npos);
  EXPECT_NE(parseError("cpus:1.5x").find("'cpus'"), std::string::npos);
}

TEST(ResourcesParseTest, RejectsMalformedOrOverlappingRanges) {
  EXPECT_NE(parseError("ports:[32000-31000]").find("begin exceeds its end"), std::string::npos);
  EXPECT_NE(parseError("ports:[31000-32000,31500-33000]").find("overlapping"), std::string::npos);
  EXPECT_NE(parseError("ports:[31000]").find("malformed range"), std::string::npos);
  EXPECT_NE(parseError("ports:[a-b]").find("range bound"), std::string::npos);
  EXPECT_NE(parseError("ports:[-5-7]").find("range bound"), std::string::npos);
  EXPECT_NE(parseError("ports:[1-2").find("closing"), std::string::npos);
}

TEST(ResourcesParseTest, RejectsBadNamesRolesAndSets) {
  EXPECT_NE(parseError(":2").find("name is empty"), std::string::npos);
  EXPECT_NE(parseError("cpus").find("no ':'"), std::string::npos);
  EXPECT_NE(parseError("my cpus:2").find("whitespace"), std::string::npos);
  EXPECT_NE(parseError("cpus(:2").find("unterminated role"), std::string::npos);
  EXPECT_NE(parseError("cpus():2").find("invalid role"), std::string::npos);
  EXPECT_NE(parseError("cpus(..):2").find("invalid role"), std::string::npos);
  EXPECT_NE(parseError("disks:{a,a}").find("duplicate"), std::string::npos);
  EXPECT_NE(parseError("disks:{a,,b}").find("empty set item"), std::string::npos);
  EXPECT_NE(parseError("cpus:1;cpus:[1-2]").find("types SCALAR and RANGES"), std::string::npos);
}

TEST(ResourcesParseTest, RejectsBadJson) {
  EXPECT_NE(parseError(R"([{"name":"cpus","type":"TEXT","text":{"value":"x"}}])")
                .find("unknown type 'TEXT'"),
            std::string::npos);
  EXPECT_NE(
      parseError(R"([{"name":"","type":"SCALAR","scalar":{"value":1}}])").find("name is empty"),
      std::string::npos);
  EXPECT_NE(parseError(R"([{"type":"SCALAR","scalar":{"value":1}}])").find("'name'"),
            std::string::npos);
  EXPECT_NE(
      parseError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":-2}}])").find("negative"),
      std::string::npos);
  EXPECT_NE(parseError(R"([{"name":"cpus","type":"SCALAR"}])").find("'scalar'"), std::string::npos);
  EXPECT_NE(parseError(R"([{"name":"ports","type":"RANGES","ranges":{"range":[
                {"begin":1,"end":10},{"begin":5,"end":20}]}}])")
                .find("overlapping"),
            std::string::npos);
  EXPECT_NE(parseError(R"([{"name":"ports","type":"RANGES","ranges":{"range":[
                {"begin":-1,"end":10}]}}])")
                .find("range bound"),
            std::string::npos);
  EXPECT_NE(
      parseError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1}})").find("invalid JSON"),
      std::string::npos);
  EXPECT_NE(parseError(R"([{"name":"cpus",}])").find("invalid JSON"), std::string::npos);
  EXPECT_NE(parseError(R"([1] x)").find("trailing"), std::string::npos);
  EXPECT_NE(parseError(R"([NaN])").find("invalid JSON"), std::string::npos);
  EXPECT_NE(parseError(std::string(100, '[')).find("nested too deeply"), std::string::npos);
}

TEST(ResourceVectorTest, SumsTheFixedSlotsOverRoles) {
  const ResourceVector vector =
      ResourceVector::of(parsed("cpus:1.5;cpus(eng):0.5;mem:64;disk:10;gpus:1;ports:[1-2];foo:9"));
  EXPECT_EQ(vector.value(ResourceVector::kCpus), 2.0);
  EXPECT_EQ(vector.value(ResourceVector::kMem), 64.0);
  EXPECT_EQ(vector.value(ResourceVector::kDisk), 10.0);
  EXPECT_EQ(vector.value(ResourceVector::kGpus), 1.0);
  ResourceVector copy = vector;
  copy -= vector;
  EXPECT_TRUE(copy.isZero());
  copy -= vector;
  EXPECT_TRUE(copy.isZero());
  copy += vector;
  EXPECT_EQ(copy, vector);
}

}  // namespace
}  // namespace plateau
