#include "agent/images/image_gc.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/images/store.h"

namespace plateau::agent::images {
namespace {

namespace fs = std::filesystem;

TEST(ImageGcConfig, ReadsMesosShapeWithDefaults) {
  auto defaults = parseImageGcConfig("{}");
  ASSERT_TRUE(defaults);
  EXPECT_DOUBLE_EQ(defaults->image_disk_headroom, 0.1);
  EXPECT_EQ(defaults->image_disk_watch_interval, std::chrono::minutes(5));
  auto full = parseImageGcConfig(
      R"({"image_disk_headroom":0.25,"image_disk_watch_interval":{"nanoseconds":1000000000},
          "excluded_images":[{"type":"DOCKER","docker":{"name":"busybox"}}]})");
  ASSERT_TRUE(full) << full.error().message();
  EXPECT_DOUBLE_EQ(full->image_disk_headroom, 0.25);
  EXPECT_EQ(full->image_disk_watch_interval, std::chrono::seconds(1));
  EXPECT_EQ(full->excluded_images, (std::vector<std::string>{"busybox"}));
}

TEST(ImageGcConfig, BadValuesNameTheFlagAndField) {
  for (const char* bad :
       {"[]", R"({"image_disk_headroom":1.5})", R"({"image_disk_watch_interval":5})",
        R"({"image_disk_watch_interval":{"nanoseconds":0}})",
        R"({"excluded_images":[{"type":"APPC","appc":{"name":"x"}}]})"}) {
    auto config = parseImageGcConfig(bad);
    ASSERT_FALSE(config) << bad;
    EXPECT_NE(config.error().message().find("Flag '--image_gc_config'"), std::string::npos);
  }
}

TEST(ImageGcConfig, DiskUsageIsAFraction) {
  auto usage = diskUsage("/");
  ASSERT_TRUE(usage);
  EXPECT_GE(*usage, 0.0);
  EXPECT_LE(*usage, 1.0);
  EXPECT_FALSE(diskUsage("/no/such/folder/anywhere"));
}

class StorePruneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(dir_ / "images");
    fs::remove_all(dir_ / "layers");
    ASSERT_TRUE(store_.initialize().isOk());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A stored image `name` of the layers `hexes` (one character each, repeated).
  void addImage(const std::string& file, const std::string& name, const std::string& hexes) {
    std::string layers;
    for (char c : hexes) {
      std::string hex(64, c);
      fs::create_directories(dir_ / "layers" / hex / "rootfs");
      layers += std::string(layers.empty() ? "" : ",") + "\"sha256:" + hex + "\"";
    }
    std::ofstream(dir_ / "images" / (file + ".json"))
        << R"({"name":")" << name << R"(","layers":[)" << layers << "]}";
  }
  std::string layer(char c) { return (dir_ / "layers" / std::string(64, c) / "rootfs").string(); }

  fs::path dir_ = fs::temp_directory_path() / ("plateau-prune-" + std::to_string(::getpid()));
  Store store_{dir_.string(), "/nowhere"};
};

TEST_F(StorePruneTest, KeepsExcludedAndInUseImagesAndTheirLayers) {
  addImage("a", "a:latest", "01");  // shares layer 0 with b and c
  addImage("b", "b:latest", "02");
  addImage("c", "c:latest", "03");
  // b is excluded; c's container is live; a only shares a layer with them.
  auto result = store_.prune({"b:latest"}, {layer('0'), layer('3')});
  EXPECT_EQ(result.images_removed, (std::vector<std::string>{"a:latest"}));
  EXPECT_EQ(result.layers_removed, 1u);
  EXPECT_FALSE(fs::exists(layer('1')));
  for (char kept : {'0', '2', '3'}) {
    EXPECT_TRUE(fs::exists(layer(kept))) << kept;
  }
  EXPECT_EQ(store_.list().size(), 2u);
  // Nothing in use, nothing excluded: everything goes, and staging/ is left empty.
  result = store_.prune({}, {});
  EXPECT_EQ(result.images_removed.size(), 2u);
  EXPECT_EQ(result.layers_removed, 3u);
  EXPECT_TRUE(fs::is_empty(dir_ / "layers"));
  EXPECT_TRUE(fs::is_empty(dir_ / "staging"));
}

}  // namespace
}  // namespace plateau::agent::images
