// The shared subscription of the client libraries in virtual time, with a fake detector and
// fake streams: connecting, redirects, refusals, undecodable records, heartbeats, leader
// changes, reconnecting with capped backoff and giving up. No sockets, no sleeps.

#include "client/subscription.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <mesos/v1/scheduler/scheduler.pb.h>

#include "fakes/fake_master_detector.h"
#include "fakes/fake_streams.h"
#include "fakes/virtual_time.h"

namespace plateau::client {
namespace {

using namespace std::chrono_literals;
using mesos::v1::scheduler::Event;
using plateau::testing::FakeMasterDetector;
using plateau::testing::FakeStreams;
using plateau::testing::VirtualTime;

const http::Endpoint kMasterA{"10.0.0.1", 5050};
const http::Endpoint kMasterB{"10.0.0.2", 5050};

Event event(Event::Type type) {
  Event e;
  e.set_type(type);
  return e;
}

// A subscription wired to fakes, recording what it reports.
struct Harness {
  explicit Harness(Subscription::Options options, Result<MasterDetector::Leader> leader = kMasterA)
      : detector(std::move(leader)),
        subscription(std::move(options),
                     {.request = [this] { return request(); },
                      .opened = [this](const http::Response&) { ++opened; },
                      .data = decodeEach<Event>([this](Event& e) { return received(e); }),
                      .closed = [this](const Subscription::Closed& c) { closed.push_back(c); },
                      .refused = [this](const std::string& why) { refused.push_back(why); }},
                     detector, time, time, streams.opener()) {}

  http::ClientRequest request() {
    ++requests;
    return {.method = "POST", .path = "/api/v1/scheduler", .body = std::to_string(requests)};
  }

  bool received(Event& e) {
    events.push_back(e.type());
    if (e.type() == Event::SUBSCRIBED) {
      subscription.subscribed();
    }
    if (e.type() == Event::ERROR) {
      subscription.close();
      return false;
    }
    return true;
  }

  // Opens the current stream with a 200 and confirms the subscription.
  void subscribe() {
    streams.last().head(200);
    streams.last().send(event(Event::SUBSCRIBED));
  }

  // Advances to just before `delay` (no new stream) and then to it (a new stream).
  void expectReconnectAfter(std::chrono::nanoseconds delay) {
    size_t before = streams.count();
    time.advance(delay - 1ns);
    ASSERT_EQ(streams.count(), before) << "reconnected before " << delay.count() << "ns";
    time.advance(1ns);
    ASSERT_EQ(streams.count(), before + 1) << "no reconnection after " << delay.count() << "ns";
  }

  VirtualTime time;
  FakeMasterDetector detector;
  FakeStreams streams;
  int requests = 0;
  int opened = 0;
  std::vector<Event::Type> events;
  std::vector<Subscription::Closed> closed;
  std::vector<std::string> refused;
  Subscription subscription;
};

Subscription::Options schedulerLike() {
  return {.peer = "master",
          .reconnect = {.backoff_min = 100ms, .backoff_max = 1s},
          .max_redirects = 2,
          .refusal_is_final = true};
}

TEST(Subscription, ConnectsToTheDetectedLeaderAndDeliversEvents) {
  Harness h(schedulerLike());
  EXPECT_EQ(h.streams.count(), 0u);  // nothing before start()
  h.subscription.start();
  ASSERT_EQ(h.streams.count(), 1u);
  EXPECT_EQ(h.streams.last().endpoint.toString(), kMasterA.toString());
  EXPECT_EQ(h.streams.last().request.body, "1");
  EXPECT_FALSE(h.subscription.isOpen());

  h.streams.last().head(200);
  EXPECT_EQ(h.opened, 1);
  EXPECT_TRUE(h.subscription.isOpen());
  h.streams.last().send(event(Event::SUBSCRIBED), event(Event::HEARTBEAT));
  h.streams.last().send(event(Event::OFFERS));
  EXPECT_EQ(h.events,
            (std::vector<Event::Type>{Event::SUBSCRIBED, Event::HEARTBEAT, Event::OFFERS}));
  EXPECT_TRUE(h.subscription.isSubscribed());
  EXPECT_TRUE(h.closed.empty());
}

TEST(Subscription, ReconnectsWithCappedBackoffAndAFreshRequestAfterEachLoss) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscribe();
  h.streams.last().end("connection reset");
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, "connection reset");
  EXPECT_TRUE(h.closed[0].was_open);
  EXPECT_TRUE(h.closed[0].was_subscribed);
  EXPECT_EQ(h.closed[0].next, Subscription::Next::kReconnect);
  EXPECT_FALSE(h.subscription.isSubscribed());

  for (auto delay : {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms}) {
    h.expectReconnectAfter(delay);
    EXPECT_EQ(h.streams.last().request.body, std::to_string(h.requests));
    h.streams.last().end("connection refused");
    EXPECT_FALSE(h.closed.back().was_open);
  }
  EXPECT_EQ(h.requests, 7);

