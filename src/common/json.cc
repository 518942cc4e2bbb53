#include "common/json.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include <fmt/format.h>

namespace plateau::json {
namespace {

const Value& nullValue() {
  static const Value kNull;
  return kNull;
}

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF) starting at `p`, or 0 if the bytes there are not one.
size_t utf8SequenceLength(const char* p, const char* end) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(p[i]); };
  auto continuation = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
  size_t available = static_cast<size_t>(end - p);
  uint8_t lead = byte(0);
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    return available >= 2 && continuation(1) ? 2 : 0;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (available < 3 || !continuation(1) || !continuation(2)) {
      return 0;
    }
    if ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F)) {
      return 0;
    }
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (available < 4 || !continuation(1) || !continuation(2) || !continuation(3)) {
      return 0;
    }
    if ((lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) > 0x8F)) {
      return 0;
    }
    return 4;
  }
  return 0;
}

void appendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

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
    appendUtf8(out, code_point);
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
        size_t length = utf8SequenceLength(pos_, end_);
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

Value::Value(Array value) : data_(std::move(value)) {}

Value::Value(Object value) : data_(std::move(value)) {}

bool Value::asBool() const {
  const bool* flag = std::get_if<bool>(&data_);
  return flag != nullptr && *flag;
}

double Value::asDouble() const {
  switch (type()) {
    case Type::kInt64:
      return static_cast<double>(std::get<int64_t>(data_));
    case Type::kUint64:
      return static_cast<double>(std::get<uint64_t>(data_));
    case Type::kDouble:
      return std::get<double>(data_);
    default:
      return 0;
  }
}

std::optional<int64_t> Value::toInt64() const {
  switch (type()) {
    case Type::kInt64:
      return std::get<int64_t>(data_);
    case Type::kUint64: {
      uint64_t number = std::get<uint64_t>(data_);
      if (number <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return static_cast<int64_t>(number);
      }
      return std::nullopt;
    }
    case Type::kDouble: {
      double number = std::get<double>(data_);
      // 2^63 is exactly representable; the range is [-2^63, 2^63).
      if (std::trunc(number) == number && number >= -0x1p63 && number < 0x1p63) {
        return static_cast<int64_t>(number);
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::optional<uint64_t> Value::toUint64() const {
  switch (type()) {
    case Type::kInt64: {
      int64_t number = std::get<int64_t>(data_);
      if (number >= 0) {
        return static_cast<uint64_t>(number);
      }
      return std::nullopt;
    }
    case Type::kUint64:
      return std::get<uint64_t>(data_);
    case Type::kDouble: {
      double number = std::get<double>(data_);
      if (std::trunc(number) == number && number >= 0 && number < 0x1p64) {
        return static_cast<uint64_t>(number);
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

const std::string& Value::asString() const {
  static const std::string kEmpty;
  const std::string* text = std::get_if<std::string>(&data_);
  return text != nullptr ? *text : kEmpty;
}

const Array& Value::asArray() const {
  static const Array kEmpty;
  const Array* elements = std::get_if<Array>(&data_);
  return elements != nullptr ? *elements : kEmpty;
}

const Object& Value::asObject() const {
  static const Object kEmpty;
  const Object* members = std::get_if<Object>(&data_);
  return members != nullptr ? *members : kEmpty;
}

size_t Value::size() const {
  if (const Array* elements = std::get_if<Array>(&data_)) {
    return elements->size();
  }
  if (const Object* members = std::get_if<Object>(&data_)) {
    return members->size();
  }
  return 0;
}

const Value* Value::find(std::string_view key) const {
  const Object* members = std::get_if<Object>(&data_);
  if (members == nullptr) {
    return nullptr;
  }
  for (auto it = members->rbegin(); it != members->rend(); ++it) {
    if (it->key == key) {
      return &it->value;
    }
  }
  return nullptr;
}

const Value& Value::operator[](std::string_view key) const {
  const Value* member = find(key);
  return member != nullptr ? *member : nullValue();
}

const Value& Value::operator[](size_t index) const {
  const Array* elements = std::get_if<Array>(&data_);
  if (elements == nullptr || index >= elements->size()) {
    return nullValue();
  }
  return (*elements)[index];
}

Array& Value::mutableArray() {
  if (!isArray()) {
    data_ = Array();
  }
  return std::get<Array>(data_);
}

Object& Value::mutableObject() {
  if (!isObject()) {
    data_ = Object();
  }
  return std::get<Object>(data_);
}

Value& Value::push(Value element) { return mutableArray().emplace_back(std::move(element)); }

Value& Value::set(std::string_view key, Value member) {
  Object& members = mutableObject();
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) {
      it->value = std::move(member);
      return it->value;
    }
  }
  return members.emplace_back(Member{std::string(key), std::move(member)}).value;
}

bool Value::operator==(const Value& other) const { return data_ == other.data_; }

Result<Value> parse(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).run();
}

void Writer::separate() {
  if (need_comma_) {
    out_->push_back(',');
  }
  need_comma_ = true;
}

void Writer::beginObject() {
  separate();
  out_->push_back('{');
  need_comma_ = false;
}

void Writer::endObject() {
  out_->push_back('}');
  need_comma_ = true;
}

void Writer::beginArray() {
  separate();
  out_->push_back('[');
  need_comma_ = false;
}

void Writer::endArray() {
  out_->push_back(']');
  need_comma_ = true;
}

void Writer::key(std::string_view name) {
  separate();
  writeString(name);
  out_->push_back(':');
  need_comma_ = false;
}

void Writer::null() {
  separate();
  out_->append("null");
}

void Writer::value(bool flag) {
  separate();
  out_->append(flag ? "true" : "false");
}

namespace {

// Appends the shortest round-trip form of a finite number, keeping a ".0" on integral values
// as Mesos does, and preferring plain digits to an exponent below 2^53.
template <class Float>
void appendFloat(std::string& out, Float number) {
  char buffer[64];
  std::to_chars_result result;
  bool integral = std::trunc(number) == number;
  if (integral && std::fabs(number) < static_cast<Float>(0x1p53)) {
    result = std::to_chars(buffer, buffer + sizeof(buffer), number, std::chars_format::fixed);
  } else {
    result = std::to_chars(buffer, buffer + sizeof(buffer), number);
  }
  std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) {
    out.append(".0");
  }
}

}  // namespace

void Writer::value(double number) {
  separate();
  if (!std::isfinite(number)) {
    out_->append("null");
    return;
  }
  appendFloat(*out_, number);
}

void Writer::value(float number) {
  separate();
  if (!std::isfinite(number)) {
    out_->append("null");
    return;
  }
  appendFloat(*out_, number);
}

void Writer::value(std::string_view text) {
  separate();
  writeString(text);
}

void Writer::writeInt64(int64_t number) {
  separate();
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), number);
  out_->append(buffer, result.ptr);
}

void Writer::writeUint64(uint64_t number) {
  separate();
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), number);
  out_->append(buffer, result.ptr);
}

