// The fetcher's pure parts: archive detection, URI resolution, plan encoding, cache accounting.

#include "agent/fetcher.h"

#include <gtest/gtest.h>

namespace plateau::agent::fetcher {
namespace {

TEST(FetcherArchive, TypeFollowsTheExtension) {
  EXPECT_EQ(archiveType("a.tar"), Archive::kTar);
  EXPECT_EQ(archiveType("a.tar.gz"), Archive::kTarGz);
  EXPECT_EQ(archiveType("a.tgz"), Archive::kTarGz);
  EXPECT_EQ(archiveType("a.tar.bz2"), Archive::kTarBz2);
  EXPECT_EQ(archiveType("a.tbz2"), Archive::kTarBz2);
  EXPECT_EQ(archiveType("a.tar.xz"), Archive::kTarXz);
  EXPECT_EQ(archiveType("a.txz"), Archive::kTarXz);
  EXPECT_EQ(archiveType("a.zip"), Archive::kZip);
  EXPECT_EQ(archiveType("a.gz"), Archive::kGz);
  EXPECT_EQ(archiveType("a.txt"), Archive::kNone);
  EXPECT_EQ(archiveType("tar"), Archive::kNone);
  EXPECT_EQ(archiveType("a.tar.gz.sig"), Archive::kNone);
}

TEST(FetcherUri, BasenameDropsQueryAndDirectories) {
  EXPECT_EQ(uriBasename("http://h:80/a/b.tgz?x=1#f"), "b.tgz");
  EXPECT_EQ(uriBasename("/opt/x/run.sh"), "run.sh");
  EXPECT_EQ(uriBasename("file:///opt/x/"), "x");
  EXPECT_EQ(uriBasename("plain"), "plain");
}

TEST(FetcherUri, ResolvesLocalFileAndHttpSources) {
  auto local = resolveUri("/a/b", "");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->kind, Source::Kind::kLocal);
  EXPECT_EQ(local->location, "/a/b");
  auto file = resolveUri("file:///a/b", "");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->location, "/a/b");
  auto localhost = resolveUri("file://localhost/a/b", "");
  ASSERT_TRUE(localhost);
  EXPECT_EQ(localhost->location, "/a/b");
  auto relative = resolveUri("pkg/x.tgz", "/home/fw");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->location, "/home/fw/pkg/x.tgz");
  auto http = resolveUri("http://h/x", "");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->kind, Source::Kind::kHttp);
  auto https = resolveUri("https://h/x", "");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->kind, Source::Kind::kHttps);

  auto no_home = resolveUri("pkg/x.tgz", "");
  ASSERT_FALSE(no_home);
  EXPECT_NE(no_home.error().message().find("--frameworks_home"), std::string::npos);
  EXPECT_FALSE(resolveUri("hdfs://n/x", ""));
  EXPECT_FALSE(resolveUri("file://relative", ""));
  EXPECT_FALSE(resolveUri("", ""));
}

TEST(FetcherPlan, RoundTripsThroughItsEncoding) {
  Plan plan;
  plan.sandbox = "/s";
  plan.error_file = "/e";
  plan.stall_timeout = std::chrono::seconds(7);
  Item item;
  item.uri = "http://h/\"q\".tgz";
  item.source = {Source::Kind::kHttp, item.uri};
  item.output_file = "out/x.tgz";
  item.executable = true;
  item.extract = false;
  item.action = Item::Action::kDownloadAndCache;
  item.cache_file = "/c/plateau-cache-0-x.tgz";
  plan.items.push_back(item);
  auto decoded = decodePlan(encodePlan(plan));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->sandbox, "/s");
  EXPECT_EQ(decoded->error_file, "/e");
  EXPECT_EQ(decoded->stall_timeout, std::chrono::seconds(7));
  ASSERT_EQ(decoded->items.size(), 1u);
  const Item& got = decoded->items[0];
  EXPECT_EQ(got.uri, item.uri);
  EXPECT_EQ(got.source.kind, Source::Kind::kHttp);
  EXPECT_EQ(got.output_file, "out/x.tgz");
  EXPECT_TRUE(got.executable);
  EXPECT_FALSE(got.extract);
  EXPECT_EQ(got.action, Item::Action::kDownloadAndCache);
  EXPECT_EQ(got.cache_file, item.cache_file);
  EXPECT_FALSE(decodePlan("{not json"));
  EXPECT_FALSE(decodePlan("{}"));
}

