#pragma once

// Runs a real event loop on the test's thread while a blocking client (a RawConnection, say)
// runs on its own: for tests of a server on the loop that speak to it over loopback.

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/event_loop.h"

namespace plateau::testing {

// Runs `loop` until `client`, on a thread of its own, is done (at most `limit`).
inline void serveClient(EventLoop& loop, const std::function<void()>& client,
                        std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::atomic<bool> done{false};
  std::thread thread([&] {
    client();
    done = true;
    loop.post([] {});  // wakes runUntil() to see it
  });
  EXPECT_TRUE(loop.runUntil([&] { return done.load(); }, limit));
  thread.join();
}

}  // namespace plateau::testing
