// URL and zk:// parsing: ZooKeeper URLs (zk://user:password@host:port,host:port/path) with what
// parsed written back and parsed again, and the HTTP layer's URL decoding and encoding.

#include <cstdlib>

#include "http/message.h"
#include "tests/fuzz/fuzz_input.h"
#include "zookeeper/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = plateau::fuzz::text(data, size);
  if (auto url = plateau::zk::Url::parse(input)) {
    // toString() leaves the password out (it is for logs); without credentials it parses
    // back to the same servers and path.
    plateau::zk::Url bare = *url;
    bare.credentials.reset();
    auto again = plateau::zk::Url::parse(bare.toString());
    if (!again || again->servers != url->servers || again->path != url->path) {
      plateau::fuzz::fail("toString() does not parse to the same URL:", bare.toString());
    }
  }
  std::string text(input);
  (void)plateau::http::urlDecode(text);
  if (plateau::http::urlDecode(plateau::http::urlEncode(text)) != text) {
    plateau::fuzz::fail("urlDecode(urlEncode(s)) != s");
  }
  return 0;
}
