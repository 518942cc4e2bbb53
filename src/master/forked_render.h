#pragma once

// Renders a large read-only answer (/master/state, the operator API's GET_STATE) without
// holding the event loop: the daemon forks, and the child renders from its copy-on-write image of
// the state as it was at fork() (an immutable snapshot that costs only page tables). On a plain
// TCP connection the child also writes the whole HTTP response to the client's socket, which the
// connection lends it (http/socket_loan.h), so the answer's bytes never pass through the loop; the
// loop pays for fork() and, once the child exits, resumes the connection (keep-alive) or closes it.
// On TLS (or a fake exchange) the child writes the encoded response to a pipe, a helper thread
// reads and decodes it, and the loop sends it.
//
// Guarantees: the render runs in the child only (it must read memory and nothing else: no
// logging, no I/O but its pipe and the lent socket, no locks another thread may have held at
// fork); the child _exit()s and is reaped by a helper thread; the loop never touches a lent
// connection until its child is done. A child whose render takes over five minutes (or crashes)
// before writing to the socket is killed and answered 503 on the untouched connection; once it
// has started writing it has the server's write timeout, and a response it could not finish
// (peer gone, killed) closes the connection, the client seeing fewer bytes than content-length.
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
  // responder untouched) when it could not. Call it from the handler of `responder`'s request,
  // as it runs: the socket lent is that of the connection being dispatched.
  static bool respond(EventLoop& loop, const std::function<http::Response()>& render,
                      http::Responder& responder);
  // The same when `timers` is a real EventLoop (the daemon's); false in virtual time (tests),
  // whose timers cannot take a post from the helper thread.
  static bool respond(Timers& timers, const std::function<http::Response()>& render,
                      http::Responder& responder);

  // The general form: render() runs in the child and `done` gets its bytes on the loop, or
  // nullopt when the child failed (crashed, or took over five minutes). `done` is called once and
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
  static bool decode(std::string bytes, http::Response& out);
};

}  // namespace plateau::master
