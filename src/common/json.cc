#include "common/json.h"

#include <cmath>
#include <limits>

namespace plateau::json {
namespace {

const Value& nullValue() {
  static const Value kNull;
  return kNull;
}

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

}  // namespace plateau::json
