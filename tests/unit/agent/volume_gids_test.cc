// The volume gid allocator (--volume_gid_range) and the volume flags' parsing.

#include "agent/volume_gids.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "agent/flags.h"
#include "mesos/v1/mesos.pb.h"

namespace plateau::agent {
namespace {

using Kind = VolumeGidAllocator::Kind;

VolumeGidAllocator allocatorOf(const std::string& range) {
  auto gids = parseVolumeGidRange(range);
  EXPECT_TRUE(gids.has_value()) << gids.error().message();
  return VolumeGidAllocator(*gids);
}

TEST(VolumeGidRangeTest, ParsesMesosRanges) {
  auto one = parseVolumeGidRange("[10000-20000]");
  ASSERT_TRUE(one.has_value()) << one.error().message();
  EXPECT_EQ(one->size(), 10001u);
  auto two = parseVolumeGidRange("[10000-10001,20000-20002]");
  ASSERT_TRUE(two.has_value()) << two.error().message();
  EXPECT_EQ(two->size(), 5u);
  for (const char* bad : {"foo", "10000", "[]", "[10000-1099511627776]", "[20-10]", "{a}"}) {
    EXPECT_FALSE(parseVolumeGidRange(bad).has_value()) << bad;
  }
}

TEST(VolumeGidAllocatorTest, GivesEachPathItsOwnGidAndTheSameOneAgain) {
  VolumeGidAllocator gids = allocatorOf("[10000-10002]");
  auto a = gids.allocate("/work/volumes/roles/r/a", Kind::kPersistent);
  auto b = gids.allocate("/work/volumes/roles/r/b", Kind::kPersistent);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->gid, 10000u);
  EXPECT_EQ(b->gid, 10001u);
  EXPECT_TRUE(a->fresh);
  auto again = gids.allocate("/work/volumes/roles/r/a", Kind::kPersistent);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->gid, 10000u);
  EXPECT_FALSE(again->fresh);
  EXPECT_EQ(gids.totalGids(), 3u);
  EXPECT_EQ(gids.freeGids(), 1u);
}

TEST(VolumeGidAllocatorTest, ExhaustedRangeFailsNamingTheVolume) {
  VolumeGidAllocator gids = allocatorOf("[10000-10000]");
  ASSERT_TRUE(gids.allocate("/v/a", Kind::kPersistent));
  auto none = gids.allocate("/v/b", Kind::kPersistent);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.error().message().find("/v/b"), std::string::npos);
  EXPECT_NE(none.error().message().find("exhausted"), std::string::npos);
  // Released, the gid serves the next volume.
  EXPECT_EQ(gids.release("/v/a").size(), 1u);
  auto b = gids.allocate("/v/b", Kind::kPersistent);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->gid, 10000u);
}

TEST(VolumeGidAllocatorTest, ReleasingASandboxFreesTheVolumesBelowItOnly) {
  VolumeGidAllocator gids = allocatorOf("[100-109]");
  ASSERT_TRUE(gids.allocate("/s/run1/shared", Kind::kSandboxPath));
  ASSERT_TRUE(gids.allocate("/s/run1/deep/x", Kind::kSandboxPath));
  ASSERT_TRUE(gids.allocate("/s/run10/shared", Kind::kSandboxPath));
  auto freed = gids.release("/s/run1");
  EXPECT_EQ(freed.size(), 2u);
  ASSERT_EQ(gids.entries().size(), 1u);
  EXPECT_EQ(gids.entries()[0].path, "/s/run10/shared");
  EXPECT_TRUE(gids.release("/nothing").empty());
}

TEST(VolumeGidAllocatorTest, CheckpointRoundTripsAndRestoresHeldGids) {
  VolumeGidAllocator before = allocatorOf("[10-12]");
  ASSERT_TRUE(before.allocate("/v/a", Kind::kPersistent));
  ASSERT_TRUE(before.allocate("/s/x", Kind::kSandboxPath));
  auto entries = VolumeGidAllocator::fromJson(VolumeGidAllocator::toJson(before.entries()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message();
  EXPECT_EQ(*entries, before.entries());

  VolumeGidAllocator after = allocatorOf("[10-12]");
  after.restore(*entries);
  EXPECT_EQ(after.freeGids(), 1u);
  auto a = after.allocate("/v/a", Kind::kPersistent);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->gid, 10u);
  EXPECT_FALSE(a->fresh);
  auto c = after.allocate("/v/c", Kind::kPersistent);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->gid, 12u);

  for (const char* bad : {"", "[]", "{\"volume_gids\": [{\"path\": \"/a\"}]}",
                          "{\"volume_gids\": [{\"path\": \"/a\", \"type\": \"X\", \"gid\": 1}]}"}) {
    EXPECT_FALSE(VolumeGidAllocator::fromJson(bad).has_value()) << bad;
  }
}

