#pragma once

// A request whose body is sent in pieces while it stays open (Transfer-Encoding: chunked), and
// whose answer is read whole: what a client of Mesos's ATTACH_CONTAINER_INPUT sends. Blocking, on
// a private loop, for the CLI and tests.

#include <chrono>
#include <memory>
#include <optional>

#include "common/status.h"
#include "http/client.h"
#include "runtime/event_loop.h"

namespace plateau::http {

class BlockingUpload {
 public:
  ~BlockingUpload();
  // Connects and sends the request's head (its `body` is ignored) within `timeout`.
  static Result<std::unique_ptr<BlockingUpload>> open(const Endpoint& endpoint,
                                                      ClientRequest request,
                                                      std::chrono::nanoseconds timeout);
  // Sends `data` (not empty) as one chunk, waiting up to `timeout` for it to be written. An error
  // (kUnavailable) once the connection broke, the server answered, or the wait timed out.
  Status write(std::string data, std::chrono::nanoseconds timeout);
  // The answer, once the server gave it (it may answer before the body ends); looks without
  // waiting (but for what is ready to be read).
  std::optional<Result<Response>> answer();
  // Ends the body and waits up to `timeout` for the answer.
  Result<Response> finish(std::chrono::nanoseconds timeout);

  struct State;  // shared with the connection's callbacks (client.cc)

 private:
  BlockingUpload() = default;
  std::unique_ptr<EventLoop> loop_;
  std::shared_ptr<State> state_;
};

}  // namespace plateau::http
