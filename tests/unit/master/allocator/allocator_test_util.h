#pragma once

// Helpers shared by the allocator's unit tests: resources from text, and a status assertion.

#include <string_view>

#include <gtest/gtest.h>

#include "common/resources.h"
#include "common/status.h"

namespace plateau::master::allocator::testing {

inline Resources res(std::string_view text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Resources());
}

}  // namespace plateau::master::allocator::testing

#define PLATEAU_ASSERT_OK(expr)                                        \
  do {                                                                 \
    const ::plateau::Status status_ = (expr);                          \
    ASSERT_TRUE(status_.isOk()) << #expr << ": " << status_.message(); \
  } while (0)
