#include "agent/standalone_checkpoint.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace plateau::agent {
namespace {

namespace fs = std::filesystem;

class StandaloneCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-standalone-checkpoint-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void writeStatus(const std::string& id, const std::string& text) const {
    std::ofstream(dir_ + "/meta/containers/" + id + "/exit_status", std::ios::trunc) << text;
  }
  std::string dir_;
};

TEST_F(StandaloneCheckpointTest, RecoversWhatWasWrittenWithTheRecordedStatus) {
  StandaloneCheckpoint checkpoint(dir_);
  auto status_file = checkpoint.prepare("box", "");
  ASSERT_TRUE(status_file) << status_file.error().message();
  EXPECT_EQ(*status_file, dir_ + "/meta/containers/box/exit_status");
  EXPECT_TRUE(fs::exists(*status_file));
  ASSERT_TRUE(checkpoint
                  .write({.container_id = "box",
                          .sandbox = dir_ + "/containers/box with space",
                          .pid = 4242,
                          .cpus = 0.5,
                          .mem_mb = 64,
                          .disk_mb = 0})
                  .isOk());
  std::vector<std::string> errors;
  auto records = checkpoint.recover(&errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].container_id, "box");
  EXPECT_EQ(records[0].sandbox, dir_ + "/containers/box with space");
  EXPECT_EQ(records[0].pid, 4242);
  EXPECT_EQ(records[0].cpus, 0.5);
  EXPECT_EQ(records[0].mem_mb, 64);
  // Empty until the first process writes it; then its wait status.
  EXPECT_FALSE(checkpoint.exitStatus("box"));
  writeStatus("box", "768\n");
  EXPECT_EQ(checkpoint.exitStatus("box"), 768);
  checkpoint.remove("box");
  EXPECT_TRUE(checkpoint.recover(&errors).empty());
  EXPECT_FALSE(fs::exists(dir_ + "/meta/containers/box"));
}

TEST_F(StandaloneCheckpointTest, TornStatusesAndRecordlessContainersAreNotTakenForReal) {
  StandaloneCheckpoint checkpoint(dir_);
  ASSERT_TRUE(checkpoint.prepare("torn", ""));
  for (const char* text : {"76", "x\n", "7 6\n", "\n"}) {
    writeStatus("torn", text);
    EXPECT_FALSE(checkpoint.exitStatus("torn")) << text;
  }
  // Prepared, but the agent stopped before the record: reported and forgotten.
  std::vector<std::string> errors;
  EXPECT_TRUE(checkpoint.recover(&errors).empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("torn"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/meta/containers/torn"));
  // No checkpoint at all: nothing, no error.
  errors.clear();
  EXPECT_TRUE(StandaloneCheckpoint(dir_ + "/none").recover(&errors).empty());
  EXPECT_TRUE(errors.empty());
}

TEST_F(StandaloneCheckpointTest, NestedContainersKeepTheirOwnFolderAndSessionMark) {
  StandaloneCheckpoint nested(dir_, "nested");
  auto status_file = nested.prepare("exec.tool", "");
  ASSERT_TRUE(status_file) << status_file.error().message();
  EXPECT_EQ(*status_file, dir_ + "/meta/nested/exec.tool/exit_status");
  ASSERT_TRUE(nested.prepare("exec.shell", ""));
  ASSERT_TRUE(
      nested.write({.container_id = "exec.tool", .sandbox = dir_ + "/s/tool", .pid = 7}).isOk());
  ASSERT_TRUE(
      nested
          .write({.container_id = "exec.shell", .sandbox = dir_ + "/s", .pid = 8, .session = true})
          .isOk());
  std::vector<std::string> errors;
  auto records = nested.recover(&errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(records.size(), 2u);
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.container_id < b.container_id; });
  EXPECT_EQ(records[0].container_id, "exec.shell");
  EXPECT_TRUE(records[0].session);
  EXPECT_EQ(records[1].container_id, "exec.tool");
  EXPECT_FALSE(records[1].session);
  EXPECT_EQ(records[1].pid, 7);
  // The standalone containers' folder is another one.
  EXPECT_TRUE(StandaloneCheckpoint(dir_).recover(&errors).empty());
}

}  // namespace
}  // namespace plateau::agent
