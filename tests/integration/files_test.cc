// The agent's sandbox files API (/files/browse, /files/read, /files/download) in Mesos's
// shapes, confined to sandboxes.

#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

http::Response agentGet(Cluster& cluster, const std::string& endpoint, const std::string& path,
                        const std::string& extra = "") {
  auto r = http::fetchSync(
      cluster.agentEndpoint(0),
      {.method = "GET", .path = endpoint + "?path=" + http::urlEncode(path) + extra}, 5s);
  return r ? *r : http::Response{.status = 0, .headers = {}, .body = {}};
}

TEST(SandboxFiles, BrowseReadAndDownloadStayInsideTheSandbox) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("files");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(
      offers->offers().offers(0), "files-1",
      "echo hello-sandbox; ln -s / escape; ln -s stdout inside; mkfifo pipe; mkdir sub; sleep 1000",
      "cpus:0.5;mem:32");
  auto running = s.nextUpdate();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->state(), v1::TASK_RUNNING);

  auto state = http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/state"}, 5s);
  ASSERT_TRUE(state);
  auto parsed = json::parse(state->body);
  ASSERT_TRUE(parsed);
  std::string sandbox = (*parsed)["frameworks"][0]["executors"][0]["directory"].asString();
  std::string latest = "/frameworks/" + s.frameworkId() + "/executors/files-1/runs/latest";
  ASSERT_TRUE(eventually([&] {
    auto r = agentGet(cluster, "/files/browse", sandbox);
    return r.status == 200 && r.body.find("\"" + sandbox + "/sub\"") != std::string::npos;
  })) << agentGet(cluster, "/files/browse", sandbox).body;

  auto listing = json::parse(agentGet(cluster, "/files/browse", latest).body);
  ASSERT_TRUE(listing);
  std::set<std::string> names;
  for (const auto& entry : listing->asArray()) {
    names.insert(entry["path"].asString());
    EXPECT_TRUE(entry.find("mode") != nullptr && entry.find("size") != nullptr);
  }
  EXPECT_TRUE(names.contains(latest + "/stdout"));
  EXPECT_TRUE(names.contains(latest + "/escape"));
  auto one = json::parse(agentGet(cluster, "/files/browse", latest + "/stdout").body);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->asArray().size(), 1u);
  EXPECT_EQ((*one)[0]["path"].asString(), latest + "/stdout");

  // Without an offset: the size, to start tailing from.
  auto size = json::parse(agentGet(cluster, "/files/read", sandbox + "/stdout").body);
  ASSERT_TRUE(size);
  EXPECT_GE((*size)["offset"].asDouble(), 14);
  auto page = json::parse(
      agentGet(cluster, "/files/read.json", latest + "/stdout", "&offset=6&length=7").body);
  ASSERT_TRUE(page);
  EXPECT_EQ((*page)["data"].asString(), "sandbox");
  EXPECT_EQ((*page)["offset"].asDouble(), 6);

  auto download = agentGet(cluster, "/files/download", latest + "/inside");
  EXPECT_EQ(download.status, 200);
  EXPECT_TRUE(download.body.starts_with("hello-sandbox")) << download.body;
  EXPECT_EQ(agentGet(cluster, "/files/read", sandbox + "/sub", "&offset=0").status, 400);
  EXPECT_EQ(agentGet(cluster, "/files/read", sandbox + "/pipe", "&offset=0").status, 400);

  // Nothing outside: not through a symlink, not through '..', not elsewhere.
  EXPECT_EQ(agentGet(cluster, "/files/read", sandbox + "/escape/etc/passwd", "&offset=0").status,
            403);
  EXPECT_EQ(agentGet(cluster, "/files/download", latest + "/../../../../../../etc/passwd").status,
            403);
  EXPECT_EQ(agentGet(cluster, "/files/browse", sandbox + "/escape").status, 403);
  EXPECT_EQ(agentGet(cluster, "/files/browse", "/etc").status, 404);
  EXPECT_EQ(agentGet(cluster, "/files/read", "/etc/passwd", "&offset=0").status, 404);
  EXPECT_EQ(agentGet(cluster, "/files/read", sandbox + "/missing", "&offset=0").status, 404);

  // A list of traversal attempts: none may answer with anything from outside the sandbox.
  const std::vector<std::string> attempts = {
      sandbox + "/../../../../../../etc/passwd",
      sandbox + "/sub/../../../../../../../etc/passwd",
      sandbox + "/./sub/./../../../../../../../../etc/passwd",
      sandbox + "/escape/etc/passwd",
      sandbox + "/escape/" + sandbox.substr(1) + "/stdout",
      sandbox + "/escape/../etc/passwd",
      latest + "/../../../../../../etc/passwd",
      latest + "/escape/etc/passwd",
      sandbox + "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      sandbox + "/..%2f..%2f..%2f..%2fetc/passwd",
      "/etc/passwd",
      "etc/passwd",
      "../../../../etc/passwd",
      sandbox + "/sub/../../" + "../" + "../" + "../" + "../" + "../" + "etc/passwd",
  };
  for (const auto& path : attempts) {
    for (const char* endpoint : {"/files/read", "/files/download", "/files/browse"}) {
      auto r = agentGet(cluster, endpoint, path, "&offset=0&length=4096");
      EXPECT_NE(r.status, 200) << endpoint << " " << path << ": " << r.body.substr(0, 200);
      EXPECT_EQ(r.body.find("root:"), std::string::npos) << endpoint << " " << path;
      EXPECT_GE(r.status, 400) << endpoint << " " << path;
    }
  }
}

}  // namespace
}  // namespace plateau::testing
