#include "agent/images/layer_unpack.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "agent/images/provisioner.h"
#include "fakes/docker_save_writer.h"

namespace plateau::agent::images {
namespace {

namespace fs = std::filesystem;
using testing::dirEntry;
using testing::fileEntry;
using testing::symlinkEntry;

TEST(LayerPathTest, NormalisesRelativeNames) {
  EXPECT_EQ(*checkEntryPath("./a//b/"), "a/b");
  EXPECT_EQ(*checkEntryPath("."), "");
  EXPECT_EQ(*checkEntryPath("a/./b"), "a/b");
}

TEST(LayerPathTest, AbsoluteAndClimbingNamesEscape) {
  for (const char* bad : {"/etc/passwd", "../x", "a/../../x", "a/.."}) {
    auto r = checkEntryPath(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("escapes the layer's root"), std::string::npos);
  }
}

TEST(WhiteoutTest, ClassifiesOciWhiteoutsAndOpaqueMarkers) {
  EXPECT_EQ(classifyWhiteout("etc/.wh.passwd").kind, WhiteoutKind::kFile);
  EXPECT_EQ(classifyWhiteout("etc/.wh.passwd").target, "etc/passwd");
  EXPECT_EQ(classifyWhiteout(".wh.top").target, "top");
  EXPECT_EQ(classifyWhiteout("var/.wh..wh..opq").kind, WhiteoutKind::kOpaque);
  EXPECT_EQ(classifyWhiteout("var/.wh..wh..opq").target, "var");
  EXPECT_EQ(classifyWhiteout("etc/passwd").kind, WhiteoutKind::kNone);
  EXPECT_EQ(classifyWhiteout("etc/.wh.").kind, WhiteoutKind::kNone);
}

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-layer-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Status unpack(const std::vector<testing::TarEntry>& entries, const std::string& into) {
    std::string tar = dir_ + "/layer.tar";
    EXPECT_TRUE(testing::writeTar(tar, entries));
    fs::create_directories(into);
    return unpackLayer(tar, into);
  }

  std::string dir_;
};

TEST_F(LayerUnpackTest, WritesFilesLinksAndOverlayStyleWhiteouts) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "whiteout devices need root";
  }
  std::string out = dir_ + "/out";
  Status s =
      unpack({dirEntry("etc"), fileEntry("etc/hosts", "h\n"), symlinkEntry("abs", "/etc"),
              fileEntry("etc/.wh.gone", ""), dirEntry("var"), fileEntry("var/.wh..wh..opq", "")},
             out);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(testing::readWholeFile(out + "/etc/hosts"), "h\n");
  EXPECT_EQ(fs::read_symlink(out + "/abs"), "/etc");  // kept, resolved inside the container
  struct stat st;
  ASSERT_EQ(::lstat((out + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0);
  EXPECT_FALSE(fs::exists(out + "/etc/.wh.gone"));
  EXPECT_FALSE(fs::exists(out + "/var/.wh..wh..opq"));
}

TEST_F(LayerUnpackTest, RefusesToWriteThroughASymlink) {
  std::string out = dir_ + "/out";
  std::string victim = dir_ + "/victim";
  fs::create_directories(victim);
  Status s = unpack({symlinkEntry("link", victim), fileEntry("link/planted", "x")}, out);
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("symbolic link 'link'"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(victim + "/planted"));
}

TEST_F(LayerUnpackTest, RefusesClimbingNamesAndCorruptArchives) {
  Status climb = unpack({fileEntry("../outside", "x")}, dir_ + "/out");
  ASSERT_FALSE(climb.isOk());
  EXPECT_NE(climb.message().find("escapes the layer's root"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/outside"));
  std::ofstream(dir_ + "/junk.tar") << std::string(3000, 'z');
  Status junk = unpackLayer(dir_ + "/junk.tar", dir_ + "/out");
  EXPECT_FALSE(junk.isOk());
}

TEST_F(LayerUnpackTest, CopyBackendAppliesLayersInOrder) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "whiteout devices need root";
  }
  std::string lower = dir_ + "/lower";
  std::string upper = dir_ + "/upper";
  ASSERT_TRUE(
      unpack({dirEntry("d"), fileEntry("d/old", "o"), fileEntry("f", "1"), fileEntry("gone", "g")},
             lower)
          .isOk());
  ASSERT_TRUE(unpack({fileEntry(".wh.gone", ""), dirEntry("d"), fileEntry("d/.wh..wh..opq", ""),
                      fileEntry("d/new", "n"), fileEntry("f", "2")},
                     upper)
                  .isOk());
  std::string rootfs = dir_ + "/rootfs";
  fs::create_directories(rootfs);
  ASSERT_TRUE(applyLayerCopy(lower, rootfs).isOk());
  ASSERT_TRUE(applyLayerCopy(upper, rootfs).isOk());
  EXPECT_EQ(testing::readWholeFile(rootfs + "/f"), "2");
  EXPECT_FALSE(fs::exists(rootfs + "/gone"));
  EXPECT_FALSE(fs::exists(rootfs + "/d/old"));
  EXPECT_TRUE(fs::exists(rootfs + "/d/new"));
}

TEST_F(LayerUnpackTest, Sha256OfAFile) {
  std::ofstream(dir_ + "/abc") << "abc";
  EXPECT_EQ(*sha256File(dir_ + "/abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace plateau::agent::images
