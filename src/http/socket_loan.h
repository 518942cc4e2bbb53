#pragma once

// A plain-TCP connection of the Server lent, for one whole response, to a writer that writes it
// straight to the socket (a forked child: master/forked_render.h), so that the response's bytes
// never pass through the event loop.

#include <chrono>
#include <memory>
#include <string>

#include "http/message.h"

namespace plateau::http {

// What a writer needs: the socket and how the response must end.
struct LentSocket {
  int fd = -1;             // the connected socket; non-blocking, so a writer polls for POLLOUT
  bool keep_alive = true;  // false: the response says "connection: close" (responseHead())
  std::chrono::milliseconds write_timeout{0};  // the time the peer may take to read a response
};

// The connection's side of a loan.
class SocketLoan {
 public:
  virtual ~SocketLoan() = default;
  virtual LentSocket socket() const = 0;
  // The loan is over: a response was written to the socket, whole when `complete` (else cut).
  // The connection reads its next request (complete, keep-alive) or closes, and drops the next
  // answer given to it: the lent request's Responder's, which must answer (or be destroyed)
  // right after this.
  virtual void end(bool complete) = 0;
};

// The connection whose request's handler runs on this thread now, when it is plain TCP, its
// request's body read and nothing queued; nullptr otherwise (TLS, a streamed body, outside a
// handler). Call it only from that handler and for that request's answer. Lending changes
// nothing by itself: the connection neither reads nor writes until its Responder answers (the
// socket was not used after all) or end() is called.
std::shared_ptr<SocketLoan> lendDispatchedSocket();

// The status line and header fields of `response` as the server sends them, content-length set
// to its body's size and "connection: close" added unless `keep_alive`, through the blank line
// that ends the head (the body follows it as it is).
std::string responseHead(const Response& response, bool keep_alive);

}  // namespace plateau::http
