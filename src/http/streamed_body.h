#pragma once

// Request bodies a handler reads as they arrive, for long-lived requests such as Mesos's
// ATTACH_CONTAINER_INPUT (one chunked request for a whole session): the server hands such a
// request to its handler once the head is in, and reads the next piece of the body only when the
// handler asks, so memory stays bounded however long the body. Loop thread only.

#include <functional>
#include <memory>
#include <string>

#include "http/message.h"
#include "http/server.h"

namespace plateau::http {

// One step of a request body read piece by piece: some bytes, the end, or the reason it broke off.
struct BodyPiece {
  std::string data;   // never empty unless `end` or `error`
  bool end = false;   // the whole body has arrived; nothing follows
  std::string error;  // not empty: the body broke off (peer gone, bad framing); nothing follows
};

// A request body the handler reads as it arrives.
class RequestBody {
 public:
  virtual ~RequestBody() = default;
  // Delivers the next piece to `fn`, once, on the loop thread (never inside this call). One read
  // at a time; after an end or an error every read gets the same again.
  virtual void read(std::function<void(BodyPiece)> fn) = 0;
};

// A Server handler (pass it where a Handler goes) that also names the requests whose bodies
// stream: for a request whose head `streams` accepts, `handle` runs as soon as the head is in,
// with Request::body empty and the body to read through streamedBody(); such a body has no size
// limit and no request timeout (the handler bounds what it keeps). It is answered whole (not as a
// stream), and answering it before its body has ended closes the connection.
struct StreamingHandler {
  std::function<bool(const Request& head)> streams;
  Handler handle;

  void operator()(Request& request, Responder responder) const {
    handle(request, std::move(responder));
  }
};

// The body of `request` when the server streams it, to be taken while the server's call to the
// handler for `request` runs (nullptr for any other request, and afterwards).
std::shared_ptr<RequestBody> streamedBody(const Request& request);

}  // namespace plateau::http
