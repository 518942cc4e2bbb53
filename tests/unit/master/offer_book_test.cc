// The master's outstanding offers in virtual time: indexes, sums, single use and timeouts.

#include "master/offer_book.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(book.ofFramework("f1"), (OfferBook::Ids{"o1", "o2"}));
  EXPECT_EQ(book.onAgent("a1"), (OfferBook::Ids{"o1", "o3"}));
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
  EXPECT_EQ(book.ofFramework("f1"), OfferBook::Ids{"o2"});
  EXPECT_TRUE(same(book.offeredOn("a1"), "cpus:2"));
  ASSERT_TRUE(book.take("o2"));
  EXPECT_TRUE(book.offeredTo("f1").empty());  // no residue once the last offer goes
  EXPECT_TRUE(book.onAgent("a1").empty());
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
