#pragma once

// Reachability probes for health checks run by a service (plateau-apps' HTTP, HTTPS and TCP
// checks, as Marathon runs them): a TCP connect, and an HTTPS GET that, as Marathon's, does not
// verify the peer's certificate. Plain HTTP probes use fetch() (client.h). Each reports once, on
// the loop, within `timeout`.

#include <chrono>
#include <functional>
#include <string>

#include "common/status.h"
#include "http/client.h"
#include "http/message.h"
#include "runtime/event_loop.h"

namespace plateau::http {

// OK once a TCP connection to `endpoint` is established (then closed); kUnavailable otherwise.
void probeTcp(EventLoop& loop, const Endpoint& endpoint, std::chrono::nanoseconds timeout,
              std::function<void(Status)> done);

// GET `path` over TLS (no certificate verification; SNI set to the host); the response's status
// and headers, or kUnavailable.
void fetchTls(EventLoop& loop, const Endpoint& endpoint, std::string path,
              std::chrono::nanoseconds timeout, std::function<void(Result<Response>)> done);

}  // namespace plateau::http
