#include "service/leader_terms.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

namespace plateau::service {
namespace {

// Counts its lives in `alive`.
class CountingTerm final : public Term {
 public:
  explicit CountingTerm(int& alive) : alive_(alive) { ++alive_; }
  ~CountingTerm() override { --alive_; }
  void handle(http::Request&, http::Responder) override {}

 private:
  int& alive_;
};

std::shared_ptr<spdlog::logger> quietLog() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

TEST(LeaderTermsTest, ALocalStoreLeadsAtOnceAndAgainAfterAbdicating) {
  EventLoop loop;
  auto store = makeMemoryStore();
  LeaderTerms terms(loop, {.name = "test", .local_store = store.get()}, quietLog());
  int alive = 0;
  int begun = 0;
  KvStore* seen = nullptr;
  terms.start(
      "me:1",
      [&](KvStore& s) -> Result<std::unique_ptr<Term>> {
        ++begun;
        seen = &s;
        return std::make_unique<CountingTerm>(alive);
      },
      nullptr);
  EXPECT_TRUE(terms.leading());
  EXPECT_EQ(alive, 1);
  EXPECT_EQ(seen, store.get()) << "the term runs over the local store";
  EXPECT_EQ(terms.leader(), "me:1");
  EXPECT_FALSE(terms.fatal());

  terms.abdicate();  // after the current event: nothing changes yet
  EXPECT_EQ(alive, 1);
  ASSERT_TRUE(loop.runUntil([&] { return begun == 2; }, std::chrono::seconds(5)));
  EXPECT_EQ(alive, 1) << "the first term ended before the second began";
  terms.stop();
  EXPECT_EQ(alive, 0);
  EXPECT_FALSE(terms.leading());
}

TEST(LeaderTermsTest, ATermThatCannotBeginOverALocalStoreIsFatal) {
  EventLoop loop;
  auto store = makeMemoryStore();
  LeaderTerms terms(loop, {.name = "test", .local_store = store.get()}, quietLog());
  terms.start(
      "me:1",
      [](KvStore&) -> Result<std::unique_ptr<Term>> {
        return std::unexpected(Status(StatusCode::kUnavailable, "unreadable"));
      },
      nullptr);
  EXPECT_TRUE(terms.fatal());
  EXPECT_FALSE(terms.leading());
}

}  // namespace
}  // namespace plateau::service
