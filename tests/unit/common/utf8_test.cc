#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace plateau::utf8 {
namespace {

size_t length(std::string_view bytes) {
  return sequenceLength(bytes.data(), bytes.data() + bytes.size());
}

TEST(Utf8Test, MeasuresWellFormedSequences) {
  EXPECT_EQ(length("a"), 1u);
  EXPECT_EQ(length(std::string_view("\0", 1)), 1u);
  EXPECT_EQ(length("\xC2\x80"), 2u);          // U+0080
  EXPECT_EQ(length("\xDF\xBF"), 2u);          // U+07FF
  EXPECT_EQ(length("\xE0\xA0\x80"), 3u);      // U+0800
  EXPECT_EQ(length("\xED\x9F\xBF"), 3u);      // U+D7FF
  EXPECT_EQ(length("\xEE\x80\x80"), 3u);      // U+E000
  EXPECT_EQ(length("\xF0\x90\x80\x80"), 4u);  // U+10000
  EXPECT_EQ(length("\xF4\x8F\xBF\xBF"), 4u);  // U+10FFFF
  EXPECT_EQ(length("\xC3\xA9tail"), 2u);
}

TEST(Utf8Test, RejectsIllFormedSequences) {
  for (std::string_view bad :
       {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF",
        "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3", "\xE2\x82",
        "\xF0\x9F\x98", "\xC3\x28", "\xE2\x28\xA1"}) {
    EXPECT_EQ(length(bad), 0u) << ::testing::PrintToString(bad);
  }
}

TEST(Utf8Test, EncodesCodePoints) {
  for (uint32_t code_point : {0x0u, 0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFFu,
                              0x10000u, 0x10FFFFu}) {
    std::string out;
    appendCodePoint(out, code_point);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(sequenceLength(out.data(), out.data() + out.size()), out.size()) << code_point;
  }
  std::string euro;
  appendCodePoint(euro, 0x20AC);
  EXPECT_EQ(euro, "\xE2\x82\xAC");
}

}  // namespace
}  // namespace plateau::utf8
