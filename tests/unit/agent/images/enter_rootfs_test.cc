#include "agent/images/enter_rootfs.h"

#include <gtest/gtest.h>

namespace plateau::agent::images {
namespace {

TEST(EnterRootfsTest, VolumeMountsRoundTripThroughTheCommandLine) {
  EnterOptions o;
  o.rootfs = "/r";
  o.sandbox = "/s";
  o.sandbox_directory = "/mnt/mesos/sandbox";
  o.argv = {"sh", "-c", "true"};
  o.mounts = {{"/p/containers/c.volume-0/rootfs", "/data", true},
              {"/p/with:colon/rootfs", "rel dir", false}};
  auto args = enterArgs("plateau-rootfs", o);
  auto back = parseEnterArgs({args.begin() + 1, args.end()});
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->mounts.size(), 2u);
  EXPECT_EQ(back->mounts[0].source, "/p/containers/c.volume-0/rootfs");
  EXPECT_EQ(back->mounts[0].target, "/data");
  EXPECT_TRUE(back->mounts[0].read_only);
  EXPECT_EQ(back->mounts[1].target, "rel dir");
  EXPECT_EQ(back->mounts[1].source, "/p/with:colon/rootfs");
  EXPECT_FALSE(back->mounts[1].read_only);
  EXPECT_EQ(back->argv, o.argv);
  auto json = mountsFromJson(mountsToJson(o.mounts));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->size(), 2u);
  EXPECT_TRUE(mountsFromJson("")->empty());
  EXPECT_FALSE(mountsFromJson("{}"));
  EXPECT_FALSE(mountsFromJson("[{\"source\": 1, \"target\": \"/x\"}]"));
  EXPECT_FALSE(parseEnterArgs(
      {"--rootfs=/r", "--sandbox=/s", "--sandbox_directory=/m", "--mount=xx:/a:/b", "--", "true"}));
}

TEST(EnterRootfsTest, WithoutARootfsOnlyTheSandboxIsNeededAndTheProgramTravels) {
  EnterOptions o;
  o.sandbox = "/s";
  o.program = "/bin/sh";
  o.argv = {"sh", "-c", "true"};
  o.mounts = {{"/p/containers/c.volume-0/rootfs", "data", true}};
  auto args = enterArgs("plateau-rootfs", o);
  auto back = parseEnterArgs({args.begin() + 1, args.end()});
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_TRUE(back->rootfs.empty());
  EXPECT_EQ(back->program, "/bin/sh");
  EXPECT_EQ(back->argv, o.argv);
  ASSERT_EQ(back->mounts.size(), 1u);
  EXPECT_FALSE(parseEnterArgs({"--rootfs=/r", "--sandbox=/s", "--", "true"}));  // no inside path
  EXPECT_FALSE(parseEnterArgs({"--", "true"}));                                 // no sandbox
}

}  // namespace
}  // namespace plateau::agent::images
