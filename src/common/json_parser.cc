// The strict RFC 8259 parser behind json::parse().

#include <charconv>
#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "common/json.h"
#include "common/utf8.h"

namespace plateau::json {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options)
      : begin_(text.data()),
        pos_(text.data()),
        end_(text.data() + text.size()),
        options_(options) {}

  Result<Value> run() {
    Value value;
    skipWhitespace();
    if (!parseValue(value, 0)) {
      return std::unexpected(error_);
    }
    skipWhitespace();
    if (pos_ != end_) {
      fail("unexpected data after the JSON value");
      return std::unexpected(error_);
    }
    return value;
  }

 private:
  bool fail(std::string_view message) { return failAt(pos_, message); }

  bool failAt(const char* where, std::string_view message) {
    size_t line = 1;
    const char* line_start = begin_;
    for (const char* p = begin_; p < where; ++p) {
      if (*p == '\n') {
        ++line;
        line_start = p + 1;
      }
    }
    error_ = Status(StatusCode::kInvalidArgument,
                    fmt::format("JSON parse error at line {}, column {} (offset {}): {}", line,
                                where - line_start + 1, where - begin_, message));
    return false;
  }

  void skipWhitespace() {
    while (pos_ < end_ && (*pos_ == ' ' || *pos_ == '\n' || *pos_ == '\r' || *pos_ == '\t')) {
      ++pos_;
    }
  }

  bool consumeLiteral(std::string_view literal) {
    if (static_cast<size_t>(end_ - pos_) < literal.size() ||
        std::string_view(pos_, literal.size()) != literal) {
      return fail("invalid literal");
    }
    pos_ += literal.size();
    return true;
  }

  bool parseValue(Value& out, size_t depth) {
    if (pos_ == end_) {
      return fail("unexpected end of input, expected a value");
    }
    switch (*pos_) {
      case '{':
        return parseObject(out, depth + 1);
      case '[':
        return parseArray(out, depth + 1);
      case '"': {
        std::string text;
        if (!parseString(text)) {
          return false;
        }
        out = Value(std::move(text));
        return true;
      }
      case 't':
        out = Value(true);
        return consumeLiteral("true");
      case 'f':
        out = Value(false);
        return consumeLiteral("false");
      case 'n':
        out = Value();
        return consumeLiteral("null");
      default:
        if (*pos_ == '-' || (*pos_ >= '0' && *pos_ <= '9')) {
          return parseNumber(out);
        }
        return fail(fmt::format("unexpected character '{}'", printable(*pos_)));
    }
  }

  static std::string printable(char c) {
    auto byte = static_cast<uint8_t>(c);
    if (byte >= 0x20 && byte < 0x7F) {
      return std::string(1, c);
    }
    return fmt::format("\\x{:02x}", byte);
  }

  bool enter(size_t depth) {
    if (depth > options_.max_depth) {
      return fail(fmt::format("nesting deeper than {} levels", options_.max_depth));
    }
    ++pos_;
    skipWhitespace();
    return true;
  }

  bool parseObject(Value& out, size_t depth) {
    if (!enter(depth)) {
      return false;
    }
    Object& members = out.mutableObject();
    if (pos_ < end_ && *pos_ == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      if (pos_ == end_ || *pos_ != '"') {
        return fail("expected a string key in object");
      }
      Member& member = members.emplace_back();
      if (!parseString(member.key)) {
        return false;
      }
      skipWhitespace();
      if (pos_ == end_ || *pos_ != ':') {
        return fail("expected ':' after object key");
      }
      ++pos_;
      skipWhitespace();
      if (!parseValue(member.value, depth)) {
        return false;
      }
      skipWhitespace();
      if (pos_ < end_ && *pos_ == ',') {
        ++pos_;
        skipWhitespace();
        continue;
      }
      if (pos_ < end_ && *pos_ == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' in object");
    }
  }

  bool parseArray(Value& out, size_t depth) {
    if (!enter(depth)) {
      return false;
    }
    Array& elements = out.mutableArray();
    if (pos_ < end_ && *pos_ == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      if (!parseValue(elements.emplace_back(), depth)) {
        return false;
      }
      skipWhitespace();
      if (pos_ < end_ && *pos_ == ',') {
        ++pos_;
        skipWhitespace();
        continue;
      }
      if (pos_ < end_ && *pos_ == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in array");
    }
  }

  bool parseHex4(uint32_t& out) {
    if (end_ - pos_ < 4) {
      return fail("truncated \\u escape");
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *pos_;
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return fail("invalid hex digit in \\u escape");
      }
      out = out << 4 | digit;
      ++pos_;
    }
    return true;
  }

  // At a backslash inside a string: appends the escaped character(s).
  bool parseEscape(std::string& out) {
    const char* start = pos_;
    ++pos_;
    if (pos_ == end_) {
      return fail("unterminated string");
    }
    char c = *pos_++;
    switch (c) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        return failAt(start, "invalid escape sequence");
    }
    uint32_t code_point = 0;
    if (!parseHex4(code_point)) {
      return false;
    }
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      return failAt(start, "unpaired low surrogate in \\u escape");
    }
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      if (end_ - pos_ < 2 || pos_[0] != '\\' || pos_[1] != 'u') {
        return failAt(start, "unpaired high surrogate in \\u escape");
      }
      pos_ += 2;
      uint32_t low = 0;
      if (!parseHex4(low)) {
        return false;
      }
      if (low < 0xDC00 || low > 0xDFFF) {
        return failAt(start, "high surrogate not followed by a low surrogate");
      }
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    utf8::appendCodePoint(out, code_point);
    return true;
  }

  // At an opening quote: parses the string into `out`.
  bool parseString(std::string& out) {
    ++pos_;
    while (true) {
      // Copy the run of bytes that need no attention in one go.
      const char* run = pos_;
      while (pos_ < end_) {
        auto byte = static_cast<uint8_t>(*pos_);
        if (byte == '"' || byte == '\\' || byte < 0x20 || byte >= 0x80) {
          break;
        }
        ++pos_;
      }
      out.append(run, pos_);
      if (pos_ == end_) {
        return fail("unterminated string");
      }
      auto byte = static_cast<uint8_t>(*pos_);
      if (byte == '"') {
        ++pos_;
        return true;
      }
      if (byte == '\\') {
        if (!parseEscape(out)) {
          return false;
        }
      } else if (byte < 0x20) {
        return fail("unescaped control character in string");
      } else {
        size_t length = utf8::sequenceLength(pos_, end_);
        if (length == 0) {
          return fail("invalid UTF-8 in string");
        }
        out.append(pos_, length);
        pos_ += length;
      }
    }
  }

  bool parseNumber(Value& out) {
    const char* start = pos_;
    bool negative = false;
    if (*pos_ == '-') {
      negative = true;
      ++pos_;
    }
    if (pos_ == end_ || *pos_ < '0' || *pos_ > '9') {
      return fail("expected a digit");
    }
    uint64_t magnitude = 0;
    bool overflow = false;
    if (*pos_ == '0') {
      ++pos_;
    } else {
      while (pos_ < end_ && *pos_ >= '0' && *pos_ <= '9') {
        auto digit = static_cast<uint64_t>(*pos_ - '0');
        if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
          overflow = true;
        } else if (!overflow) {
          magnitude = magnitude * 10 + digit;
        }
        ++pos_;
      }
    }
    bool integral = true;
    if (pos_ < end_ && *pos_ == '.') {
      integral = false;
      ++pos_;
      if (pos_ == end_ || *pos_ < '0' || *pos_ > '9') {
        return fail("expected a digit after the decimal point");
      }
      while (pos_ < end_ && *pos_ >= '0' && *pos_ <= '9') {
        ++pos_;
      }
    }
    if (pos_ < end_ && (*pos_ == 'e' || *pos_ == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < end_ && (*pos_ == '+' || *pos_ == '-')) {
        ++pos_;
      }
      if (pos_ == end_ || *pos_ < '0' || *pos_ > '9') {
        return fail("expected a digit in the exponent");
      }
      while (pos_ < end_ && *pos_ >= '0' && *pos_ <= '9') {
        ++pos_;
      }
    }

    if (integral && !overflow) {
      constexpr auto kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      if (!negative) {
        out = magnitude <= kInt64Max ? Value(static_cast<int64_t>(magnitude)) : Value(magnitude);
        return true;
      }
      if (magnitude <= kInt64Max + 1) {
        // Negate in unsigned arithmetic so that -2^63 does not overflow.
        out = Value(static_cast<int64_t>(~magnitude + 1));
        return true;
      }
    }
    double number = 0;
    auto [end, ec] = std::from_chars(start, pos_, number);
    if (ec != std::errc() || end != pos_) {
      return failAt(start, "number out of range");
    }
    out = Value(number);
    return true;
  }

  const char* begin_;
  const char* pos_;
  const char* end_;
  const ParseOptions& options_;
  Status error_;
};

}  // namespace

Result<Value> parse(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).run();
}

}  // namespace plateau::json
