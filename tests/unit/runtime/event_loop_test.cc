#include "runtime/event_loop.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "common/invariant.h"

namespace plateau {
namespace {

using namespace std::chrono_literals;

TEST(EventLoopDeathTest, AnExceptionFromATimerAbortsNamingIt) {
  EXPECT_DEATH(
      {
        EventLoop loop;
        loop.after(1ms, [] { throw std::runtime_error("timer went wrong"); });
        loop.run();
      },
      "invariant_broken .*an exception escaped an event-loop handler: timer went wrong");
}

TEST(EventLoopDeathTest, AnExceptionFromAPostedCallbackAbortsToo) {
  EXPECT_DEATH(
      {
        EventLoop loop;
        loop.post([] { throw std::logic_error("posted"); });
        loop.runUntil([] { return false; }, 1s);
      },
      "an exception escaped an event-loop handler: posted");
}

TEST(InvariantDeathTest, ABrokenInvariantNamesItsCaller) {
  EXPECT_DEATH(checkInvariant(Status(StatusCode::kNotFound, "no framework 'f1'")),
               "invariant_broken where=.*event_loop_test.cc:[0-9]+ .*no framework 'f1'");
}

}  // namespace
}  // namespace plateau
