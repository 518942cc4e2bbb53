// The classic drivers' shared lifecycle: which transitions start, stop, abort and finish make,
// what they return, and when join() returns. No sockets: the client is a stand-in.

#include "client/driver_lifecycle.h"

#include <gtest/gtest.h>

#include <future>
#include <string>

namespace plateau::client {
namespace {

using namespace std::chrono_literals;

struct FakeClient {
  int* stops;
  int* sends;
  int* destroyed;
  ~FakeClient() { ++*destroyed; }
};

struct Fixture {
  int stops = 0;
  int sends = 0;
  int destroyed = 0;
  std::string failure;
  DriverLifecycle<FakeClient> lifecycle;

  mesos::Status start() {
    return lifecycle.start(
        [this] { return std::make_unique<FakeClient>(&stops, &sends, &destroyed); },
        [this](const std::string& why) { failure = why; });
  }
  mesos::Status send() {
    return lifecycle.whileRunning([](FakeClient& client) { ++*client.sends; });
  }
  mesos::Status stop() {
    return lifecycle.stop([](FakeClient& client) { ++*client.stops; });
  }
};

TEST(DriverLifecycle, NothingButStartWorksBeforeStart) {
  Fixture f;
  EXPECT_EQ(f.send(), mesos::DRIVER_NOT_STARTED);
  EXPECT_EQ(f.stop(), mesos::DRIVER_NOT_STARTED);
  EXPECT_EQ(f.lifecycle.abort(), mesos::DRIVER_NOT_STARTED);
  EXPECT_EQ(f.lifecycle.join(), mesos::DRIVER_NOT_STARTED);
  EXPECT_EQ(f.sends + f.stops, 0);
  EXPECT_EQ(f.start(), mesos::DRIVER_RUNNING);
  EXPECT_EQ(f.start(), mesos::DRIVER_RUNNING);  // a second start changes nothing
}

TEST(DriverLifecycle, AFailedStartAbortsAndReportsWhy) {
  DriverLifecycle<FakeClient> lifecycle;
  std::string failure;
  auto status = lifecycle.start(
      [] { return std::expected<std::unique_ptr<FakeClient>, std::string>(std::unexpected("no")); },
      [&](const std::string& why) { failure = why; });
  EXPECT_EQ(status, mesos::DRIVER_ABORTED);
  EXPECT_EQ(failure, "no");
  EXPECT_EQ(lifecycle.join(), mesos::DRIVER_ABORTED);
}

TEST(DriverLifecycle, CallsGoOutOnlyWhileRunning) {
  Fixture f;
  ASSERT_EQ(f.start(), mesos::DRIVER_RUNNING);
  EXPECT_EQ(f.send(), mesos::DRIVER_RUNNING);
  EXPECT_EQ(f.sends, 1);
  EXPECT_EQ(f.stop(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(f.stops, 1);
  EXPECT_EQ(f.send(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(f.stop(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(f.sends, 1);
  EXPECT_EQ(f.stops, 1);
}

TEST(DriverLifecycle, StopAfterAbortStopsTheClientAndSaysItWasAborted) {
  Fixture f;
  ASSERT_EQ(f.start(), mesos::DRIVER_RUNNING);
  EXPECT_EQ(f.lifecycle.abort(), mesos::DRIVER_ABORTED);
  EXPECT_EQ(f.stops, 0);  // abort leaves the client running
  EXPECT_EQ(f.send(), mesos::DRIVER_ABORTED);
  EXPECT_EQ(f.stop(), mesos::DRIVER_ABORTED);
  EXPECT_EQ(f.stops, 1);
  EXPECT_EQ(f.lifecycle.status(), mesos::DRIVER_STOPPED);
}

TEST(DriverLifecycle, FinishMovesOnlyARunningDriver) {
  Fixture f;
  f.lifecycle.finish(mesos::DRIVER_ABORTED, [](FakeClient& client) { ++*client.stops; });
  EXPECT_EQ(f.lifecycle.status(), mesos::DRIVER_NOT_STARTED);
  ASSERT_EQ(f.start(), mesos::DRIVER_RUNNING);
  f.lifecycle.finish(mesos::DRIVER_STOPPED, [](FakeClient& client) { ++*client.stops; });
  EXPECT_EQ(f.lifecycle.status(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(f.stops, 1);
  f.lifecycle.finish(mesos::DRIVER_ABORTED, nullptr);
  EXPECT_EQ(f.lifecycle.status(), mesos::DRIVER_STOPPED);
}

TEST(DriverLifecycle, JoinReturnsWhenAnotherThreadEndsTheDriver) {
  Fixture f;
  ASSERT_EQ(f.start(), mesos::DRIVER_RUNNING);
  EXPECT_EQ(f.lifecycle.joinFor(0ms), mesos::DRIVER_RUNNING);
  auto joined = std::async(std::launch::async, [&] { return f.lifecycle.join(); });
  f.lifecycle.finish(mesos::DRIVER_ABORTED, nullptr);
  ASSERT_EQ(joined.wait_for(30s), std::future_status::ready);  // a safety net, not a sleep
  EXPECT_EQ(joined.get(), mesos::DRIVER_ABORTED);
}

TEST(DriverLifecycle, ShutdownStopsARunningDriverAndDestroysTheClient) {
  Fixture f;
  ASSERT_EQ(f.start(), mesos::DRIVER_RUNNING);
  EXPECT_EQ(f.destroyed, 0);
  f.lifecycle.shutdown();
  EXPECT_EQ(f.destroyed, 1);
  EXPECT_EQ(f.lifecycle.status(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(f.send(), mesos::DRIVER_STOPPED);
  EXPECT_EQ(f.sends, 0);
}

}  // namespace
}  // namespace plateau::client