  // A confirmed subscription starts the backoff afresh.
  h.expectReconnectAfter(1000ms);
  h.subscribe();
  h.streams.last().end("connection reset");
  h.expectReconnectAfter(100ms);
}

TEST(Subscription, FollowsRedirectsAtOnceAndKeepsTheRedirectedStream) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.streams.last().head(307, "http://10.0.0.2:5050/api/v1/scheduler");
  EXPECT_TRUE(h.streams.at(0).cancelled);
  ASSERT_EQ(h.streams.count(), 2u);  // no time passed
  EXPECT_EQ(h.streams.last().endpoint.toString(), kMasterB.toString());
  EXPECT_EQ(h.requests, 2);

  // The detector still reports A: that is no leader change, so B's stream stays.
  h.subscribe();
  EXPECT_FALSE(h.streams.last().cancelled);
  EXPECT_EQ(h.subscription.peer()->toString(), kMasterB.toString());
  h.time.advance(1h);
  EXPECT_EQ(h.streams.count(), 2u);
  EXPECT_TRUE(h.closed.empty());
}

TEST(Subscription, TooManyRedirectsInARowFailTheAttempt) {
  Harness h(schedulerLike());  // two redirects at most
  h.subscription.start();
  h.streams.last().head(307, "10.0.0.2:5050");
  h.streams.last().head(307, "10.0.0.1:5050");
  ASSERT_EQ(h.streams.count(), 3u);
  h.streams.last().head(307, "10.0.0.2:5050");
  EXPECT_EQ(h.streams.count(), 3u);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, "The master refused the subscription: HTTP 307");
  EXPECT_EQ(h.closed[0].next, Subscription::Next::kReconnect);
  // The next attempt starts from the detector, with the redirects counted afresh.
  h.expectReconnectAfter(100ms);
  EXPECT_EQ(h.streams.last().endpoint.toString(), kMasterA.toString());
  h.streams.last().head(307, "10.0.0.2:5050");
  EXPECT_EQ(h.streams.count(), 5u);
}

TEST(Subscription, AnUnavailableMasterIsRetried) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.streams.last().head(503);
  EXPECT_TRUE(h.streams.last().cancelled);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_FALSE(h.closed[0].was_open);
  EXPECT_TRUE(h.refused.empty());
  h.expectReconnectAfter(100ms);
}

TEST(Subscription, AFinalRefusalEndsTheSubscription) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.streams.last().head(403);
  ASSERT_EQ(h.refused.size(), 1u);
  EXPECT_EQ(h.refused[0], "The master refused the subscription: HTTP 403");
  EXPECT_TRUE(h.closed.empty());
  EXPECT_TRUE(h.subscription.finished());
  EXPECT_EQ(h.time.pending(), 0u);
  h.time.advance(1h);
  EXPECT_EQ(h.streams.count(), 1u);
}

TEST(Subscription, WithoutFinalRefusalsAnyStatusIsRetried) {
  auto options = schedulerLike();
  options.peer = "agent";
  options.refusal_is_final = false;
  Harness h(options);
  h.subscription.start();
  h.streams.last().head(403);
  EXPECT_TRUE(h.refused.empty());
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, "The agent refused the subscription: HTTP 403");
  h.expectReconnectAfter(100ms);
}

TEST(Subscription, AnUndecodableRecordDropsTheConnectionAndResubscribes) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscribe();
  h.streams.last().sendRaw(recordio::encode("\xff\xff not an event"));
  EXPECT_TRUE(h.streams.last().cancelled);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_NE(h.closed[0].why.find("Undecodable mesos.v1.scheduler.Event"), std::string::npos)
      << h.closed[0].why;
  EXPECT_TRUE(h.closed[0].was_subscribed);
  h.expectReconnectAfter(100ms);
  EXPECT_EQ(h.events, (std::vector<Event::Type>{Event::SUBSCRIBED}));
}

TEST(Subscription, ABrokenFrameDropsTheConnection) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscribe();
  h.streams.last().sendRaw("12x\n");
  EXPECT_TRUE(h.streams.last().cancelled);
  ASSERT_EQ(h.closed.size(), 1u);
  h.expectReconnectAfter(100ms);
}

TEST(Subscription, HeartbeatSilenceDropsTheConnection) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscription.setHeartbeatTimeout(10s);
  h.subscribe();
  for (int i = 0; i < 5; ++i) {
    h.time.advance(9s);
    h.streams.last().send(event(Event::HEARTBEAT));
  }
  EXPECT_TRUE(h.closed.empty());
  h.time.advance(10s - 1ns);
  EXPECT_TRUE(h.closed.empty());
  h.time.advance(1ns);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, "No heartbeat from the master");
  EXPECT_TRUE(h.streams.last().cancelled);
  h.expectReconnectAfter(100ms);
  // The new stream is not watched until it delivers an event.
  h.time.advance(1h);
  EXPECT_EQ(h.closed.size(), 1u);
}

