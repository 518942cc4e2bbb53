// --whitelist's file: its hostnames, and reading it again.

#include "master/whitelist.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace plateau::master {
namespace {

TEST(Whitelist, HostnamesAreTheNonEmptyTrimmedLines) {
  EXPECT_EQ(parseWhitelist("a.example\n  b.example \r\n\n\tc\n"),
            (std::set<std::string>{"a.example", "b.example", "c"}));
  EXPECT_TRUE(parseWhitelist("").empty());
}

TEST(Whitelist, StarOrNothingWatchesNoFile) {
  EXPECT_FALSE(WhitelistFile("").watching());
  EXPECT_FALSE(WhitelistFile("*").watching());
  EXPECT_EQ(WhitelistFile("file:///etc/hosts.allow").path(), "/etc/hosts.allow");
}

TEST(Whitelist, PollReportsChangesAndKeepsTheLastListWhenUnreadable) {
  std::string path = fmt::format("/tmp/plateau-whitelist-unit-{}", ::getpid());
  std::ofstream(path) << "h1\n";
  WhitelistFile file(path);
  std::string error;
  auto first = file.poll(&error);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->hostnames, (std::set<std::string>{"h1"}));
  EXPECT_FALSE(file.poll(&error).has_value());  // unchanged
  std::ofstream(path) << "";
  auto emptied = file.poll(&error);
  ASSERT_TRUE(emptied.has_value());
  EXPECT_EQ(emptied->hostnames, std::set<std::string>{});
  std::remove(path.c_str());
  EXPECT_FALSE(file.poll(&error).has_value());
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace plateau::master
