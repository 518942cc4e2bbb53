#include "common/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace plateau::base64 {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  EXPECT_EQ(decode("").value(), "");
  EXPECT_EQ(decode("Zg==").value(), "f");
  EXPECT_EQ(decode("Zm8=").value(), "fo");
  EXPECT_EQ(decode("Zm9v").value(), "foo");
  EXPECT_EQ(decode("Zm9vYg==").value(), "foob");
  EXPECT_EQ(decode("Zm9vYmE=").value(), "fooba");
  EXPECT_EQ(decode("Zm9vYmFy").value(), "foobar");
}

TEST(Base64Test, AcceptsMissingPadding) {
  EXPECT_EQ(decode("Zg").value(), "f");
  EXPECT_EQ(decode("Zm8").value(), "fo");
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string data = all.substr(0, n);
    EXPECT_EQ(decode(encode(data)).value(), data);
    EXPECT_EQ(decodeUrlSafe(encodeUrlSafe(data)).value(), data);
  }
}

TEST(Base64Test, UrlSafeUsesDashAndUnderscoreWithoutPadding) {
  std::string data = "\xfb\xff\xbf";
  EXPECT_EQ(encode(data), "+/+/");
  EXPECT_EQ(encodeUrlSafe(data), "-_-_");
  EXPECT_EQ(encodeUrlSafe("f"), "Zg");
  EXPECT_FALSE(decodeUrlSafe("+/+/").has_value());
  EXPECT_FALSE(decode("-_-_").has_value());
}

TEST(Base64Test, RejectsMalformedInput) {
  for (const char* bad : {"Z", "Zm9vY", "Zg=", "Z===", "=", "==", "====", "Zm 9v", "Zm9v\n",
                          "Zg==Zg==", "Zm9v!", "Zm=v"}) {
    auto result = decode(bad);
    EXPECT_FALSE(result.has_value()) << bad;
    if (!result.has_value()) {
      EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(Base64Test, ErrorNamesOffset) {
  auto result = decode("Zm9v!A==");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("offset 4"), std::string::npos)
      << result.error().message();
}

}  // namespace
}  // namespace plateau::base64
