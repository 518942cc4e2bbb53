#pragma once

// Writing bytes a stream's reader is owed whatever its pace (an operator subscriber's snapshot
// and the changes held behind it), outside the server's slow-reader bound.

#include <string>

#include "http/server.h"

namespace plateau::http {

// Queues `data` as one HTTP chunk of `stream`, as Stream::write() does, except that on a server
// connection's stream neither it nor what was queued before it counts towards
// ServerOptions::max_stream_buffer_bytes; what write() queues after it does, on its own. Any other
// Stream (a test's fake) gets a plain write(). False once the stream is closed.
bool writeOwed(Stream& stream, std::string data);

}  // namespace plateau::http
