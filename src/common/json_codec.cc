#include "common/json_codec.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/message.h>

#include "common/base64.h"

namespace plateau {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// ---- Writing -------------------------------------------------------------------------------

// Mesos prints unset optional fields that declare a default, except deprecated ones.
bool shouldWrite(const Message& message, const Reflection& reflection,
                 const FieldDescriptor& field) {
  if (field.is_repeated()) {
    return reflection.FieldSize(message, &field) > 0;
  }
  return reflection.HasField(message, &field) ||
         (field.has_default_value() && !field.options().deprecated());
}

void writeEnum(json::Writer& writer, const FieldDescriptor& field, int number) {
  // Closed (proto2) enums only ever hold known values; an open enum may not, and then the
  // number is all there is to write.
  const EnumValueDescriptor* value = field.enum_type()->FindValueByNumber(number);
  if (value != nullptr) {
    writer.value(value->name());
  } else {
    writer.value(number);
  }
}

void writeString(json::Writer& writer, const FieldDescriptor& field, const std::string& text) {
  if (field.type() == FieldDescriptor::TYPE_BYTES) {
    writer.value(base64::encode(text));
  } else {
    writer.value(text);
  }
}

void writeSingular(json::Writer& writer, const Message& message, const Reflection& reflection,
                   const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      writer.value(reflection.GetInt32(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      writer.value(reflection.GetInt64(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      writer.value(reflection.GetUInt32(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      writer.value(reflection.GetUInt64(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      writer.value(reflection.GetDouble(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      writer.value(reflection.GetFloat(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      writer.value(reflection.GetBool(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      writeEnum(writer, field, reflection.GetEnumValue(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      writeString(writer, field, reflection.GetStringReference(message, &field, &scratch));
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      writeJson(writer, reflection.GetMessage(message, &field));
      return;
  }
}

void writeElement(json::Writer& writer, const Message& message, const Reflection& reflection,
                  const FieldDescriptor& field, int index) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      writer.value(reflection.GetRepeatedInt32(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      writer.value(reflection.GetRepeatedInt64(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      writer.value(reflection.GetRepeatedUInt32(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      writer.value(reflection.GetRepeatedUInt64(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      writer.value(reflection.GetRepeatedDouble(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      writer.value(reflection.GetRepeatedFloat(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      writer.value(reflection.GetRepeatedBool(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      writeEnum(writer, field, reflection.GetRepeatedEnumValue(message, &field, index));
      return;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      writeString(writer, field,
                  reflection.GetRepeatedStringReference(message, &field, index, &scratch));
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      writeJson(writer, reflection.GetRepeatedMessage(message, &field, index));
      return;
  }
}

// ---- Reading -------------------------------------------------------------------------------

std::string_view kindName(const json::Value& value) {
  switch (value.type()) {
    case json::Type::kNull:
      return "null";
    case json::Type::kBool:
      return "a boolean";
    case json::Type::kInt64:
    case json::Type::kUint64:
    case json::Type::kDouble:
      return "a number";
    case json::Type::kString:
      return "a string";
    case json::Type::kArray:
      return "an array";
    case json::Type::kObject:
      return "an object";
  }
  return "a value";
}

// Input echoed into an error message, cut short so a hostile megabyte does not come back in
// every error response. Cuts at a UTF-8 boundary so the message stays valid UTF-8.
std::string excerpt(std::string_view text) {
  constexpr size_t kMaxEcho = 64;
  if (text.size() <= kMaxEcho) {
    return std::string(text);
  }
  size_t cut = kMaxEcho;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return fmt::format("{}...", text.substr(0, cut));
}

std::string excerptOf(const json::Value& value) { return excerpt(json::stringify(value)); }

// Why a value could not be converted; the reader adds the field path.
struct Mismatch {
  std::string reason;
};

template <class T>
using Converted = std::expected<T, Mismatch>;

std::unexpected<Mismatch> expected(std::string_view what, const json::Value& value) {
  return std::unexpected(Mismatch{fmt::format("expected {}, got {}", what, kindName(value))});
}

std::unexpected<Mismatch> outOfRange(std::string_view type, std::string_view text) {
  return std::unexpected(Mismatch{fmt::format("{} is out of range for {}", excerpt(text), type)});
}

template <class T>
std::optional<T> parseDecimal(std::string_view text) {
  T number{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return number;
}

// Integers arrive as numbers (integral doubles included) or, as Mesos and protobuf's own
// mapping allow for 64-bit IDs, as decimal strings.
template <class T>
Converted<T> toInteger(const json::Value& value, std::string_view type) {
  if (value.isString()) {
    const std::string& text = value.asString();
    // Parse wider than T first, so "3000000000" for an int32 reports range, not syntax.
    if constexpr (std::is_signed_v<T>) {
      auto wide = parseDecimal<int64_t>(text);
      if (!wide) {
        if (parseDecimal<uint64_t>(text)) {
          return outOfRange(type, text);
        }
        return std::unexpected(
            Mismatch{fmt::format("'{}' is not a decimal integer", excerpt(text))});
      }
      if (*wide < std::numeric_limits<T>::min() || *wide > std::numeric_limits<T>::max()) {
        return outOfRange(type, text);
      }
      return static_cast<T>(*wide);
    } else {
      auto wide = parseDecimal<uint64_t>(text);
      if (!wide) {
        if (parseDecimal<int64_t>(text)) {
          return outOfRange(type, text);
        }
        return std::unexpected(
            Mismatch{fmt::format("'{}' is not a decimal integer", excerpt(text))});
      }
      if (*wide > std::numeric_limits<T>::max()) {
        return outOfRange(type, text);
      }
      return static_cast<T>(*wide);
    }
  }
  if (!value.isNumber()) {
    return expected("an integer", value);
  }
  if (value.isDouble() && std::trunc(value.asDouble()) != value.asDouble()) {
    return std::unexpected(Mismatch{fmt::format("{} is not an integer", excerptOf(value))});
  }
  if constexpr (std::is_signed_v<T>) {
    auto wide = value.toInt64();
    if (!wide || *wide < std::numeric_limits<T>::min() || *wide > std::numeric_limits<T>::max()) {
      return outOfRange(type, excerptOf(value));
    }
    return static_cast<T>(*wide);
  } else {
    auto wide = value.toUint64();
    if (!wide || *wide > std::numeric_limits<T>::max()) {
      return outOfRange(type, excerptOf(value));
    }
    return static_cast<T>(*wide);
  }
}

Converted<double> toDouble(const json::Value& value) {
  if (value.isNumber()) {
    return value.asDouble();
  }
  if (value.isString()) {
    // from_chars also takes "inf" and "nan", which JSON numbers cannot carry.
    if (auto number = parseDecimal<double>(value.asString())) {
      return *number;
    }
    return std::unexpected(
        Mismatch{fmt::format("'{}' is not a number", excerpt(value.asString()))});
  }
  return expected("a number", value);
}

Converted<float> toFloat(const json::Value& value) {
  auto number = toDouble(value);
  if (!number) {
    return std::unexpected(number.error());
  }
  if (std::isfinite(*number) && std::fabs(*number) > std::numeric_limits<float>::max()) {
    return outOfRange("float", excerptOf(value));
  }
  return static_cast<float>(*number);
}

// The enum value named or numbered by `value`, nullptr when the enum has no such value.
Converted<const EnumValueDescriptor*> toEnum(const json::Value& value,
                                             const FieldDescriptor& field) {
  if (value.isString()) {
    const std::string& text = value.asString();
    if (const EnumValueDescriptor* named = field.enum_type()->FindValueByName(text)) {
      return named;
    }
    if (auto number = parseDecimal<int32_t>(text)) {
      return field.enum_type()->FindValueByNumber(*number);
    }
    return nullptr;
  }
  if (value.isNumber()) {
    auto number = toInteger<int32_t>(value, "an enum");
    if (!number) {
      return std::unexpected(number.error());
    }
    return field.enum_type()->FindValueByNumber(*number);
  }
  return expected("an enum name", value);
}

class Reader {
 public:
  Status readMessage(const json::Value& value, Message* message) {
    if (!value.isObject()) {
      return fail(fmt::format("expected an object for {}, got {}", message->GetTypeName(),
                              kindName(value)));
    }
    const Descriptor* descriptor = message->GetDescriptor();
    for (const json::Member& member : value.asObject()) {
      const FieldDescriptor* field = descriptor->FindFieldByName(member.key);
      if (field == nullptr || member.value.isNull()) {
        continue;
      }
      path_.push_back({field, -1});
      Status status = readField(member.value, message, *field);
      path_.pop_back();
      if (!status.isOk()) {
        return status;
      }
    }
    return Status::ok();
  }

 private:
  struct PathElement {
    const FieldDescriptor* field;
    int index;
  };

  Status readField(const json::Value& value, Message* message, const FieldDescriptor& field) {
    if (field.is_map() && value.isObject()) {
      // A map arrives as a JSON object keyed by the map's keys (Mesos's form).
      const Reflection& reflection = *message->GetReflection();
      for (const json::Member& member : value.asObject()) {
        Message* entry = reflection.AddMessage(message, &field);
        const FieldDescriptor& key = *entry->GetDescriptor()->map_key();
        const FieldDescriptor& mapped = *entry->GetDescriptor()->map_value();
        Status status = readValue(json::Value(member.key), entry, key);
        if (status.isOk()) {
          status = readValue(member.value, entry, mapped);
        }
        if (!status.isOk()) {
          return status;
        }
      }
      return Status::ok();
    }
    if (!field.is_repeated()) {
      if (value.isArray()) {
        return fail(fmt::format("expected {}, got an array", describe(field)));
      }
      return readValue(value, message, field);
    }
    if (!value.isArray()) {
      // Mesos takes a lone value for a repeated field as a one-element list.
      return readValue(value, message, field);
    }
    const json::Array& elements = value.asArray();
    for (size_t i = 0; i < elements.size(); ++i) {
      if (elements[i].isNull()) {
        continue;
      }
      path_.back().index = static_cast<int>(i);
      Status status = readValue(elements[i], message, field);
      if (!status.isOk()) {
        return status;
      }
    }
    return Status::ok();
  }

  // Sets a singular field or appends one element to a repeated one.
  Status readValue(const json::Value& value, Message* message, const FieldDescriptor& field) {
    const Reflection& reflection = *message->GetReflection();
    const bool repeated = field.is_repeated();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return store(toInteger<int32_t>(value, "int32"), [&](int32_t number) {
          repeated ? reflection.AddInt32(message, &field, number)
                   : reflection.SetInt32(message, &field, number);
        });
      case FieldDescriptor::CPPTYPE_INT64:
        return store(toInteger<int64_t>(value, "int64"), [&](int64_t number) {
          repeated ? reflection.AddInt64(message, &field, number)
                   : reflection.SetInt64(message, &field, number);
        });
      case FieldDescriptor::CPPTYPE_UINT32:
        return store(toInteger<uint32_t>(value, "uint32"), [&](uint32_t number) {
          repeated ? reflection.AddUInt32(message, &field, number)
                   : reflection.SetUInt32(message, &field, number);
        });
      case FieldDescriptor::CPPTYPE_UINT64:
        return store(toInteger<uint64_t>(value, "uint64"), [&](uint64_t number) {
          repeated ? reflection.AddUInt64(message, &field, number)
                   : reflection.SetUInt64(message, &field, number);
        });
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return store(toDouble(value), [&](double number) {
          repeated ? reflection.AddDouble(message, &field, number)
                   : reflection.SetDouble(message, &field, number);
        });
      case FieldDescriptor::CPPTYPE_FLOAT:
        return store(toFloat(value), [&](float number) {
          repeated ? reflection.AddFloat(message, &field, number)
                   : reflection.SetFloat(message, &field, number);
        });
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!value.isBool()) {
          return fail(expected("a boolean", value).error().reason);
        }
        repeated ? reflection.AddBool(message, &field, value.asBool())
                 : reflection.SetBool(message, &field, value.asBool());
        return Status::ok();
      case FieldDescriptor::CPPTYPE_ENUM:
        return readEnum(value, message, field);
      case FieldDescriptor::CPPTYPE_STRING:
        return readString(value, message, field);
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (!value.isObject()) {
          return fail(expected("an object", value).error().reason);
        }
        Message* child = repeated ? reflection.AddMessage(message, &field)
                                  : reflection.MutableMessage(message, &field);
        return readMessage(value, child);
      }
    }
    return fail("unsupported field type");
  }

  Status readEnum(const json::Value& value, Message* message, const FieldDescriptor& field) {
    auto converted = toEnum(value, field);
    if (!converted) {
      return fail(converted.error().reason);
    }
    const EnumValueDescriptor* enum_value = *converted;
    if (enum_value == nullptr) {
      // proto2 drops unknown values of optional and repeated enums on parse; Mesos does the
      // same in JSON, so newer clients can send values an older master does not know.
      if (field.is_required()) {
        return fail(fmt::format("unknown value {} for enum {}", excerptOf(value),
                                field.enum_type()->full_name()));
      }
      return Status::ok();
    }
    const Reflection& reflection = *message->GetReflection();
    field.is_repeated() ? reflection.AddEnum(message, &field, enum_value)
                        : reflection.SetEnum(message, &field, enum_value);
    return Status::ok();
  }

  Status readString(const json::Value& value, Message* message, const FieldDescriptor& field) {
    if (!value.isString()) {
      return fail(expected("a string", value).error().reason);
    }
    std::string text;
    if (field.type() == FieldDescriptor::TYPE_BYTES) {
      auto decoded = base64::decode(value.asString());
      if (!decoded) {
        return fail(decoded.error().message());
      }
      text = std::move(*decoded);
    } else {
      text = value.asString();
    }
    const Reflection& reflection = *message->GetReflection();
    field.is_repeated() ? reflection.AddString(message, &field, std::move(text))
                        : reflection.SetString(message, &field, std::move(text));
    return Status::ok();
  }

  template <class T, class Apply>
  Status store(const Converted<T>& converted, Apply&& apply) {
    if (!converted) {
      return fail(converted.error().reason);
    }
    apply(*converted);
    return Status::ok();
  }

  static std::string describe(const FieldDescriptor& field) {
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return "an object";
    }
    return fmt::format("a single {}", field.type_name());
  }

  std::string pathString() const {
    std::string path;
    for (const PathElement& element : path_) {
      if (!path.empty()) {
        path += '.';
      }
      path += element.field->name();
      if (element.index >= 0) {
        path += fmt::format("[{}]", element.index);
      }
    }
    return path;
  }

  Status fail(std::string_view reason) const {
    if (path_.empty()) {
      return Status(StatusCode::kInvalidArgument, fmt::format("Invalid JSON: {}", reason));
    }
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("Invalid value for field '{}': {}", pathString(), reason));
  }

  std::vector<PathElement> path_;
};

}  // namespace

void writeJson(json::Writer& writer, const Message& message) {
  const Descriptor* descriptor = message.GetDescriptor();
  const Reflection& reflection = *message.GetReflection();
  writer.beginObject();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor& field = *descriptor->field(i);
    if (!shouldWrite(message, reflection, field)) {
      continue;
    }
    writer.key(field.name());
    if (!field.is_repeated()) {
      writeSingular(writer, message, reflection, field);
      continue;
    }
    if (field.is_map()) {
      // As Mesos (stout) prints maps: a JSON object keyed by the map's keys.
      writer.beginObject();
      int size = reflection.FieldSize(message, &field);
      for (int index = 0; index < size; ++index) {
        const Message& entry = reflection.GetRepeatedMessage(message, &field, index);
        const Reflection& entry_reflection = *entry.GetReflection();
        const FieldDescriptor& key = *entry.GetDescriptor()->map_key();
        const FieldDescriptor& value = *entry.GetDescriptor()->map_value();
        std::string name;
        switch (key.cpp_type()) {
          case FieldDescriptor::CPPTYPE_STRING:
            name = entry_reflection.GetString(entry, &key);
            break;
          case FieldDescriptor::CPPTYPE_INT32:
            name = std::to_string(entry_reflection.GetInt32(entry, &key));
            break;
          case FieldDescriptor::CPPTYPE_INT64:
            name = std::to_string(entry_reflection.GetInt64(entry, &key));
            break;
          case FieldDescriptor::CPPTYPE_UINT32:
            name = std::to_string(entry_reflection.GetUInt32(entry, &key));
            break;
          case FieldDescriptor::CPPTYPE_UINT64:
            name = std::to_string(entry_reflection.GetUInt64(entry, &key));
            break;
          case FieldDescriptor::CPPTYPE_BOOL:
            name = entry_reflection.GetBool(entry, &key) ? "true" : "false";
            break;
          default:
            break;
        }
        writer.key(name);
        writeSingular(writer, entry, entry_reflection, value);
      }
      writer.endObject();
      continue;
    }
    writer.beginArray();
    int size = reflection.FieldSize(message, &field);
    for (int index = 0; index < size; ++index) {
      writeElement(writer, message, reflection, field, index);
    }
    writer.endArray();
  }
  writer.endObject();
}

std::string toJson(const Message& message) {
  std::string out;
  json::Writer writer(&out);
  writeJson(writer, message);
  return out;
}

Status fromJson(const json::Value& value, Message* message) {
  message->Clear();
  Status status = Reader().readMessage(value, message);
  if (!status.isOk()) {
    return status;
  }
  std::vector<std::string> missing;
  message->FindInitializationErrors(&missing);
  if (missing.empty()) {
    return Status::ok();
  }
  std::string names;
  for (const std::string& name : missing) {
    names += fmt::format("{}'{}'", names.empty() ? "" : ", ", name);
  }
  return Status(StatusCode::kInvalidArgument,
                fmt::format("Missing required field{} {}", missing.size() > 1 ? "s" : "", names));
}

Status fromJson(std::string_view text, Message* message) {
  auto value = json::parse(text);
  if (!value) {
    message->Clear();
    return value.error();
  }
  return fromJson(*value, message);
}

}  // namespace plateau