TEST(Subscription, ALeaderChangeDropsTheStreamAndReconnectsToTheNewLeader) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscribe();
  h.detector.setLeader(kMasterB);
  EXPECT_TRUE(h.streams.at(0).cancelled);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, "The leading master changed");
  h.expectReconnectAfter(100ms);
  EXPECT_EQ(h.streams.last().endpoint.toString(), kMasterB.toString());
}

TEST(Subscription, ADetectionErrorIsRetriedWithBackoffAndAMissingLeaderAwaited) {
  Harness h(schedulerLike(), std::unexpected(Status(StatusCode::kNotFound, "no master file")));
  h.subscription.start();
  EXPECT_EQ(h.streams.count(), 0u);
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].why, "no master file");
  EXPECT_FALSE(h.closed[0].was_open);
  h.time.advance(100ms);
  ASSERT_EQ(h.closed.size(), 2u);
  EXPECT_EQ(h.detector.detections(), 2);

  // No leader elected yet: the attempt waits on the detector rather than failing.
  h.detector.setLeader(MasterDetector::Leader(std::nullopt));
  h.time.advance(200ms);
  EXPECT_EQ(h.detector.detections(), 3);
  h.time.advance(1h);
  EXPECT_EQ(h.closed.size(), 2u);
  EXPECT_EQ(h.streams.count(), 0u);
  h.detector.setLeader(kMasterA);
  ASSERT_EQ(h.streams.count(), 1u);
  EXPECT_EQ(h.streams.last().endpoint.toString(), kMasterA.toString());
}

TEST(Subscription, GivesUpWhenTheRecoveryWindowPasses) {
  auto options = schedulerLike();
  options.reconnect.recovery_window = 1s;
  Harness h(options);
  h.subscription.start();
  h.subscribe();
  h.streams.last().end("agent restarting");
  for (auto delay : {100ms, 200ms, 400ms}) {
    h.expectReconnectAfter(delay);
    h.streams.last().end("connection refused");
    ASSERT_EQ(h.closed.back().next, Subscription::Next::kReconnect);
  }
  h.expectReconnectAfter(800ms);  // 1.5 s since the loss
  h.streams.last().end("connection refused");
  EXPECT_EQ(h.closed.back().next, Subscription::Next::kGiveUp);
  EXPECT_TRUE(h.subscription.finished());
  EXPECT_EQ(h.time.pending(), 0u);
  h.time.advance(1h);
  EXPECT_EQ(h.streams.count(), 5u);
}

TEST(Subscription, AfterStopReconnectingALostStreamIsReportedButNotRetried) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscribe();
  h.subscription.stopReconnecting();
  EXPECT_FALSE(h.streams.last().cancelled);  // still open: calls may still go out
  h.streams.last().end("torn down");
  ASSERT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.closed[0].next, Subscription::Next::kNothing);
  h.time.advance(1h);
  EXPECT_EQ(h.streams.count(), 1u);
}

TEST(Subscription, AnErrorEventHandledByClosingEndsEverything) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscription.setHeartbeatTimeout(1s);
  h.streams.last().head(200);
  h.streams.last().send(event(Event::SUBSCRIBED), event(Event::ERROR), event(Event::OFFERS));
  EXPECT_EQ(h.events, (std::vector<Event::Type>{Event::SUBSCRIBED, Event::ERROR}));
  EXPECT_TRUE(h.streams.last().cancelled);
  EXPECT_EQ(h.time.pending(), 0u);
  h.time.advance(1h);
  EXPECT_TRUE(h.closed.empty());
  EXPECT_EQ(h.streams.count(), 1u);
}

TEST(Subscription, CloseCancelsTheStreamAndTimersAndSilencesLateCallbacks) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscription.setHeartbeatTimeout(1s);
  h.subscribe();
  h.streams.last().end("lost");
  h.expectReconnectAfter(100ms);
  h.streams.last().head(200);
  h.streams.last().send(event(Event::SUBSCRIBED));
  EXPECT_GT(h.time.pending(), 0u);  // the heartbeat watch
  h.subscription.close();
  EXPECT_TRUE(h.streams.last().cancelled);
  EXPECT_EQ(h.time.pending(), 0u);
  // A peer that still answers after close() reaches no one.
  h.streams.last().send(event(Event::OFFERS));
  h.streams.last().end("late");
  h.detector.setLeader(kMasterB);
  EXPECT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.events, (std::vector<Event::Type>{Event::SUBSCRIBED, Event::SUBSCRIBED}));
}

TEST(Subscription, CallbacksOfAnEarlierStreamAreIgnored) {
  Harness h(schedulerLike());
  h.subscription.start();
  h.subscribe();
  h.streams.last().end("lost");
  h.expectReconnectAfter(100ms);
  h.streams.at(0).send(event(Event::OFFERS));
  h.streams.at(0).end("again");
  EXPECT_EQ(h.closed.size(), 1u);
  EXPECT_EQ(h.events, (std::vector<Event::Type>{Event::SUBSCRIBED}));
}

}  // namespace
}  // namespace plateau::client
