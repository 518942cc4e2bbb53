#pragma once

// A small JSON library: a DOM (`json::Value`), a strict RFC 8259 parser, and a streaming
// `json::Writer` that appends to a std::string. Numbers keep the kind they were written in
// (int64, uint64 or double), so 64-bit IDs and counters survive a round trip exactly.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace plateau::json {

class Value;
struct Member;

using Array = std::vector<Value>;
// Members in insertion order. Duplicate keys are kept as parsed; lookups see the last one.
using Object = std::vector<Member>;

enum class Type { kNull, kBool, kInt64, kUint64, kDouble, kString, kArray, kObject };

// One JSON value. Accessors never fail: asking for the wrong kind returns an empty or zero
// value (documented per accessor), so callers check the kind first when it matters.
// Numbers: an integer literal becomes kInt64 when it fits, else kUint64 when it fits, else
// kDouble; a literal with a fraction or exponent is always kDouble.
class Value {
 public:
  // Defined after Member (below): clang instantiates the variant's vector<Member> members
  // where a constructor is defined, and Member must be complete there.
  Value();
  Value(std::nullptr_t);
  Value(bool value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T value);
  Value(double value);
  Value(std::string value);
  Value(std::string_view value);
  Value(const char* value);
  Value(Array value);
  Value(Object value);

  Type type() const { return static_cast<Type>(data_.index()); }
  bool isNull() const { return type() == Type::kNull; }
  bool isBool() const { return type() == Type::kBool; }
  bool isNumber() const {
    return type() == Type::kInt64 || type() == Type::kUint64 || type() == Type::kDouble;
  }
  bool isInt64() const { return type() == Type::kInt64; }
  bool isUint64() const { return type() == Type::kUint64; }
  bool isDouble() const { return type() == Type::kDouble; }
  bool isString() const { return type() == Type::kString; }
  bool isArray() const { return type() == Type::kArray; }
  bool isObject() const { return type() == Type::kObject; }

  // The boolean, or false for any other kind.
  bool asBool() const;
  // Any number converted to double (possibly rounding), or 0 for other kinds.
  double asDouble() const;
  // The number when it is exactly an int64 (integral doubles included), else nullopt.
  std::optional<int64_t> toInt64() const;
  // The number when it is exactly a uint64 (integral doubles included), else nullopt.
  std::optional<uint64_t> toUint64() const;
  // The string, or an empty string for any other kind.
  const std::string& asString() const;
  // The elements, or an empty array for any other kind.
  const Array& asArray() const;
  // The members, or an empty object for any other kind.
  const Object& asObject() const;

  // Elements of an array or members of an object; 0 for other kinds.
  size_t size() const;
  // The member named `key` (the last one if repeated), or nullptr if absent or not an object.
  const Value* find(std::string_view key) const;
  // Like find(), but a null value when absent, so lookups chain: v["a"]["b"].asString().
  const Value& operator[](std::string_view key) const;
  // The element at `index`, or a null value when out of range or not an array.
  const Value& operator[](size_t index) const;

  // Turns this value into an empty array/object unless it already is one, and returns it.
  Array& mutableArray();
  Object& mutableObject();
  // Appends to the array (converting this value to an array first if needed).
  Value& push(Value element);
  // Replaces the member named `key`, or appends it (converting to an object first if needed).
  Value& set(std::string_view key, Value member);

  // Structural equality; numbers compare equal only when of the same kind.
  bool operator==(const Value& other) const;

 private:
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, Array, Object> data_;
};

// One object member: a key and its value.
struct Member {
  std::string key;
  Value value;

  bool operator==(const Member& other) const = default;
};

inline Value::Value() = default;
inline Value::Value(std::nullptr_t) {}
inline Value::Value(bool value) : data_(value) {}
template <std::integral T>
requires(!std::same_as<T, bool>) Value::Value(T value) {
  if constexpr (std::is_signed_v<T>) {
    data_ = static_cast<int64_t>(value);
  } else {
    data_ = static_cast<uint64_t>(value);
  }
}
inline Value::Value(double value) : data_(value) {}
inline Value::Value(std::string value) : data_(std::move(value)) {}
inline Value::Value(std::string_view value) : data_(std::string(value)) {}
inline Value::Value(const char* value) : data_(std::string(value)) {}

struct ParseOptions {
  // Arrays and objects nested deeper than this are an error, so hostile input cannot exhaust
  // the stack.
  size_t max_depth = 128;
};

// Parses one JSON text (RFC 8259: strict grammar, UTF-8 validated, \u escapes with surrogate
// pairs, surrounding whitespace allowed). InvalidArgument with line, column and byte offset
// on malformed input, nesting beyond max_depth, or a number outside double's range.
Result<Value> parse(std::string_view text, const ParseOptions& options = {});

// Streaming writer that appends compact JSON to a caller-owned string. The caller sequences
// calls into a well-formed document (key() before each object member's value); the writer
// only adds separators and escaping. Strings are written as UTF-8, with invalid UTF-8
// sequences replaced by U+FFFD so the output is always valid JSON. Doubles use the shortest
// form that parses back to the same value; integral ones keep a ".0" as Mesos writes them
// ("2.0", "0.5"); NaN and infinities, which JSON cannot express, are written as null.
class Writer {
 public:
  // `out` must outlive the writer; output is appended to it.
  explicit Writer(std::string* out) : out_(out) {}

  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  void key(std::string_view name);

  void null();
  void value(std::nullptr_t) { null(); }
  void value(bool flag);
  void value(double number);
  // Shortest form that parses back to the same float.
  void value(float number);
  void value(std::string_view text);
  void value(const char* text) { value(std::string_view(text)); }
  void value(const std::string& text) { value(std::string_view(text)); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) void value(T number) {
    if constexpr (std::is_signed_v<T>) {
      writeInt64(static_cast<int64_t>(number));
    } else {
      writeUint64(static_cast<uint64_t>(number));
    }
  }
  // Writes a DOM value.
  void value(const Value& dom);
  // Inserts `json`, which must be one complete, valid JSON value, verbatim.
  void rawValue(std::string_view json);

 private:
  void separate();
  void writeInt64(int64_t value);
  void writeUint64(uint64_t value);
  void writeString(std::string_view value);

  std::string* out_;
  bool need_comma_ = false;
};

// Compact JSON text for `value`.
std::string stringify(const Value& value);

}  // namespace plateau::json
