#include "proto_fill.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/message.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace plateau::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A required-message cycle can never be satisfied; stop there rather than recurse forever.
constexpr int kHardDepthLimit = 64;

class Filler {
 public:
  Filler(uint64_t seed, const FillOptions& options) : state_(seed), options_(options) {}

  void fill(Message* message, int depth) {
    const Descriptor* descriptor = message->GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor& field = *descriptor->field(i);
      bool shallow = depth < options_.max_depth;
      // A map entry's key and value always travel: protobuf checks map values' required fields.
      bool needed = field.is_required() || descriptor->options().map_entry() ||
                    (field.has_default_value() && !field.options().deprecated() &&
                     field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE);
      if (!shallow && !needed) {
        continue;
      }
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth >= kHardDepthLimit) {
        continue;
      }
      int count = field.is_repeated() ? options_.repeated_count : 1;
      for (int n = 0; n < count; ++n) {
        setOne(message, field, depth);
      }
    }
  }

 private:
  uint64_t next() {
    // splitmix64: tiny, and the same on every platform (unlike std distributions).
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t below(uint64_t bound) { return next() % bound; }

  // Half uniformly random, the rest small values and the type's extremes.
  template <class T>
  T integer() {
    switch (below(4)) {
      case 0:
      case 1:
        return static_cast<T>(next());
      case 2:
        return static_cast<T>(static_cast<int64_t>(below(201)) - 100);
      default: {
        constexpr T kEdges[] = {std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T{0}};
        return kEdges[below(3)];
      }
    }
  }

  template <class Float, class Bits>
  Float floating() {
    switch (below(3)) {
      case 0: {
        Float number;
        do {
          number = std::bit_cast<Float>(static_cast<Bits>(next()));
        } while (!std::isfinite(number));
        return number;
      }
      case 1:
        return static_cast<Float>(static_cast<int64_t>(below(2001)) - 1000) / 8;
      default:
        return static_cast<Float>(static_cast<int64_t>(below(2000001)) - 1000000);
    }
  }

  std::string text() {
    static constexpr std::string_view kPieces[] = {
        "a",
        "Z",
        "0",
        " ",
        "\"",
        "\\",
        "/",
        "\n",
        "\t",
        "\x01",
        "\x1f",
        "\x7f",
        "\xC3\xA9",          // é
        "\xE2\x82\xAC",      // €
        "\xF0\x9F\x98\x80",  // 😀
        "mesos",
        "{",
        "}",
    };
    std::string out;
    size_t length = below(12);
    for (size_t i = 0; i < length; ++i) {
      out += kPieces[below(std::size(kPieces))];
    }
    return out;
  }

  std::string bytes() {
    std::string out(below(17), '\0');
    for (char& c : out) {
      c = static_cast<char>(next());
    }
    return out;
  }

  void setOne(Message* message, const FieldDescriptor& field, int depth) {
    const Reflection& r = *message->GetReflection();
    const bool repeated = field.is_repeated();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        auto v = integer<int32_t>();
        repeated ? r.AddInt32(message, &field, v) : r.SetInt32(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        auto v = integer<int64_t>();
        repeated ? r.AddInt64(message, &field, v) : r.SetInt64(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        auto v = integer<uint32_t>();
        repeated ? r.AddUInt32(message, &field, v) : r.SetUInt32(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        auto v = integer<uint64_t>();
        repeated ? r.AddUInt64(message, &field, v) : r.SetUInt64(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        auto v = floating<double, uint64_t>();
        repeated ? r.AddDouble(message, &field, v) : r.SetDouble(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        auto v = floating<float, uint32_t>();
        repeated ? r.AddFloat(message, &field, v) : r.SetFloat(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v = below(2) == 1;
        repeated ? r.AddBool(message, &field, v) : r.SetBool(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* type = field.enum_type();
        const auto* v =
            type->value(static_cast<int>(below(static_cast<uint64_t>(type->value_count()))));
        repeated ? r.AddEnum(message, &field, v) : r.SetEnum(message, &field, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string v = field.type() == FieldDescriptor::TYPE_BYTES ? bytes() : text();
        repeated ? r.AddString(message, &field, std::move(v))
                 : r.SetString(message, &field, std::move(v));
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* child =
            repeated ? r.AddMessage(message, &field) : r.MutableMessage(message, &field);
        fill(child, depth + 1);
        return;
      }
    }
  }

  uint64_t state_;
  const FillOptions& options_;
};

void collect(const Descriptor* descriptor, std::vector<const Descriptor*>& out) {
  out.push_back(descriptor);
  for (int i = 0; i < descriptor->nested_type_count(); ++i) {
    collect(descriptor->nested_type(i), out);
  }
}

}  // namespace

void fillMessage(Message* message, uint64_t seed, const FillOptions& options) {
  message->Clear();
  Filler(seed, options).fill(message, 0);
}

std::vector<const Descriptor*> allMessageTypes(const google::protobuf::FileDescriptor* file) {
  std::vector<const Descriptor*> out;
  for (int i = 0; i < file->message_type_count(); ++i) {
    collect(file->message_type(i), out);
  }
  return out;
}

}  // namespace plateau::testing