void Writer::writeString(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string& out = *out_;
  out.push_back('"');
  const char* pos = text.data();
  const char* end = pos + text.size();
  while (pos < end) {
    const char* run = pos;
    while (pos < end) {
      auto byte = static_cast<uint8_t>(*pos);
      if (byte == '"' || byte == '\\' || byte < 0x20 || byte >= 0x80) {
        break;
      }
      ++pos;
    }
    out.append(run, pos);
    if (pos == end) {
      break;
    }
    auto byte = static_cast<uint8_t>(*pos);
    if (byte >= 0x80) {
      size_t length = utf8SequenceLength(pos, end);
      if (length == 0) {
        out.append("\xEF\xBF\xBD");
        ++pos;
      } else {
        out.append(pos, length);
        pos += length;
      }
      continue;
    }
    ++pos;
    switch (byte) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xF]);
        break;
    }
  }
  out.push_back('"');
}

void Writer::value(const Value& dom) {
  switch (dom.type()) {
    case Type::kNull:
      null();
      return;
    case Type::kBool:
      value(dom.asBool());
      return;
    case Type::kInt64:
      writeInt64(*dom.toInt64());
      return;
    case Type::kUint64:
      writeUint64(*dom.toUint64());
      return;
    case Type::kDouble:
      value(dom.asDouble());
      return;
    case Type::kString:
      value(std::string_view(dom.asString()));
      return;
    case Type::kArray:
      beginArray();
      for (const Value& element : dom.asArray()) {
        value(element);
      }
      endArray();
      return;
    case Type::kObject:
      beginObject();
      for (const Member& member : dom.asObject()) {
        key(member.key);
        value(member.value);
      }
      endObject();
      return;
  }
}

void Writer::rawValue(std::string_view json) {
  separate();
  out_->append(json);
}

std::string stringify(const Value& value) {
  std::string out;
  Writer writer(&out);
  writer.value(value);
  return out;
}

}  // namespace plateau::json
