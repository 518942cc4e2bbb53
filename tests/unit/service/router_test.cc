#include "service/router.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "fakes/fake_http.h"
#include "service/kv_store.h"

namespace plateau::service {
namespace {

TEST(RouterTest, PathParametersTakeAsFewSegmentsAsTheRestAllows) {
  auto p = matchPattern(splitPath("/v2/apps/{id*}/tasks/{task}"),
                        splitPath("/v2/apps/shop/web/tasks/t1"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->at("id"), "shop/web");
  EXPECT_EQ(p->at("task"), "t1");
  EXPECT_FALSE(matchPattern(splitPath("/v2/apps/{id*}/restart"), splitPath("/v2/apps/restart")));
  EXPECT_FALSE(matchPattern(splitPath("/v2/{x}"), splitPath("/v2/a/b")));
}

TEST(RouterTest, DispatchesByMethodWith405And404) {
  Router router;
  std::string seen;
  router.add("GET", "/v2/apps/{id*}", [&](Call& call, http::Responder r) {
    seen = call.param("id") + "|" + (call.queryFlag("force") ? "force" : "");
    r.respond(jsonAnswer(200, "{}"));
  });
  auto run = [&](std::string method, std::string path, std::string query = "") {
    auto exchange = std::make_shared<testing::FakeExchange>();
    http::Request request{.method = method, .path = path, .query = query};
    router.dispatch(request, http::Responder(exchange));
    return exchange->response() ? exchange->response()->status : 0;
  };
  EXPECT_EQ(run("GET", "/v2/apps/a/b", "force=true"), 200);
  EXPECT_EQ(seen, "a/b|force");
  EXPECT_EQ(run("POST", "/v2/apps/a"), 405);
  EXPECT_EQ(run("GET", "/nothing"), 404);
}

TEST(KvStoreTest, AppliesWritesAndLoadsByPrefix) {
  auto store = makeMemoryStore();
  ASSERT_TRUE(store->apply({{"apps/a", "1"}, {"apps/b", "2"}, {"other", "3"}}).isOk());
  ASSERT_TRUE(store->erase("apps/a").isOk());
  auto apps = store->load("apps/");
  ASSERT_TRUE(apps.has_value());
  EXPECT_EQ(*apps, (std::map<std::string, std::string>{{"apps/b", "2"}}));
}

TEST(KvStoreTest, SqliteKeepsWritesAcrossReopening) {
  auto path =
      std::filesystem::temp_directory_path() / ("plateau-kv-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto store = openSqliteStore(path.string());
    ASSERT_TRUE(store.has_value()) << store.error().message();
    ASSERT_TRUE((*store)->apply({{"k/1", "one"}, {"k/2", "two"}}).isOk());
    ASSERT_TRUE((*store)->erase("k/1").isOk());
  }
  auto store = openSqliteStore(path.string());
  ASSERT_TRUE(store.has_value());
  auto rows = (*store)->load("k/");
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(*rows, (std::map<std::string, std::string>{{"k/2", "two"}}));
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix);
  }
}

}  // namespace
}  // namespace plateau::service
