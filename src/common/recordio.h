#pragma once

// Mesos RecordIO framing, as used by the v1 scheduler and executor event streams: each record
// is "<decimal length>\n" followed by exactly that many bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::recordio {

// Frames one record: its length in decimal, a newline, then the bytes.
std::string encode(std::string_view record);

// Default bound on a single record's length; a larger length prefix is an error.
inline constexpr size_t kDefaultMaxRecordSize = 64 * 1024 * 1024;

// Incremental decoder: feed the stream in chunks of any size and collect complete records.
// Invariants: bytes of an incomplete record are buffered until the record completes; after an
// error the decoder is failed for good and keeps returning that error. Not thread-safe.
class Decoder {
 public:
  explicit Decoder(size_t max_record_size = kDefaultMaxRecordSize);

  // Consumes `chunk` and returns the records it completed, in order (possibly none).
  // InvalidArgument if a length prefix holds a non-digit, is empty, or exceeds the maximum.
  Result<std::vector<std::string>> decode(std::string_view chunk);

  // True when the decoder is between records (nothing buffered), e.g. at a clean end of stream.
  bool atRecordBoundary() const;

 private:
  enum class State { kLength, kRecord, kFailed };

  size_t max_record_size_;
  State state_ = State::kLength;
  uint64_t length_ = 0;
  size_t length_digits_ = 0;
  std::string record_;
  Status error_;
};

}  // namespace plateau::recordio