TEST(VolumeGidAllocatorTest, AGidOfAnEarlierRangeIsHeldButNeverFreedIntoTheNewOne) {
  VolumeGidAllocator gids = allocatorOf("[10-10]");
  gids.restore({{"/v/old", Kind::kPersistent, 5}, {"/v/dup", Kind::kPersistent, 5}});
  EXPECT_EQ(gids.entries().size(), 1u);
  EXPECT_EQ(gids.freeGids(), 1u);
  gids.release("/v/old");
  EXPECT_EQ(gids.freeGids(), 1u);
  auto next = gids.allocate("/v/new", Kind::kPersistent);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->gid, 10u);
}

Status parseAgentFlags(std::vector<std::string> args, Flags* out = nullptr) {
  Flags f;
  flags::FlagSet set("plateau-agent", "test");
  registerFlags(set, f);
  std::vector<const char*> argv = {"plateau-agent", "--master=127.0.0.1:5050"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  if (Status s = set.parse(static_cast<int>(argv.size()), argv.data()); !s.isOk()) {
    return s;
  }
  Status s = validateFlags(f);
  if (out != nullptr) {
    *out = f;
  }
  return s;
}

void expectFlagError(const std::string& arg, const std::string& flag) {
  Status s = parseAgentFlags({arg});
  ASSERT_FALSE(s.isOk()) << arg;
  EXPECT_NE(s.message().find("'--" + flag + "'"), std::string::npos) << s.message();
}

TEST(VolumeFlagsTest, MalformedValuesNameTheirFlag) {
  expectFlagError("--default_container_info=not json", "default_container_info");
  expectFlagError("--default_container_info={\"type\": \"DOCKER\", \"docker\": {\"image\": \"x\"}}",
                  "default_container_info");
  expectFlagError("--default_container_info={\"volumes\": []}", "default_container_info");
  expectFlagError("--host_path_volume_force_creation=relative/dir",
                  "host_path_volume_force_creation");
  expectFlagError("--host_path_volume_force_creation=/a::/b", "host_path_volume_force_creation");
  expectFlagError("--volume_gid_range=10000", "volume_gid_range");
  expectFlagError("--volume_gid_range=[10000-1099511627776]", "volume_gid_range");
  Status bool_flag = parseAgentFlags({"--docker_ignore_runtime=maybe"});
  EXPECT_FALSE(bool_flag.isOk());
}

TEST(VolumeFlagsTest, ValuesAreParsedOnce) {
  Flags f;
  Status s = parseAgentFlags(
      {"--default_container_info={\"type\": \"MESOS\", \"volumes\": [{\"container_path\": "
       "\"/data\", \"mode\": \"RW\", \"source\": {\"type\": \"HOST_PATH\", \"host_path\": "
       "{\"path\": \"/srv/data\"}}}]}",
       "--host_path_volume_force_creation=/srv/a/:/srv/b", "--docker_ignore_runtime"},
      &f);
  ASSERT_TRUE(s.isOk()) << s.message();
  ASSERT_NE(f.default_container, nullptr);
  ASSERT_EQ(f.default_container->volumes_size(), 1);
  EXPECT_EQ(f.default_container->volumes(0).source().host_path().path(), "/srv/data");
  EXPECT_EQ(f.force_creation_dirs, (std::vector<std::string>{"/srv/a", "/srv/b"}));
  EXPECT_TRUE(f.docker_ignore_runtime);
  EXPECT_FALSE(f.volume_gids.has_value());
}

// --csi_plugin_config_dir: accepted without effect, but checked as Mesos's CSI server checks it
// at start: a missing directory, or a file that is not a CSIPluginInfo, names the flag.
TEST(VolumeFlagsTest, CsiPluginConfigsAreCheckedAtStart) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("plateau-csi-{}", ::getpid());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(std::filesystem::create_directories(dir));
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  const std::string flag = "--csi_plugin_config_dir=" + dir.string();
  Flags f;
  EXPECT_TRUE(parseAgentFlags({flag}, &f).isOk());  // no plugins: nothing to check
  EXPECT_EQ(f.csi_plugin_config_dir, dir.string());
  write("nfs.json", R"({"type": "org.apache.mesos.csi.nfs", "name": "nfs",
      "endpoints": [{"csi_service": "NODE_SERVICE", "endpoint": "unix:///run/nfs.sock"}]})");
  EXPECT_TRUE(parseAgentFlags({flag}).isOk());

  write("broken.json", "{\"type\": ");
  expectFlagError(flag, "csi_plugin_config_dir");
  EXPECT_NE(parseAgentFlags({flag}).message().find("broken.json"), std::string::npos);
  write("broken.json", R"({"name": "no type"})");
  EXPECT_NE(parseAgentFlags({flag}).message().find("type"), std::string::npos);
  std::filesystem::remove(dir / "broken.json");
  EXPECT_TRUE(parseAgentFlags({flag}).isOk());

  expectFlagError("--csi_plugin_config_dir=" + (dir / "missing").string(), "csi_plugin_config_dir");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace plateau::agent
