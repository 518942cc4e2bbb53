// The HTTP request parser as src/http/server.cc runs it: Beast's request_parser with the
// server's header and body limits, fed the input in pieces (sizes from the first byte); a
// complete request becomes an http::Request by the server's requestHead, whose query parameters,
// headers and (for a POST) v1 scheduler Call body are then read as the handlers read them.

#include <mesos/v1/scheduler/scheduler.pb.h>

#include <boost/beast/http.hpp>

#include "http/content.h"
#include "http/message.h"
#include "http/request_head.h"
#include "tests/fuzz/fuzz_input.h"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  size_t piece = 1 + data[0] % 64;
  auto input = plateau::fuzz::text(data + 1, size - 1);
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  parser.header_limit(64 * 1024);
  parser.eager(true);
  std::string buffer;
  boost::beast::error_code ec;
  for (size_t at = 0; at < input.size() && !parser.is_done();) {
    size_t take = std::min(piece, input.size() - at);
    buffer.append(input.substr(at, take));
    at += take;
    size_t used = parser.put(boost::asio::buffer(buffer), ec);
    if (ec == bhttp::error::need_more) {
      ec = {};
    } else if (ec) {
      return 0;
    }
    buffer.erase(0, used);
  }
  if (!parser.is_done()) {
    // The end of the stream (Beast asks that some input came first, as its reads ensure).
    if (!parser.got_some()) {
      return 0;
    }
    parser.put_eof(ec);
    if (ec || !parser.is_done()) {
      return 0;
    }
  }
  auto msg = parser.release();
  plateau::http::Request request = plateau::http::requestHead(msg);
  request.body = std::move(msg.body());
  (void)request.queryParam("limit");
  (void)request.header("content-type");
  (void)plateau::http::urlDecode(request.path);
  (void)plateau::http::acceptType(request);
  mesos::v1::scheduler::Call call;
  (void)plateau::http::decodeCall(request, &call);
  return 0;
}
