// The master's outstanding offers in virtual time: indexes, sums, single use and timeouts.

#include "master/offer_book.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;
using plateau::testing::VirtualTime;

OfferBook::Offer offer(const std::string& id, const std::string& framework,
                       const std::string& agent, const std::string& resources) {
  OfferBook::Offer o;
  o.offer.mutable_id()->set_value(id);
  o.offer.mutable_framework_id()->set_value(framework);
  o.offer.mutable_agent_id()->set_value(agent);
  o.role = "*";
  o.resources = *Resources::parse(resources);
  return o;
}

// The ids a view holds, sorted.
std::set<std::string> ids(const OfferBook::Ids& view) { return {view.begin(), view.end()}; }

// Equal resources: each contains the other.
bool same(const Resources& have, const std::string& want) {
  Resources expected = *Resources::parse(want);
  return have.contains(expected) && expected.contains(have);
}

TEST(OfferBook, IndexesOffersByFrameworkAndAgentWithTheirSums) {
  VirtualTime time;
  OfferBook book(time, 0s, [](const std::string&) {});
  book.add(offer("o1", "f1", "a1", "cpus:1;mem:128"));
  book.add(offer("o2", "f1", "a2", "cpus:2"));
  book.add(offer("o3", "f2", "a1", "mem:64"));
  EXPECT_EQ(book.size(), 3u);
  EXPECT_EQ(ids(book.ofFramework("f1")), (std::set<std::string>{"o1", "o2"}));
  EXPECT_EQ(ids(book.onAgent("a1")), (std::set<std::string>{"o1", "o3"}));
  EXPECT_TRUE(same(book.offeredTo("f1"), "cpus:3;mem:128"));
  EXPECT_TRUE(same(book.offeredOn("a1"), "cpus:1;mem:192"));
  EXPECT_TRUE(book.ofFramework("nobody").empty());
  EXPECT_TRUE(book.offeredOn("nowhere").empty());
}

TEST(OfferBook, AnOfferIsTakenOnceAndLeavesEveryIndex) {
  VirtualTime time;
  OfferBook book(time, 0s, [](const std::string&) {});
  book.add(offer("o1", "f1", "a1", "cpus:1"));
  book.add(offer("o2", "f1", "a1", "cpus:2"));
  auto taken = book.take("o1");
  ASSERT_TRUE(taken);
  EXPECT_TRUE(same(taken->resources, "cpus:1"));
  EXPECT_FALSE(book.take("o1"));  // used, declined or rescinded at most once
  EXPECT_EQ(book.find("o1"), nullptr);
  EXPECT_EQ(ids(book.ofFramework("f1")), std::set<std::string>{"o2"});
  EXPECT_TRUE(same(book.offeredOn("a1"), "cpus:2"));
  ASSERT_TRUE(book.take("o2"));
  EXPECT_TRUE(book.offeredTo("f1").empty());  // no residue once the last offer goes
  EXPECT_TRUE(book.onAgent("a1").empty());
}

TEST(OfferBook, TakingAnyOfManyOffersKeepsEveryOtherOneIndexed) {
  VirtualTime time;
  OfferBook book(time, 0s, [](const std::string&) {});
  auto framework = [](int i) { return i % 2 == 0 ? "f1" : "f2"; };
  auto agent = [](int i) { return i % 3 == 0 ? "a1" : "a2"; };
  for (int i = 0; i < 20; ++i) {
    book.add(offer("o" + std::to_string(i), framework(i), agent(i), "cpus:1"));
  }
  std::set<int> left;
  for (int i = 0; i < 20; ++i) {
    left.insert(i);
  }
  // From the middle, the front and the back of each index, and one that is gone already.
  for (int i : {7, 0, 19, 10, 3, 12, 7, 18, 1}) {
    EXPECT_EQ(book.take("o" + std::to_string(i)).has_value(), left.erase(i) == 1) << i;
    std::map<std::string, std::set<std::string>> by_framework, by_agent;
    for (int j : left) {
      by_framework[framework(j)].insert("o" + std::to_string(j));
      by_agent[agent(j)].insert("o" + std::to_string(j));
      const OfferBook::Offer* found = book.find("o" + std::to_string(j));
      ASSERT_NE(found, nullptr) << j;
      EXPECT_EQ(found->offer.framework_id().value(), framework(j));
    }
    for (const std::string f : {"f1", "f2"}) {
      EXPECT_EQ(ids(book.ofFramework(f)), by_framework[f]) << "after " << i;
      EXPECT_TRUE(same(book.offeredTo(f), fmt::format("cpus:{}", by_framework[f].size())));
    }
    for (const std::string a : {"a1", "a2"}) {
      EXPECT_EQ(ids(book.onAgent(a)), by_agent[a]) << "after " << i;
      EXPECT_TRUE(same(book.offeredOn(a), fmt::format("cpus:{}", by_agent[a].size())));
    }
    EXPECT_EQ(book.size(), left.size());
    std::set<std::string> all;
    for (const auto& [id, kept] : book.all()) {
      EXPECT_EQ(id, kept.offer.id().value());
      all.insert(id);
    }
    EXPECT_EQ(all.size(), left.size());
  }
}

TEST(OfferBook, OutstandingOffersTimeOutAndTakenOnesDoNot) {
  VirtualTime time;
  std::vector<std::string> timed_out;
  OfferBook* self = nullptr;
  OfferBook book(time, 30s, [&](const std::string& id) {
    timed_out.push_back(id);
    self->take(id);  // as the master does: rescind it
  });
  self = &book;
  book.add(offer("o1", "f1", "a1", "cpus:1"));
  time.advance(10s);
  book.add(offer("o2", "f1", "a1", "cpus:1"));
  book.add(offer("o3", "f1", "a1", "cpus:1"));
  ASSERT_TRUE(book.take("o3"));  // accepted before its time ran out
  time.advance(20s);
  EXPECT_EQ(timed_out, std::vector<std::string>{"o1"});
  time.advance(10s);
  EXPECT_EQ(timed_out, (std::vector<std::string>{"o1", "o2"}));
  EXPECT_EQ(book.size(), 0u);
  EXPECT_EQ(time.pending(), 0u);
}

TEST(OfferBook, WithoutATimeoutNothingIsArmed) {
  VirtualTime time;
  OfferBook book(time, 0s, [](const std::string&) { FAIL() << "no offer times out"; });
  book.add(offer("o1", "f1", "a1", "cpus:1"));
  EXPECT_EQ(time.pending(), 0u);
  time.advance(24h);
  EXPECT_EQ(book.size(), 1u);
}

}  // namespace
}  // namespace plateau::master
