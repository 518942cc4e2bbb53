#include "sim/failover.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/event_loop.h"
#include "sim/leader.h"

namespace plateau::sim {
namespace {

using namespace std::chrono_literals;

Clock::TimePoint at(std::chrono::milliseconds ms) { return Clock::TimePoint{} + 1000s + ms; }

TEST(FailoverTest, CurveCountsEachAgentOnceFromTheFirstLinkLost) {
  const std::string a = "a", b = "b", c = "c", d = "d";
  // The first registrations (before the failover), then links lost at 10 s, the new leader
  // known at 12 s, and the agents back at 12.5, 12.7 (b twice), 13.9 and 15.2 s.
  std::vector<std::pair<Clock::TimePoint, const std::string*>> registered = {
      {at(100ms), &a},   {at(200ms), &b},   {at(300ms), &c},   {at(400ms), &d},  {at(12500ms), &a},
      {at(12700ms), &b}, {at(12800ms), &b}, {at(13900ms), &c}, {at(15200ms), &d}};
  std::vector<Clock::TimePoint> lost = {at(10000ms), at(10001ms), at(10002ms), at(10003ms)};
  Failover f = Failover::of(lost, registered, {at(12000ms)}, 4);
  EXPECT_EQ(f.leader_changes, 1);
  EXPECT_DOUBLE_EQ(f.leader_known_s, 2.0);
  EXPECT_EQ(f.agents_back, 4);
  EXPECT_NEAR(f.half_back_s, 2.7, 1e-9);
  EXPECT_NEAR(f.most_back_s, 5.2, 1e-9);
  EXPECT_NEAR(f.all_back_s, 5.2, 1e-9);
  std::vector<std::pair<double, int>> curve = {{1, 0}, {2, 0}, {3, 2}, {4, 3}, {5, 3}, {6, 4}};
  EXPECT_EQ(f.curve, curve);
  EXPECT_NE(f.table().find("agents back"), std::string::npos);
}

TEST(FailoverTest, NothingWithoutALeaderChangeAndMinusOneForAgentsNeverBack) {
  const std::string a = "a";
  EXPECT_EQ(Failover::of({}, {{at(1ms), &a}}, {}, 1).leader_changes, 0);
  EXPECT_EQ(Failover::of({}, {}, {}, 1).table(), "");
  Failover f = Failover::of({at(5ms)}, {}, {at(10ms)}, 2);
  EXPECT_EQ(f.agents_back, 0);
  EXPECT_EQ(f.all_back_s, -1);
  EXPECT_EQ(f.half_back_s, -1);
}

TEST(LeaderTest, AListOfMastersIsTriedInTurnAndListenersHearEachChange) {
  EventLoop loop;
  auto leader = Leader::create(loop, "127.0.0.1:5050,127.0.0.1:5051");
  ASSERT_TRUE(leader.has_value()) << leader.error().message();
  ASSERT_TRUE((*leader)->known());
  EXPECT_EQ((*leader)->current().port, 5050);
  int heard = 0;
  (*leader)->onChange([&] { heard++; });
  const http::Endpoint first = (*leader)->current();
  (*leader)->unreachable(first);
  EXPECT_EQ((*leader)->current().port, 5051);
  (*leader)->unreachable(first);  // a late failure of the old one changes nothing
  EXPECT_EQ((*leader)->current().port, 5051);
  (*leader)->unreachable((*leader)->current());
  EXPECT_EQ((*leader)->current().port, 5050);
  EXPECT_EQ(heard, 2);
  EXPECT_EQ((*leader)->changes(), 2);
}

TEST(LeaderTest, OneMasterNeverChangesAndBadTextIsRefused) {
  EventLoop loop;
  auto leader = Leader::create(loop, "127.0.0.1:5050");
  ASSERT_TRUE(leader.has_value());
  (*leader)->unreachable((*leader)->current());
  EXPECT_EQ((*leader)->current().port, 5050);
  EXPECT_EQ((*leader)->changes(), 0);
  EXPECT_FALSE(Leader::create(loop, "127.0.0.1:5050,:x").has_value());
  EXPECT_FALSE(Leader::create(loop, "zk://").has_value());
}

TEST(FailoverTest, ARefusalsRetryAfterIsHonouredWithUpToHalfAgainOfJitter) {
  EXPECT_EQ(registrationRetryDelay("1", 250ms, 0.0), 1000ms);
  EXPECT_EQ(registrationRetryDelay("1", 250ms, 0.5), 1250ms);
  EXPECT_EQ(registrationRetryDelay("3", 5000ms, 0.999), 4498ms);
  EXPECT_EQ(registrationRetryDelay("0", 250ms, 0.7), 0ms);         // at once, as the master asks
  EXPECT_EQ(registrationRetryDelay("3600", 250ms, 0.0), 60000ms);  // capped at a minute
}

TEST(FailoverTest, WithoutRetryAfterTheBackoffIsHalfFixedHalfJitter) {
  EXPECT_EQ(registrationRetryDelay("", 250ms, 0.0), 125ms);
  EXPECT_EQ(registrationRetryDelay("", 250ms, 0.999), 249ms);
  EXPECT_EQ(registrationRetryDelay("", 5000ms, 0.5), 3750ms);
  // A Retry-After that is not whole seconds (an HTTP date, garbage) is not understood.
  EXPECT_EQ(registrationRetryDelay("Fri, 31 Dec 1999 23:59:59 GMT", 1000ms, 0.0), 500ms);
  EXPECT_EQ(registrationRetryDelay("-2", 1000ms, 0.0), 500ms);
  EXPECT_EQ(registrationRetryDelay("1.5", 1000ms, 0.0), 500ms);
}

TEST(SharedProbesTest, ManyAskOneProbeAnswersAllAndTheNextAskProbesAgain) {
  std::vector<std::pair<std::string, std::function<void(bool)>>> started;
  SharedProbes probes([&](const std::string& key, std::function<void(bool)> answer) {
    started.emplace_back(key, std::move(answer));
  });
  std::vector<std::string> heard;
  for (int i = 0; i < 1000; ++i) {
    probes.ask("a:1",
               [&heard, i](bool up) { heard.push_back(fmt::format("{}{}", i, up ? "+" : "-")); });
  }
  probes.ask("b:2", [&heard](bool up) { heard.push_back(up ? "b+" : "b-"); });
  ASSERT_EQ(started.size(), 2u);  // one probe per key, however many ask
  EXPECT_EQ(probes.inFlight(), 2u);
  // The answer reaches every asker, in order; an ask after it starts a new probe.
  started[0].second(false);
  ASSERT_EQ(heard.size(), 1000u);
  EXPECT_EQ(heard.front(), "0-");
  EXPECT_EQ(heard.back(), "999-");
  EXPECT_EQ(probes.inFlight(), 1u);
  probes.ask("a:1", [&heard](bool up) { heard.push_back(up ? "a+" : "a-"); });
  ASSERT_EQ(started.size(), 3u);
  started[2].second(true);
  started[1].second(true);
  EXPECT_EQ(heard[1000], "a+");
  EXPECT_EQ(heard[1001], "b+");
  EXPECT_EQ(probes.inFlight(), 0u);
}

TEST(SharedProbesTest, AnAskMadeWhileAnsweringStartsItsOwnProbeAndLateAnswersAreDropped) {
  std::vector<std::function<void(bool)>> started;
  auto probes =
      std::make_unique<SharedProbes>([&](const std::string&, std::function<void(bool)> answer) {
        started.push_back(std::move(answer));
      });
  int answers = 0;
  probes->ask("a:1", [&](bool) {
    answers++;
    probes->ask("a:1", [&](bool) { answers++; });  // asks again from inside its answer
  });
  started[0](false);
  EXPECT_EQ(answers, 1);
  ASSERT_EQ(started.size(), 2u);
  probes.reset();
  started[1](true);  // its asker is gone: nothing runs
  EXPECT_EQ(answers, 1);
}

TEST(FailoverTest, AgentRetriesDrawFromPlateauAgentsJitterRange) {
  // plateau-agent waits a draw from [backoff / 2, backoff] (common/backoff.h's Jitter), its
  // backoff 100 ms doubling to --registration_backoff_factor (1 s by default).
  EXPECT_EQ(registrationRetryDelay("", 100ms, 0.0), 50ms);
  EXPECT_EQ(registrationRetryDelay("", 100ms, 0.999), 99ms);
  EXPECT_EQ(registrationRetryDelay("", 1000ms, 0.0), 500ms);
  EXPECT_EQ(registrationRetryDelay("", 1000ms, 0.999), 999ms);
}

TEST(FailoverTest, ASubscriptionRefusedWithRetryAfterWaitsWhatTheMasterAsks) {
  EXPECT_EQ(subscriptionRetryDelay("1", 0.0), 1000ms);
  EXPECT_EQ(subscriptionRetryDelay("2", 0.5), 2500ms);
  EXPECT_EQ(subscriptionRetryDelay("5", 0.999), 7497ms);
  EXPECT_EQ(subscriptionRetryDelay("0", 0.9), 0ms);
  EXPECT_EQ(subscriptionRetryDelay("86400", 0.0), 60000ms);  // capped at a minute
  // Without one (a lost connection, a refusal that names none) or with one not understood: 1 s.
  EXPECT_EQ(subscriptionRetryDelay("", 0.7), 1000ms);
  EXPECT_EQ(subscriptionRetryDelay("soon", 0.0), 1000ms);
  EXPECT_EQ(subscriptionRetryDelay("1 ", 0.0), 1000ms);
}

TEST(FailoverTest, RetryAfterIsWholeSecondsOnly) {
  EXPECT_EQ(retryAfterDelay("3", 0.0), std::optional(3000ms));
  EXPECT_EQ(retryAfterDelay("", 0.0), std::nullopt);
  EXPECT_EQ(retryAfterDelay("+3", 0.0), std::nullopt);
  EXPECT_EQ(retryAfterDelay("-1", 0.0), std::nullopt);
  EXPECT_EQ(retryAfterDelay("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), std::nullopt);
}

}  // namespace
}  // namespace plateau::sim
