#include "agent/images/image_user.h"

#include <gtest/gtest.h>

namespace plateau::agent::images {
namespace {

constexpr const char* kPasswd =
    "# comment\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "app:x:4242:4343:App:/home/app:/bin/sh\r\n"
    "broken:x:notanumber:1::/:/bin/sh\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "appgrp:x:4343:app\n"
    "extra:x:5000:other,app\n"
    "more:x:5001:application\n"
    "bad:x:zz:app\n";

TEST(ImageUser, ResolvesUidGidHomeAndSupplementaryGroups) {
  auto user = parseImageUser(kPasswd, kGroup, "app");
  ASSERT_TRUE(user) << user.error().message();
  EXPECT_EQ(user->uid, 4242u);
  EXPECT_EQ(user->gid, 4343u);
  EXPECT_EQ(user->home, "/home/app");
  // Its primary group is not repeated; a member named "application" is not "app".
  EXPECT_EQ(user->groups, std::vector<gid_t>{5000});
}

TEST(ImageUser, UnknownAndMalformedUsersAreNamed) {
  auto missing = parseImageUser(kPasswd, kGroup, "nobody-here");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "user 'nobody-here' is not in the image's /etc/passwd");
  auto broken = parseImageUser(kPasswd, kGroup, "broken");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(broken.error().message().find("malformed line for user 'broken'"), std::string::npos);
}

TEST(ImageUser, RootWithoutAGroupFile) {
  auto root = parseImageUser(kPasswd, "", "root");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);
  EXPECT_TRUE(root->groups.empty());
}

TEST(ImageUser, ReadingARootfsWithoutPasswdSaysSo) {
  auto user = readImageUser("/nonexistent-rootfs-for-test", "app");
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code(), StatusCode::kNotFound);
  EXPECT_NE(user.error().message().find("user 'app' is not in the image"), std::string::npos);
}

}  // namespace
}  // namespace plateau::agent::images
