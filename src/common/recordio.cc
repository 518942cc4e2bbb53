#include "common/recordio.h"

#include <algorithm>

#include <fmt/format.h>

namespace plateau::recordio {
namespace {

// Enough for any 64-bit length; more digits (even leading zeros) mean a corrupt stream.
constexpr size_t kMaxLengthDigits = 20;

}  // namespace

std::string encode(std::string_view record) {
  const fmt::format_int length(record.size());
  std::string out;
  out.reserve(length.size() + 1 + record.size());  // one allocation
  out.append(length.data(), length.size());
  out.push_back('\n');
  out.append(record);
  return out;
}

Decoder::Decoder(size_t max_record_size) : max_record_size_(max_record_size) {}

bool Decoder::atRecordBoundary() const { return state_ == State::kLength && length_digits_ == 0; }

Result<std::vector<std::string>> Decoder::decode(std::string_view chunk) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < chunk.size() && state_ != State::kFailed) {
    if (state_ == State::kLength) {
      char c = chunk[pos++];
      if (c == '\n') {
        if (length_digits_ == 0) {
          error_ = Status(StatusCode::kInvalidArgument, "RecordIO: empty record length");
          state_ = State::kFailed;
          break;
        }
        state_ = State::kRecord;
      } else if (c >= '0' && c <= '9') {
        // The bound is checked per digit, so the accumulator never overflows and an absurd
        // prefix fails before its newline arrives.
        length_ = length_ * 10 + static_cast<uint64_t>(c - '0');
        ++length_digits_;
        if (length_ > max_record_size_ || length_digits_ > kMaxLengthDigits) {
          error_ = Status(StatusCode::kInvalidArgument,
                          fmt::format("RecordIO: record length exceeds the maximum of {} bytes",
                                      max_record_size_));
          state_ = State::kFailed;
          break;
        }
      } else {
        error_ = Status(StatusCode::kInvalidArgument,
                        fmt::format("RecordIO: unexpected byte 0x{:02x} in record length",
                                    static_cast<uint8_t>(c)));
        state_ = State::kFailed;
        break;
      }
    }
    if (state_ == State::kRecord) {
      size_t take = std::min<size_t>(length_ - record_.size(), chunk.size() - pos);
      record_.append(chunk.substr(pos, take));
      pos += take;
      if (record_.size() == length_) {
        records.push_back(std::move(record_));
        record_.clear();
        state_ = State::kLength;
        length_ = 0;
        length_digits_ = 0;
      }
    }
  }
  if (state_ == State::kFailed) {
    return std::unexpected(error_);
  }
  return records;
}

}  // namespace plateau::recordio
