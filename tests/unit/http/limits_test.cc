#include "http/limits.h"

#include <gtest/gtest.h>

namespace plateau::http {
namespace {

TEST(ServerLimitsTest, DefaultsStayWithoutVariables) {
  auto o = applyServerLimits({}, ServerOptions{});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->max_request_line_bytes, 8u << 10);
  EXPECT_EQ(o->max_header_bytes, 64u << 10);
  EXPECT_EQ(o->max_body_bytes, 16u << 20);
  EXPECT_EQ(o->max_stream_buffer_bytes, 8u << 20);
  EXPECT_EQ(o->max_connections, 16384u);
  EXPECT_EQ(o->request_timeout, std::chrono::seconds(60));
}

TEST(ServerLimitsTest, VariablesOverrideInMesosUnits) {
  auto o = applyServerLimits({{"PLATEAU_HTTP_MAX_REQUEST_LINE", "4KB"},
                              {"PLATEAU_HTTP_MAX_HEADERS", "32KB"},
                              {"PLATEAU_HTTP_MAX_BODY", "2MB"},
                              {"PLATEAU_HTTP_MAX_STREAM_BUFFER", "1MB"},
                              {"PLATEAU_HTTP_MAX_CONNECTIONS", "100"},
                              {"PLATEAU_HTTP_REQUEST_TIMEOUT", "300ms"},
                              {"PLATEAU_HTTP_WRITE_TIMEOUT", "2mins"},
                              {"PLATEAU_HTTP_HANDSHAKE_TIMEOUT", "5secs"}},
                             ServerOptions{});
  ASSERT_TRUE(o.has_value()) << o.error().message();
  EXPECT_EQ(o->max_request_line_bytes, 4u << 10);
  EXPECT_EQ(o->max_header_bytes, 32u << 10);
  EXPECT_EQ(o->max_body_bytes, 2u << 20);
  EXPECT_EQ(o->max_stream_buffer_bytes, 1u << 20);
  EXPECT_EQ(o->max_connections, 100u);
  EXPECT_EQ(o->request_timeout, std::chrono::milliseconds(300));
  EXPECT_EQ(o->write_timeout, std::chrono::minutes(2));
  EXPECT_EQ(o->handshake_timeout, std::chrono::seconds(5));
}

TEST(ServerLimitsTest, BadValuesNameTheVariable) {
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"PLATEAU_HTTP_MAX_BODY", "lots"},
           {"PLATEAU_HTTP_MAX_BODY", "0B"},
           {"PLATEAU_HTTP_MAX_CONNECTIONS", "-3"},
           {"PLATEAU_HTTP_MAX_CONNECTIONS", "0"},
           {"PLATEAU_HTTP_REQUEST_TIMEOUT", "soon"},
           {"PLATEAU_HTTP_REQUEST_TIMEOUT", "0secs"}}) {
    auto o = applyServerLimits({{name, value}}, ServerOptions{});
    ASSERT_FALSE(o.has_value()) << name << "=" << value;
    EXPECT_EQ(o.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.error().message().find(name), std::string::npos) << o.error().message();
  }
}

}  // namespace
}  // namespace plateau::http
