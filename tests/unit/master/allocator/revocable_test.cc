// Oversubscribed (revocable) resources in the allocator: offered only to REVOCABLE_RESOURCES
// frameworks, outside quota guarantees and dominant shares, and shrinking with the estimate.

#include <string_view>

#include <gtest/gtest.h>

#include "master/allocator/allocator.h"

namespace plateau::master::allocator {
namespace {

using std::chrono::hours;

Resources res(std::string_view text) {
  auto parsed = Resources::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Resources());
}

Resources revocable(std::string_view text) {
  Resources out;
  for (Resource r : res(text)) {
    r.revocable = true;
    out += r;
  }
  return out;
}

#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const ::plateau::Status status_ = (expr);                          \
    ASSERT_TRUE(status_.isOk()) << #expr << ": " << status_.message(); \
  } while (0)

const TimePoint kStart = TimePoint{} + hours(1);

class RevocableTest : public testing::Test {
 protected:
  std::vector<Offer> allocate() { return allocator_.allocate(now_); }
  void decline(const Offer& offer) {
    ASSERT_OK(allocator_.recoverResources(offer.framework_id, offer.role, offer.agent_id,
                                          offer.resources, std::nullopt, now_));
  }
  static Resources offeredTo(const std::vector<Offer>& offers, std::string_view framework) {
    Resources out;
    for (const Offer& offer : offers) {
      if (offer.framework_id == framework) {
        out += offer.resources;
      }
    }
    return out;
  }

  Allocator allocator_;
  TimePoint now_ = kStart;
};

TEST_F(RevocableTest, RevocableResourcesGoOnlyToCapableFrameworks) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:2;mem:512"), {}));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:4")));
  ASSERT_OK(allocator_.addFramework("plain", {.roles = {"*"}}));
  std::vector<Offer> offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, res("cpus:2;mem:512"));
  EXPECT_EQ(*allocator_.available("a1"), revocable("cpus:4"));
  decline(offers[0]);

  // The plain framework holds nothing now; the capable one is offered everything, revocable
  // cpus included, in one offer.
  ASSERT_OK(allocator_.addFramework("capable", {.roles = {"*"}, .revocable_capable = true}));
  ASSERT_OK(allocator_.deactivateFramework("plain"));
  offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "capable");
  EXPECT_EQ(offers[0].resources, res("cpus:2;mem:512") + revocable("cpus:4"));
}

TEST_F(RevocableTest, APlainFrameworkIsNeverOfferedOnlyRevocableResources) {
  ASSERT_OK(allocator_.addAgent("a1", Resources(), {}));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:8;mem:1024")));
  ASSERT_OK(allocator_.addFramework("plain", {.roles = {"*"}}));
  EXPECT_TRUE(allocate().empty());
  ASSERT_OK(allocator_.addFramework("capable", {.roles = {"*"}, .revocable_capable = true}));
  const std::vector<Offer> offers = allocate();
  EXPECT_TRUE(offeredTo(offers, "plain").empty());
  EXPECT_EQ(offeredTo(offers, "capable"), revocable("cpus:8;mem:1024"));
}

TEST_F(RevocableTest, RevocableAllocationsCountInNoDominantShare) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:10;mem:1000"), {}));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:10")));
  ASSERT_OK(allocator_.addFramework("capable", {.roles = {"*"}, .revocable_capable = true}));
  const std::vector<Offer> offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  // It holds all 10 non-revocable cpus of 10 (share 1), not 20 of 20.
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("capable"), 1.0);
  decline(offers[0]);
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:30")));
  const std::vector<Offer> again = allocate();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(*allocator_.frameworkShare("capable"), 1.0);
}

TEST_F(RevocableTest, QuotaGuaranteesAreNeverMetWithRevocableResources) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1;mem:100"), {}));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:8")));
  ASSERT_OK(allocator_.setQuota("eng", {.guarantees = res("cpus:4"), .limits = res("cpus:4")}));
  ASSERT_OK(allocator_.addFramework("eng_fw", {.roles = {"eng"}, .revocable_capable = true}));
  const std::vector<Offer> offers = allocate();
  // The limit of 4 cpus caps non-revocable cpus only: the 8 revocable ones come with the rest.
  EXPECT_EQ(offeredTo(offers, "eng_fw"), res("cpus:1;mem:100") + revocable("cpus:8"));
}

TEST_F(RevocableTest, AShrunkEstimateLeavesNothingRevocableFreeUntilUsesEnd) {
  ASSERT_OK(allocator_.addAgent("a1", res("mem:100"), {}));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:4")));
  ASSERT_OK(allocator_.addFramework("capable", {.roles = {"*"}, .revocable_capable = true}));
  const std::vector<Offer> offers = allocate();
  ASSERT_EQ(offers.size(), 1u);
  // A task holds 3 revocable cpus; the rest of the offer goes back.
  ASSERT_OK(allocator_.recoverResources("capable", "*", "a1", res("mem:100") + revocable("cpus:1"),
                                        std::nullopt, now_));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:2")));
  EXPECT_EQ(*allocator_.available("a1"), res("mem:100"));
  // The task ends: of its 3 cpus only the 2 the estimate has are free again.
  ASSERT_OK(
      allocator_.recoverResources("capable", "*", "a1", revocable("cpus:3"), std::nullopt, now_));
  EXPECT_EQ(*allocator_.available("a1"), res("mem:100") + revocable("cpus:2"));
  // The non-revocable total changes (an operator reservation, say): the estimate stays.
  ASSERT_OK(allocator_.updateAgentTotal("a1", res("mem:200")));
  EXPECT_EQ(*allocator_.available("a1"), res("mem:200") + revocable("cpus:2"));
}

TEST_F(RevocableTest, AnAgentMayReturnWithRevocableTasksBeforeItsEstimate) {
  ASSERT_OK(allocator_.addFramework("capable", {.roles = {"*"}, .revocable_capable = true}));
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1"), {{"capable", "*", revocable("cpus:2")}}));
  EXPECT_TRUE(allocator_.available("a1")->revocable().empty());
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:5")));
  EXPECT_EQ(allocator_.available("a1")->revocable(), revocable("cpus:3"));
}

TEST_F(RevocableTest, RejectsNonRevocableEstimatesAndUnknownAgents) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1"), {}));
  EXPECT_EQ(allocator_.updateOversubscribed("a1", res("cpus:1")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.updateOversubscribed("nope", revocable("cpus:1")).code(),
            StatusCode::kNotFound);
}

TEST_F(RevocableTest, NewlyCapableFrameworkGetsTheRevocableResourcesOfASettledAgent) {
  ASSERT_OK(allocator_.addAgent("a1", res("cpus:1"), {}));
  ASSERT_OK(allocator_.updateOversubscribed("a1", revocable("cpus:4")));
  ASSERT_OK(allocator_.addFramework("plain", {.roles = {"*"}}));
  ASSERT_EQ(allocate().size(), 1u);
  EXPECT_TRUE(allocate().empty());  // settled: only revocable cpus are left
  ASSERT_OK(allocator_.addFramework("capable", {.roles = {"*"}, .revocable_capable = true}));
  const std::vector<Offer> offers = allocate();
  EXPECT_EQ(offeredTo(offers, "capable"), revocable("cpus:4"));
}

}  // namespace
}  // namespace plateau::master::allocator
