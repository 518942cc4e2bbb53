#include "service/cors.h"

#include <gtest/gtest.h>

namespace plateau::service {
namespace {

TEST(CorsPolicyTest, AllowsOnlyTheListedOriginsOrAny) {
  auto none = CorsPolicy::parse("");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->allowOrigin("http://a:1"), "");

  auto listed = CorsPolicy::parse("http://a:1, https://b.example");
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->allowOrigin("http://a:1"), "http://a:1");
  EXPECT_EQ(listed->allowOrigin("https://b.example"), "https://b.example");
  EXPECT_EQ(listed->allowOrigin("http://a:2"), "");
  EXPECT_EQ(listed->allowOrigin(""), "");

  auto any = CorsPolicy::parse("*");
  ASSERT_TRUE(any.has_value());
  EXPECT_TRUE(any->allowsAny());
  EXPECT_EQ(any->allowOrigin("http://whoever:9"), "*");
  EXPECT_EQ(any->allowOrigin(""), "*");
}

TEST(CorsPolicyTest, RefusesWhatIsNoOrigin) {
  for (const char* bad : {"localhost:5050", "http://a:1/path", "http://", "http://a, b"}) {
    auto p = CorsPolicy::parse(bad);
    ASSERT_FALSE(p.has_value()) << bad;
    EXPECT_NE(p.error().message().find("not an origin"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace plateau::service
