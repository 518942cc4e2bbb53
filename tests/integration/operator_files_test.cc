// The master's files (its log at /master/log, as Mesos's master attaches it) through the
// operator API's LIST_FILES and READ_FILE and the /files/* endpoints, and /logging/toggle on
// the master and the agent, and the agent's /containers, against real processes.

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/json.h"
#include "docs_json_ops.h"
#include "harness.h"

namespace plateau::testing {
namespace {

// A directory of the test's own for the master's --log_dir, removed at the end.
class LogDir {
 public:
  LogDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "plateau-log.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~LogDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(OperatorFiles, MasterLogThroughListReadAndTheFilesEndpoints) {
  LogDir logs;
  ASSERT_FALSE(logs.path().empty());
  Cluster cluster({"--log_dir=" + logs.path()});
  auto master = cluster.master();

  auto listed =
      post(master, "/api/v1", R"({"type": "LIST_FILES", "list_files": {"path": "/master/log"}})");
  expectJson200(listed, "LIST_FILES");
  const auto& info = listed.json["list_files"]["file_infos"][0];
  EXPECT_TRUE(isString(info["path"], "/master/log")) << listed.body;
  EXPECT_GT(info["size"].asDouble(), 0) << listed.body;
  EXPECT_TRUE(info["mtime"]["nanoseconds"].isNumber()) << listed.body;

  auto read = post(
      master, "/api/v1",
      R"({"type": "READ_FILE", "read_file": {"path": "/master/log", "offset": 0, "length": 4096}})");
  expectJson200(read, "READ_FILE");
  EXPECT_TRUE(isString(read.json["type"], "READ_FILE")) << read.body;
  EXPECT_GT(read.json["read_file"]["size"].asDouble(), 0) << read.body;
  auto data = base64::decode(read.json["read_file"]["data"].asString());
  ASSERT_TRUE(data) << read.body;
  EXPECT_NE(data->find("master_started"), std::string::npos) << *data;

  auto browse = send(master, "GET", "/files/browse?path=/master/log", "");
  expectJson200(browse, "/files/browse");
  EXPECT_TRUE(isString(browse.json[0]["path"], "/master/log")) << browse.body;
  auto tail = send(master, "GET", "/files/read?path=/master/log&offset=0&length=64", "");
  expectJson200(tail, "/files/read");
  EXPECT_TRUE(isNumber(tail.json["offset"], 0)) << tail.body;
  EXPECT_TRUE(tail.json["data"].isString()) << tail.body;
  auto download = send(master, "GET", "/files/download?path=/master/log", "");
  EXPECT_EQ(download.status, 200);
  EXPECT_NE(download.body.find("master_started"), std::string::npos);
  auto debug = send(master, "GET", "/files/debug", "");
  expectJson200(debug, "/files/debug");
  EXPECT_TRUE(isString(debug.json["/master/log"], logs.path() + "/plateau-master.log"))
      << debug.body;

  // Bad input: nothing attached there, nothing beneath a file, a call without its field.
  EXPECT_EQ(
      post(master, "/api/v1", R"({"type": "LIST_FILES", "list_files": {"path": "/etc"}})").status,
      404);
  EXPECT_EQ(send(master, "GET", "/files/read?path=/master/log/x&offset=0", "").status, 404);
  EXPECT_EQ(send(master, "GET", "/files/browse", "").status, 400);
  EXPECT_EQ(post(master, "/api/v1", R"({"type": "READ_FILE"})").status, 400);
}

TEST(OperatorFiles, MasterWithoutLogDirHasNoLogAndLoggingToggles) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  auto master = cluster.master();
  EXPECT_EQ(
      post(master, "/api/v1", R"({"type": "LIST_FILES", "list_files": {"path": "/master/log"}})")
          .status,
      404);
  auto debug = send(master, "GET", "/files/debug", "");
  expectJson200(debug, "/files/debug");

  // The agent's /containers: a JSON array (no executor runs yet).
  auto containers = send(cluster.agentEndpoint(0), "GET", "/containers", "");
  expectJson200(containers, "/containers");
  EXPECT_TRUE(containers.json.isArray()) << containers.body;

  for (const auto& endpoint : {master, cluster.agentEndpoint(0)}) {
    auto toggled = send(endpoint, "POST", "/logging/toggle?level=2&duration=1mins", "");
    EXPECT_EQ(toggled.status, 200) << toggled.body;
    auto level = post(endpoint, "/api/v1", R"({"type": "GET_LOGGING_LEVEL"})");
    EXPECT_TRUE(isNumber(level.json["get_logging_level"]["level"], 2)) << level.body;
    EXPECT_EQ(send(endpoint, "GET", "/logging/toggle?level=0&duration=1secs", "").status, 200);
    level = post(endpoint, "/api/v1", R"({"type": "GET_LOGGING_LEVEL"})");
    EXPECT_TRUE(isNumber(level.json["get_logging_level"]["level"], 0)) << level.body;

    auto no_level = send(endpoint, "POST", "/logging/toggle?duration=1mins", "");
    EXPECT_EQ(no_level.status, 400);
    EXPECT_NE(no_level.body.find("level"), std::string::npos) << no_level.body;
    EXPECT_EQ(send(endpoint, "POST", "/logging/toggle?level=x&duration=1mins", "").status, 400);
    auto no_duration = send(endpoint, "POST", "/logging/toggle?level=1", "");
    EXPECT_EQ(no_duration.status, 400);
    EXPECT_NE(no_duration.body.find("duration"), std::string::npos) << no_duration.body;
    EXPECT_EQ(send(endpoint, "POST", "/logging/toggle?level=1&duration=soon", "").status, 400);
  }
}

}  // namespace
}  // namespace plateau::testing
