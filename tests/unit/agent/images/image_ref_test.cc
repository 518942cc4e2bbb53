#include "agent/images/image_ref.h"

#include <gtest/gtest.h>

namespace plateau::agent::images {
namespace {

TEST(ImageRefTest, DefaultsTheTagToLatest) {
  auto ref = parseImageRef("busybox");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->repository, "busybox");
  EXPECT_EQ(ref->tag, "latest");
  EXPECT_EQ(ref->registry, "");
  EXPECT_EQ(ref->localName(), "busybox:latest");
}

TEST(ImageRefTest, ReadsRegistryRepositoryTagAndDigest) {
  auto ref = parseImageRef("localhost:5000/team/app:1.2-rc");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->registry, "localhost:5000");
  EXPECT_EQ(ref->repository, "team/app");
  EXPECT_EQ(ref->tag, "1.2-rc");
  EXPECT_EQ(ref->str(), "localhost:5000/team/app:1.2-rc");

  std::string digest = "sha256:" + std::string(64, 'a');
  auto pinned = parseImageRef("registry.example.com/nginx@" + digest);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->registry, "registry.example.com");
  EXPECT_EQ(pinned->repository, "nginx");
  EXPECT_EQ(pinned->tag, "");
  EXPECT_EQ(pinned->localName(), "nginx@" + digest);
}

TEST(ImageRefTest, AFirstComponentWithoutDotOrPortIsPartOfTheRepository) {
  auto ref = parseImageRef("library/busybox:1");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->registry, "");
  EXPECT_EQ(ref->repository, "library/busybox");
}

TEST(ImageRefTest, RejectsWhatDockersGrammarDoesNot) {
  for (const char* bad : {"", "Busybox", "bad name", "busybox:", "busybox:-x", "a//b", "-a",
                          "busybox@sha256:123", "busybox@md5:" /* not sha256 */}) {
    auto ref = parseImageRef(bad);
    EXPECT_FALSE(ref) << bad;
    if (!ref) {
      EXPECT_NE(ref.error().message().find("Invalid image name"), std::string::npos) << bad;
    }
  }
  EXPECT_FALSE(parseImageRef("busybox:" + std::string(129, 't')));
}

}  // namespace
}  // namespace plateau::agent::images
