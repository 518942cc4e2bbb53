#include "agent/images/image_config.h"

#include <gtest/gtest.h>

namespace plateau::agent::images {
namespace {

ImageConfig config(std::vector<std::string> entrypoint, std::vector<std::string> cmd) {
  ImageConfig c;
  c.entrypoint = std::move(entrypoint);
  c.cmd = std::move(cmd);
  return c;
}

TaskCommand shellFalse(std::optional<std::string> value, std::vector<std::string> arguments) {
  return {false, std::move(value), std::move(arguments)};
}

using Argv = std::vector<std::string>;

TEST(ImageConfigTest, ParsesDockersConfigObjectAndFallsBackToContainerConfig) {
  auto doc = json::parse(
      R"({"config":{"Entrypoint":["/e"],"Cmd":["a","b"],"Env":["A=1"],"WorkingDir":"/w",
          "User":"nobody"}})");
  ASSERT_TRUE(doc);
  auto c = parseImageConfig(*doc);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->entrypoint, Argv{"/e"});
  EXPECT_EQ(c->cmd, (Argv{"a", "b"}));
  EXPECT_EQ(c->env, Argv{"A=1"});
  EXPECT_EQ(c->working_dir, "/w");
  EXPECT_EQ(c->user, "nobody");
  auto old = parseImageConfig(*json::parse(R"({"container_config":{"Cmd":["x"]}})"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->cmd, Argv{"x"});
  // Null Entrypoint (as Docker writes it) is no Entrypoint.
  auto nulls = parseImageConfig(*json::parse(R"({"config":{"Entrypoint":null,"Cmd":null}})"));
  ASSERT_TRUE(nulls);
  EXPECT_TRUE(nulls->entrypoint.empty());
}

TEST(ImageConfigTest, AWronglyTypedFieldIsNamed) {
  auto c = parseImageConfig(*json::parse(R"({"config":{"Cmd":"echo hi"}})"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("'Cmd'"), std::string::npos);
}

TEST(ImageConfigTest, RoundTripsThroughJson) {
  ImageConfig c = config({"/e", "x"}, {"c"});
  c.env = {"A=1"};
  c.working_dir = "/w";
  EXPECT_EQ(configFromJson(configToJson(c)), c);
}

TEST(RuntimeMergeTest, ShellTrueRunsTheValueThroughShAndIgnoresTheImage) {
  auto m = mergeCommand(config({"/e"}, {"c"}), {true, "echo hi", {}});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->argv, (Argv{"/bin/sh", "-c", "echo hi"}));
  EXPECT_FALSE(mergeCommand(config({"/e"}, {"c"}), {true, std::nullopt, {}}));
}

TEST(RuntimeMergeTest, ShellFalseWithAValueOverridesEntrypointAndCmd) {
  auto m = mergeCommand(config({"/e"}, {"c"}), shellFalse("/bin/ls", {"ls", "-l"}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->argv, (Argv{"/bin/ls", "-l"}));
}

TEST(RuntimeMergeTest, EntrypointTakesTheTasksArgumentsOrElseCmd) {
  EXPECT_EQ(mergeCommand(config({"/e", "-v"}, {"c1", "c2"}), shellFalse(std::nullopt, {}))->argv,
            (Argv{"/e", "-v", "c1", "c2"}));
  EXPECT_EQ(mergeCommand(config({"/e"}, {"c1"}), shellFalse(std::nullopt, {"a1", "a2"}))->argv,
            (Argv{"/e", "a1", "a2"}));
}

TEST(RuntimeMergeTest, CmdAloneRunsOrTakesTheTasksArguments) {
  EXPECT_EQ(mergeCommand(config({}, {"/c", "x"}), shellFalse(std::nullopt, {}))->argv,
            (Argv{"/c", "x"}));
  EXPECT_EQ(mergeCommand(config({}, {"/c", "x"}), shellFalse(std::nullopt, {"a"}))->argv,
            (Argv{"/c", "a"}));
}

TEST(RuntimeMergeTest, NothingToRunIsAnError) {
  auto m = mergeCommand(config({}, {}), shellFalse(std::nullopt, {}));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("Nothing to run"), std::string::npos);
  EXPECT_EQ(mergeCommand(config({}, {}), shellFalse(std::nullopt, {"/a", "b"}))->argv,
            (Argv{"/a", "b"}));
}

TEST(RuntimeMergeTest, TaskEnvironmentOverridesTheImagesAndPathHasADefault) {
  ImageConfig c;
  c.env = {"A=image", "B=image"};
  auto env = mergeEnvironment(c, {"B=task", "C=task"});
  EXPECT_EQ(env.front().rfind("PATH=", 0), 0u);
  EXPECT_NE(std::find(env.begin(), env.end(), "A=image"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "B=task"), env.end());
  EXPECT_EQ(std::find(env.begin(), env.end(), "B=image"), env.end());
  c.env = {"PATH=/only"};
  env = mergeEnvironment(c, {});
  EXPECT_EQ(env, Argv{"PATH=/only"});
}

}  // namespace
}  // namespace plateau::agent::images
