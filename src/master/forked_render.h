#pragma once

// Renders a large read-only answer (/master/state) without holding the event loop: the daemon
// forks, the child renders from its copy-on-write image of the state as it was at fork() (an
// immutable snapshot that costs only page tables) and writes the answer to a pipe, a helper
// thread reads it and posts the response back to the loop, which sends it. The loop pays for
// fork() instead of the render: a few milliseconds against seconds at 10,000 agents.
//
// Guarantees: the render runs in the child only (it must read memory and nothing else: no
// logging, no I/O, no locks another thread may have held at fork); the child _exit()s and is
// reaped by the helper thread; a child that takes over a minute is killed and answered 503.
// At most kMaxInFlight renders at once: beyond that, and when fork() fails, respond() returns
// false and the caller renders on the loop as before.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/message.h"
#include "http/server.h"
#include "runtime/event_loop.h"

namespace plateau::master {

class ForkedRender {
 public:
  static constexpr int kMaxInFlight = 4;

  // Forks and answers `responder` with render()'s response once it is ready; false (the
  // responder untouched) when it could not.
  static bool respond(EventLoop& loop, const std::function<http::Response()>& render,
                      http::Responder& responder);
  // The same when `timers` is a real EventLoop (the daemon's); false in virtual time (tests),
  // whose timers cannot take a post from the helper thread.
  static bool respond(Timers& timers, const std::function<http::Response()>& render,
                      http::Responder& responder);

  // The general form: render() runs in the child and `done` gets its bytes on the loop, or
  // nullopt when the child failed (crashed, or took over a minute). `done` is called once and
  // dropped on the loop thread, never on the helper thread. False (nothing forked, `done`
  // never called) when `timers` is no EventLoop, too many renders are in flight, or fork()
  // failed: the caller renders on the loop.
  using Done = std::function<void(std::optional<std::string> bytes)>;
  static bool run(Timers& timers, const std::function<std::string()>& render, Done done);
  static bool run(EventLoop& loop, const std::function<std::string()>& render, Done done);

  // Waits (at most `limit`) until no render is in flight: the daemon calls it once its loop has
  // stopped and before the loop is destroyed, since a helper thread posts to it.
  static void waitForRenders(std::chrono::milliseconds limit);

  // The wire form between child and parent, pure (tests/unit/master/forked_render_test.cc).
  static std::string encode(const http::Response& response);
  static bool decode(const std::string& bytes, http::Response& out);
};

}  // namespace plateau::master
