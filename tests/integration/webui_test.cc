// The master serves the web UI's files: / is index.html, /static/... the assets, with content
// types, ETags and no way out of the directory. The agent lets the UI read it from the browser.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

http::Response get(http::Endpoint endpoint, const std::string& path, http::Headers headers = {}) {
  auto r = http::fetchSync(endpoint,
                           {.method = "GET", .path = path, .headers = headers, .body = {}}, 5s);
  return r ? *r : http::Response{.status = 0, .headers = {}, .body = {}};
}

class WebuiDir {
 public:
  WebuiDir() {
    char tmpl[] = "/tmp/plateau-webui.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    writeFile(dir_ / "webui/index.html", "<!doctype html><title>t</title>");
    writeFile(dir_ / "webui/static/app.js", "export const x = 1;\n");
    writeFile(dir_ / "webui/static/deep/style.css", "body{}\n");
    writeFile(dir_ / "secret.txt", "outside");
    fs::create_symlink(dir_ / "secret.txt", dir_ / "webui/static/leak.txt");
    fs::create_symlink("/etc", dir_ / "webui/static/etc");
  }
  ~WebuiDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string webui() const { return (dir_ / "webui").string(); }

 private:
  fs::path dir_;
};

TEST(Webui, ServesIndexAndAssetsWithTypesAndETags) {
  WebuiDir files;
  Cluster cluster({"--webui_dir=" + files.webui()});
  auto index = get(cluster.master(), "/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.body, "<!doctype html><title>t</title>");
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.header("cache-control"), "no-cache");

  auto js = get(cluster.master(), "/static/app.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "export const x = 1;\n");
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  std::string etag = js.header("etag");
  ASSERT_FALSE(etag.empty());
  auto again = get(cluster.master(), "/static/app.js", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());

  auto css = get(cluster.master(), "/static/deep/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("content-type"), "text/css; charset=utf-8");

  // A changed file gets a new ETag, so browsers see an upgraded UI at once.
  writeFile(files.webui() + "/static/app.js", "export const x = 22;\n");
  auto changed = get(cluster.master(), "/static/app.js", {{"if-none-match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, "export const x = 22;\n");

  // The master's own endpoints are untouched; unknown paths are still 404.
  EXPECT_EQ(get(cluster.master(), "/health").status, 200);
  EXPECT_EQ(get(cluster.master(), "/nothing-here").status, 404);
}

TEST(Webui, RefusesPathsLeavingTheDirectory) {
  WebuiDir files;
  Cluster cluster({"--webui_dir=" + files.webui()});
  for (const char* path :
       {"/static/../../secret.txt", "/static/%2e%2e/%2e%2e/secret.txt",
        "/static/..%2f..%2fsecret.txt", "/static//etc/passwd", "/static/leak.txt",
        "/static/etc/passwd", "/static/deep", "/static/nope.js", "/static/app.js%00.html"}) {
    auto r = get(cluster.master(), path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
  }
  auto post = http::fetchSync(cluster.master(),
                              {.method = "POST", .path = "/", .headers = {}, .body = "x"}, 5s);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

TEST(Webui, DefaultsToTheSourceTreesWebuiDirectory) {
  Cluster cluster;
  auto index = get(cluster.master(), "/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.body, readFile(std::string(PLATEAU_SOURCE_DIR) + "/webui/index.html"));
  auto app = get(cluster.master(), "/static/app.js");
  EXPECT_EQ(app.status, 200);
  EXPECT_EQ(app.header("content-type"), "text/javascript; charset=utf-8");
}

TEST(Webui, BadWebuiDirFlagIsNamed) {
  char tmpl[] = "/tmp/plateau-webui-flag.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  Process p("master",
            {std::string(PLATEAU_BIN_DIR) + "/plateau-master", "--port=0",
             "--webui_dir=" + dir + "/missing"},
            dir + "/master.out");
  int status = p.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(p.log().find("--webui_dir"), std::string::npos) << p.log();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(Webui, AgentLetsTheBrowserReadStateFilesAndStatistics) {
  Cluster cluster;
  cluster.addAgent("cpus:1;mem:256");
  auto state = get(cluster.agentEndpoint(0), "/state", {{"origin", "http://127.0.0.1:1"}});
  EXPECT_EQ(state.status, 200);
  EXPECT_EQ(state.header("access-control-allow-origin"), "*");
  auto browse = get(cluster.agentEndpoint(0), "/files/browse?path=/nowhere");
  EXPECT_EQ(browse.status, 404);
  EXPECT_EQ(browse.header("access-control-allow-origin"), "*");
  // The agent page shows each container's usage from /monitor/statistics.
  auto stats =
      get(cluster.agentEndpoint(0), "/monitor/statistics", {{"origin", "http://127.0.0.1:1"}});
  EXPECT_EQ(stats.status, 200);
  EXPECT_EQ(stats.body, "[]");
  EXPECT_EQ(stats.header("access-control-allow-origin"), "*");
}

}  // namespace
}  // namespace plateau::testing
