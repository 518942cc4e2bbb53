// RecordIO framing: the decoder fed the input in chunks (sizes from the first byte), with a
// small record limit; no record may exceed the limit, and what was decoded re-encodes to input
// that decodes cleanly.

#include <cstdlib>

#include "common/recordio.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  size_t chunk = 1 + data[0] % 16;
  auto input = plateau::fuzz::text(data + 1, size - 1);
  plateau::recordio::Decoder decoder(4096);
  std::string seen;
  for (size_t at = 0; at < input.size(); at += chunk) {
    auto records = decoder.decode(input.substr(at, chunk));
    if (!records) {
      return 0;
    }
    for (const auto& record : *records) {
      if (record.size() > 4096) {
        plateau::fuzz::fail("a record over the limit");
      }
      seen += plateau::recordio::encode(record);
    }
  }
  // Whatever was decoded, re-encoded, decodes again to the same records.
  plateau::recordio::Decoder again(4096);
  auto records = again.decode(seen);
  if (!records || !again.atRecordBoundary()) {
    plateau::fuzz::fail("re-encoded records do not decode");
  }
  return 0;
}
