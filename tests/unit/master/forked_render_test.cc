#include "master/forked_render.h"

#include <gtest/gtest.h>

namespace plateau::master {
namespace {

TEST(ForkedRenderTest, AResponseSurvivesTheWireBetweenChildAndParent) {
  http::Response in = http::Response::json(R"({"slaves":[],"note":"a:b\nc"})");
  in.headers["x-extra"] = "value: with colon";
  http::Response out;
  ASSERT_TRUE(ForkedRender::decode(ForkedRender::encode(in), out));
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.body, in.body);
}

TEST(ForkedRenderTest, AnEmptyBodyAndAnErrorStatus) {
  http::Response out;
  ASSERT_TRUE(ForkedRender::decode(ForkedRender::encode(http::Response::text(503, "")), out));
  EXPECT_EQ(out.status, 503);
  EXPECT_EQ(out.body, "");
}

TEST(ForkedRenderTest, ATruncatedOrGarbledAnswerIsRefused) {
  http::Response out;
  EXPECT_FALSE(ForkedRender::decode("", out));
  EXPECT_FALSE(ForkedRender::decode("200", out));
  EXPECT_FALSE(ForkedRender::decode("abc\n\n", out));
  EXPECT_FALSE(ForkedRender::decode("99\n\nbody", out));
  EXPECT_FALSE(ForkedRender::decode("200\ncontent-type:x\n", out));  // no blank line
  EXPECT_FALSE(ForkedRender::decode("200\nno colon here\n\n", out));
}

}  // namespace
}  // namespace plateau::master