TEST(FetcherCache, MissThenHitAndKeysSeparateUsers) {
  Cache cache("/cache", 1000);
  std::string alice = Cache::key("alice", "http://h/a.tgz");
  auto first = cache.acquire(alice, "a.tgz");
  EXPECT_EQ(first.action, Item::Action::kDownloadAndCache);
  EXPECT_TRUE(first.file.starts_with("/cache/plateau-cache-")) << first.file;
  EXPECT_TRUE(first.file.ends_with("a.tgz")) << first.file;
  // Still being filled: a concurrent fetch goes direct.
  EXPECT_EQ(cache.acquire(alice, "a.tgz").action, Item::Action::kDirect);
  EXPECT_TRUE(cache.release(alice, true, 100).empty());
  EXPECT_EQ(cache.size(), 100u);
  auto hit = cache.acquire(alice, "a.tgz");
  EXPECT_EQ(hit.action, Item::Action::kFromCache);
  EXPECT_EQ(hit.file, first.file);
  cache.release(alice, false, 0);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  // The same URI for another user is another entry.
  std::string bob = Cache::key("bob", "http://h/a.tgz");
  auto other = cache.acquire(bob, "a.tgz");
  EXPECT_EQ(other.action, Item::Action::kDownloadAndCache);
  EXPECT_NE(other.file, first.file);
}

TEST(FetcherCache, FailedFillIsForgotten) {
  Cache cache("/cache", 1000);
  std::string key = Cache::key("u", "/x");
  auto miss = cache.acquire(key, "x");
  auto doomed = cache.release(key, false, 0);
  ASSERT_EQ(doomed.size(), 1u);
  EXPECT_EQ(doomed[0], miss.file);
  EXPECT_FALSE(cache.contains(key));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.acquire(key, "x").action, Item::Action::kDownloadAndCache);
}

TEST(FetcherCache, EvictsLeastRecentlyUsedButNeverInUse) {
  Cache cache("/cache", 250);
  auto fill = [&](const std::string& uri, uint64_t size) {
    std::string key = Cache::key("u", uri);
    auto l = cache.acquire(key, uri);
    return std::pair{l.file, cache.release(key, true, size)};
  };
  auto [a, none1] = fill("a", 100);
  auto [b, none2] = fill("b", 100);
  EXPECT_TRUE(none1.empty());
  EXPECT_TRUE(none2.empty());
  // Touch a: b is now the least recently used.
  std::string ka = Cache::key("u", "a");
  EXPECT_EQ(cache.acquire(ka, "a").action, Item::Action::kFromCache);
  cache.release(ka, false, 0);
  auto [c, evicted] = fill("c", 100);
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], b);
  EXPECT_EQ(cache.size(), 200u);
  EXPECT_TRUE(cache.contains(ka));
  EXPECT_FALSE(cache.contains(Cache::key("u", "b")));

  // An entry in use stays even when it is the oldest; the next oldest goes instead.
  EXPECT_EQ(cache.acquire(ka, "a").action, Item::Action::kFromCache);
  std::string kc = Cache::key("u", "c");
  // Make `a` the oldest again by touching c.
  EXPECT_EQ(cache.acquire(kc, "c").action, Item::Action::kFromCache);
  cache.release(kc, false, 0);
  auto [d, evicted2] = fill("d", 100);
  ASSERT_EQ(evicted2.size(), 1u);
  EXPECT_EQ(evicted2[0], c);
  EXPECT_TRUE(cache.contains(ka));
  cache.release(ka, false, 0);

  // A file larger than the whole cache does not stay.
  auto [huge, evicted3] = fill("huge", 1000);
  EXPECT_NE(std::find(evicted3.begin(), evicted3.end(), huge), evicted3.end());
  EXPECT_LE(cache.size(), 250u);
}

}  // namespace
}  // namespace plateau::agent::fetcher
