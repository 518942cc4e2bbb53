// json::Writer and json::stringify().

#include <charconv>
#include <cmath>

#include "common/json.h"
#include "common/utf8.h"

namespace plateau::json {

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
      size_t length = utf8::sequenceLength(pos, end);
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
