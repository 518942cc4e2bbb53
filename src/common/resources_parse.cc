// Resources::parse: Mesos's text form and the JSON array form of its --resources flag.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "common/resources.h"

namespace plateau {

namespace {

std::unexpected<Status> invalid(std::string message) { return invalidArgument(std::move(message)); }

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

bool hasReservedCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f ||
           std::string_view("():;[]{},\"").find(c) != std::string_view::npos;
  });
}

Status validateName(std::string_view name) {
  if (name.empty()) {
    return Status(StatusCode::kInvalidArgument, "resource name is empty");
  }
  if (hasReservedCharacter(name)) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("resource name '{}' contains whitespace or punctuation", name));
  }
  return Status::ok();
}

Status validateRole(std::string_view role, std::string_view name) {
  const bool bad = role.empty() || role == "." || role == ".." || role.front() == '-' ||
                   role.front() == '/' || role.back() == '/' ||
                   role.find("//") != std::string_view::npos || hasReservedCharacter(role);
  if (bad && role != "*") {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("resource '{}' has invalid role '{}'", name, role));
  }
  return Status::ok();
}

Result<int64_t> parseScalar(std::string_view text, std::string_view name) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return invalid(fmt::format("resource '{}' has invalid scalar '{}'", name, text));
  }
  if (std::isnan(value)) {
    return invalid(fmt::format("resource '{}' has scalar NaN", name));
  }
  if (value < 0) {
    return invalid(fmt::format("resource '{}' has negative scalar {}", name, text));
  }
  if (!(value <= kMaxScalar)) {
    return invalid(
        fmt::format("resource '{}' has scalar {} above the limit {}", name, text, kMaxScalar));
  }
  return scalarToMilli(value);
}

Result<uint64_t> parseUnsigned(std::string_view text, std::string_view name) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return invalid(fmt::format("resource '{}' has invalid range bound '{}'", name, text));
  }
  return value;
}

Result<Ranges> rangesFrom(std::vector<Range> ranges, std::string_view name) {
  for (const Range& range : ranges) {
    if (range.begin > range.end) {
      return invalid(fmt::format("resource '{}' has range {}-{} whose begin exceeds its end", name,
                                 range.begin, range.end));
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  Ranges result;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0 && ranges[i].begin <= ranges[i - 1].end) {
      return invalid(fmt::format("resource '{}' has overlapping ranges {}-{} and {}-{}", name,
                                 ranges[i - 1].begin, ranges[i - 1].end, ranges[i].begin,
                                 ranges[i].end));
    }
    result.add(ranges[i]);
  }
  return result;
}

Result<Ranges> parseRangesText(std::string_view body, std::string_view name) {
  std::vector<Range> ranges;
  if (!trim(body).empty()) {
    for (std::string_view part : split(body, ',')) {
      part = trim(part);
      const size_t dash = part.find('-');
      if (dash == std::string_view::npos) {
        return invalid(
            fmt::format("resource '{}' has malformed range '{}' (expected begin-end)", name, part));
      }
      auto begin = parseUnsigned(trim(part.substr(0, dash)), name);
      if (!begin) {
        return std::unexpected(begin.error());
      }
      auto end = parseUnsigned(trim(part.substr(dash + 1)), name);
      if (!end) {
        return std::unexpected(end.error());
      }
      ranges.push_back({*begin, *end});
    }
  }
  return rangesFrom(std::move(ranges), name);
}

Result<std::set<std::string>> itemsFrom(const std::vector<std::string>& items,
                                        std::string_view name) {
  std::set<std::string> result;
  for (const std::string& item : items) {
    if (item.empty()) {
      return invalid(fmt::format("resource '{}' has an empty set item", name));
    }
    if (!result.insert(item).second) {
      return invalid(fmt::format("resource '{}' has duplicate set item '{}'", name, item));
    }
  }
  return result;
}

Status addChecked(Resources& resources, const Resource& resource) {
  for (const Resource& entry : resources) {
    if (entry.name == resource.name && entry.type != resource.type) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("resource '{}' appears with types {} and {}", resource.name,
                                toString(entry.type), toString(resource.type)));
    }
  }
  resources += resource;
  return Status::ok();
}

// "name(role):value" where value is a scalar, "[a-b, ...]" or "{x, ...}".
Result<Resource> parseTextResource(std::string_view token) {
  const size_t colon = token.find(':');
  if (colon == std::string_view::npos) {
    return invalid(fmt::format("resource '{}' has no ':' between name and value", token));
  }
  std::string_view key = trim(token.substr(0, colon));
  const std::string_view value = trim(token.substr(colon + 1));
  Resource resource;
  if (const size_t open = key.find('('); open != std::string_view::npos) {
    if (key.back() != ')') {
      return invalid(fmt::format("resource '{}' has an unterminated role", key));
    }
    resource.role = std::string(trim(key.substr(open + 1, key.size() - open - 2)));
    key = trim(key.substr(0, open));
  }
  resource.name = std::string(key);
  if (Status status = validateName(resource.name); !status.isOk()) {
    return std::unexpected(std::move(status));
  }
  if (Status status = validateRole(resource.role, resource.name); !status.isOk()) {
    return std::unexpected(std::move(status));
  }
  if (value.starts_with('[')) {
    if (!value.ends_with(']')) {
      return invalid(fmt::format("resource '{}' has ranges without a closing ']'", key));
    }
    auto ranges = parseRangesText(value.substr(1, value.size() - 2), key);
    if (!ranges) {
      return std::unexpected(ranges.error());
    }
    resource.type = ResourceType::kRanges;
    resource.ranges = std::move(*ranges);
  } else if (value.starts_with('{')) {
    if (!value.ends_with('}')) {
      return invalid(fmt::format("resource '{}' has a set without a closing '}}'", key));
    }
    std::vector<std::string> items;
    const std::string_view body = value.substr(1, value.size() - 2);
    if (!trim(body).empty()) {
      for (std::string_view item : split(body, ',')) {
        items.emplace_back(trim(item));
      }
    }
    auto set = itemsFrom(items, key);
    if (!set) {
      return std::unexpected(set.error());
    }
    resource.type = ResourceType::kSet;
    resource.items = std::move(*set);
  } else {
    auto milli = parseScalar(value, key);
    if (!milli) {
      return std::unexpected(milli.error());
    }
    resource.type = ResourceType::kScalar;
    resource.scalar_milli = *milli;
  }
  return resource;
}

Result<Resources> parseText(std::string_view text) {
  Resources resources;
  for (std::string_view token : split(text, ';')) {
    token = trim(token);
    if (token.empty()) {
      continue;
    }
    auto resource = parseTextResource(token);
    if (!resource) {
      return std::unexpected(resource.error());
    }
    if (Status status = addChecked(resources, *resource); !status.isOk()) {
      return std::unexpected(std::move(status));
    }
  }
  return resources;
}

// A minimal JSON reader for the --resources array only; the general JSON library replaces it.
struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number's lexeme
  std::vector<JsonValue> elements;
  std::vector<std::pair<std::string, JsonValue>> members;

  JsonValue() = default;
  JsonValue(const JsonValue&) = default;
  JsonValue(JsonValue&&) = default;
  JsonValue& operator=(const JsonValue&) = default;
  JsonValue& operator=(JsonValue&&) = default;
  ~JsonValue();
  const JsonValue* member(std::string_view key) const;
};

// Defined outside the struct, where JsonValue is complete: clang instantiates the vectors'
// members where they are used, and a pair holding a JsonValue needs JsonValue complete.
JsonValue::~JsonValue() = default;

const JsonValue* JsonValue::member(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) {
      return &value;
    }
  }
  return nullptr;
}

class JsonReader {
 public:
  explicit JsonReader(std::string_view input) : input_(input) {}

  Result<JsonValue> document() {
    auto result = value(0);
    if (!result) {
      return result;
    }
    skipSpace();
    if (pos_ != input_.size()) {
      return error("trailing characters");
    }
    return result;
  }

 private:
  static constexpr int kMaxDepth = 32;

  std::unexpected<Status> error(std::string_view what) const {
    return invalid(fmt::format("invalid JSON resources at offset {}: {}", pos_, what));
  }

  void skipSpace() {
    while (pos_ < input_.size() &&
           std::string_view(" \t\r\n").find(input_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
  }

  bool consume(char c) {
    skipSpace();
    if (pos_ < input_.size() && input_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Result<JsonValue> value(int depth) {
    if (depth > kMaxDepth) {
      return error("nested too deeply");
    }
    skipSpace();
    if (pos_ >= input_.size()) {
      return error("unexpected end of input");
    }
    const char c = input_[pos_];
    JsonValue result;
    if (c == '{' || c == '[') {
      return container(depth);
    }
    if (c == '"') {
      auto text = string();
      if (!text) {
        return std::unexpected(text.error());
      }
      result.kind = JsonValue::Kind::kString;
      result.text = std::move(*text);
      return result;
    }
    for (auto [word, kind, flag] : {std::tuple{"true", JsonValue::Kind::kBool, true},
                                    std::tuple{"false", JsonValue::Kind::kBool, false},
                                    std::tuple{"null", JsonValue::Kind::kNull, false}}) {
      if (input_.substr(pos_).starts_with(word)) {
        pos_ += std::string_view(word).size();
        result.kind = kind;
        result.boolean = flag;
        return result;
      }
    }
    return number();
  }

  Result<JsonValue> container(int depth) {
    const bool is_object = input_[pos_++] == '{';
    const char close = is_object ? '}' : ']';
    JsonValue result;
    result.kind = is_object ? JsonValue::Kind::kObject : JsonValue::Kind::kArray;
    if (consume(close)) {
      return result;
    }
    do {
      std::string key;
      if (is_object) {
        skipSpace();
        auto parsed = string();
        if (!parsed) {
          return std::unexpected(parsed.error());
        }
        key = std::move(*parsed);
        if (!consume(':')) {
          return error("expected ':'");
        }
      }
      auto element = value(depth + 1);
      if (!element) {
        return element;
      }
      if (is_object) {
        result.members.emplace_back(std::move(key), std::move(*element));
      } else {
        result.elements.push_back(std::move(*element));
      }
    } while (consume(','));
    if (!consume(close)) {
      return error(is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    return result;
  }

  Result<uint32_t> hex4() {
    uint32_t code = 0;
    if (pos_ + 4 > input_.size()) {
      return error("truncated \\u escape");
    }
    const auto [end, err] =
        std::from_chars(input_.data() + pos_, input_.data() + pos_ + 4, code, 16);
    if (err != std::errc() || end != input_.data() + pos_ + 4) {
      return error("bad \\u escape");
    }
    pos_ += 4;
    return code;
  }

  static void appendUtf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  Result<std::string> string() {
    if (pos_ >= input_.size() || input_[pos_] != '"') {
      return error("expected a string");
    }
    ++pos_;
    std::string out;
    while (pos_ < input_.size()) {
      const char c = input_[pos_++];
      if (c == '"') {
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return error("control character in string");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= input_.size()) {
        break;
      }
      const char escape = input_[pos_++];
      const std::string_view kFrom = "\"\\/bfnrt";
      const std::string_view kTo = "\"\\/\b\f\n\r\t";
      if (const size_t i = kFrom.find(escape); i != std::string_view::npos) {
        out += kTo[i];
        continue;
      }
      if (escape != 'u') {
        return error("bad escape");
      }
      auto code = hex4();
      if (!code) {
        return std::unexpected(code.error());
      }
      if (*code >= 0xd800 && *code < 0xdc00 && input_.substr(pos_).starts_with("\\u")) {
        pos_ += 2;
        auto low = hex4();
        if (!low || *low < 0xdc00 || *low > 0xdfff) {
          return error("bad surrogate pair");
        }
        *code = 0x10000 + ((*code - 0xd800) << 10) + (*low - 0xdc00);
      }
      appendUtf8(out, *code);
    }
    return error("unterminated string");
  }

  Result<JsonValue> number() {
    const size_t start = pos_;
    auto digits = [this] {
      const size_t from = pos_;
      while (pos_ < input_.size() && input_[pos_] >= '0' && input_[pos_] <= '9') {
        ++pos_;
      }
      return pos_ - from;
    };
    if (pos_ < input_.size() && input_[pos_] == '-') {
      ++pos_;
    }
    const size_t int_start = pos_;
    const size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && input_[int_start] == '0')) {
      pos_ = start;
      return error("expected a value");
    }
    if (pos_ < input_.size() && input_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) {
        return error("malformed number");
      }
    }
    if (pos_ < input_.size() && (input_[pos_] == 'e' || input_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < input_.size() && (input_[pos_] == '+' || input_[pos_] == '-')) {
        ++pos_;
      }
      if (digits() == 0) {
        return error("malformed number");
      }
    }
    JsonValue result;
    result.kind = JsonValue::Kind::kNumber;
    result.text = std::string(input_.substr(start, pos_ - start));
    return result;
  }

  std::string_view input_;
  size_t pos_ = 0;
};

Result<const JsonValue*> jsonField(const JsonValue& object, std::string_view key,
                                   JsonValue::Kind kind, std::string_view owner) {
  const JsonValue* field = object.member(key);
  if (field == nullptr || field->kind != kind) {
    return invalid(fmt::format("{} needs a '{}' field of the right JSON type", owner, key));
  }
  return field;
}

Result<uint64_t> jsonUnsigned(const JsonValue& value, std::string_view name) {
  if (value.kind != JsonValue::Kind::kNumber && value.kind != JsonValue::Kind::kString) {
    return invalid(fmt::format("resource '{}' has a range bound that is not a number", name));
  }
  return parseUnsigned(value.text, name);
}

Result<std::vector<std::pair<std::string, std::string>>> labelsFromJson(const JsonValue* labels,
                                                                        std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  if (labels == nullptr) {
    return out;
  }
  const JsonValue* list = labels->member("labels");
  if (labels->kind != JsonValue::Kind::kObject || list == nullptr ||
      list->kind != JsonValue::Kind::kArray) {
    return invalid(fmt::format("resource '{}' has malformed labels", name));
  }
  for (const JsonValue& label : list->elements) {
    const JsonValue* key = label.member("key");
    const JsonValue* value = label.member("value");
    if (key == nullptr || key->kind != JsonValue::Kind::kString ||
        (value != nullptr && value->kind != JsonValue::Kind::kString)) {
      return invalid(fmt::format("resource '{}' has a label without a string key", name));
    }
    out.emplace_back(key->text, value == nullptr ? "" : value->text);
  }
  return out;
}

// "reservations" (the refinement stack), or the deprecated "role" (already read) with an
// optional "reservation" ({"principal", "labels"}) meaning a dynamic reservation; and "disk".
Status reservationsFromJson(const JsonValue& json, Resource& resource) {
  const JsonValue* stack = json.member("reservations");
  const JsonValue* single = json.member("reservation");
  if (stack != nullptr) {
    if (stack->kind != JsonValue::Kind::kArray) {
      return Status(
          StatusCode::kInvalidArgument,
          fmt::format("resource '{}' has 'reservations' that is not an array", resource.name));
    }
    if (!stack->elements.empty() && (json.member("role") != nullptr || single != nullptr)) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("resource '{}' sets 'reservations' and the deprecated 'role' or "
                                "'reservation'",
                                resource.name));
    }
    for (const JsonValue& element : stack->elements) {
      const JsonValue* type = element.member("type");
      const JsonValue* role = element.member("role");
      const JsonValue* principal = element.member("principal");
      if (type == nullptr || type->kind != JsonValue::Kind::kString ||
          (type->text != "STATIC" && type->text != "DYNAMIC") || role == nullptr ||
          role->kind != JsonValue::Kind::kString) {
        return Status(StatusCode::kInvalidArgument,
                      fmt::format("resource '{}' has a reservation without a 'type' (STATIC or "
                                  "DYNAMIC) and a 'role'",
                                  resource.name));
      }
      if (Status status = validateRole(role->text, resource.name);
          !status.isOk() || role->text == "*") {
        return status.isOk()
                   ? Status(StatusCode::kInvalidArgument,
                            fmt::format("resource '{}' reserves for role '*'", resource.name))
                   : status;
      }
      Reservation reservation;
      reservation.type =
          type->text == "STATIC" ? Reservation::Type::kStatic : Reservation::Type::kDynamic;
      reservation.role = role->text;
      if (principal != nullptr && principal->kind == JsonValue::Kind::kString) {
        reservation.principal = principal->text;
      }
      auto labels = labelsFromJson(element.member("labels"), resource.name);
      if (!labels) {
        return labels.error();
      }
      reservation.labels = std::move(*labels);
      if (!resource.reservations.empty()) {
        const std::string& outer = resource.reservations.back().role;
        if (!reservation.role.starts_with(outer + "/")) {
          return Status(StatusCode::kInvalidArgument,
                        fmt::format("resource '{}': refined reservation role '{}' is not a "
                                    "sub-role of '{}'",
                                    resource.name, reservation.role, outer));
        }
      }
      resource.reservations.push_back(std::move(reservation));
    }
    if (!resource.reservations.empty()) {
      resource.role = resource.reservations.back().role;
    }
  } else if (single != nullptr) {
    if (resource.role == "*") {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("resource '{}' has a 'reservation' but no role", resource.name));
    }
    Reservation reservation;
    reservation.type = Reservation::Type::kDynamic;
    reservation.role = resource.role;
    if (const JsonValue* principal = single->member("principal");
        principal != nullptr && principal->kind == JsonValue::Kind::kString) {
      reservation.principal = principal->text;
    }
    auto labels = labelsFromJson(single->member("labels"), resource.name);
    if (!labels) {
      return labels.error();
    }
    reservation.labels = std::move(*labels);
    resource.reservations.push_back(std::move(reservation));
  }
  if (const JsonValue* disk = json.member("disk"); disk != nullptr) {
    if (disk->kind != JsonValue::Kind::kObject) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("resource '{}' has a 'disk' that is not an object", resource.name));
    }
    if (const JsonValue* persistence = disk->member("persistence"); persistence != nullptr) {
      const JsonValue* id = persistence->member("id");
      if (id == nullptr || id->kind != JsonValue::Kind::kString || id->text.empty()) {
        return Status(StatusCode::kInvalidArgument,
                      fmt::format("resource '{}' has a persistence without an id", resource.name));
      }
      resource.disk.persistence_id = id->text;
      if (const JsonValue* principal = persistence->member("principal");
          principal != nullptr && principal->kind == JsonValue::Kind::kString) {
        resource.disk.persistence_principal = principal->text;
      }
    }
    if (const JsonValue* volume = disk->member("volume"); volume != nullptr) {
      const JsonValue* path = volume->member("container_path");
      if (path == nullptr || path->kind != JsonValue::Kind::kString) {
        return Status(
            StatusCode::kInvalidArgument,
            fmt::format("resource '{}' has a volume without a container_path", resource.name));
      }
      resource.disk.has_volume = true;
      resource.disk.container_path = path->text;
      const JsonValue* mode = volume->member("mode");
      resource.disk.mode =
          mode != nullptr && mode->text == "RO" ? DiskInfo::Mode::kRO : DiskInfo::Mode::kRW;
    }
  }
  return Status::ok();
}

Result<Resource> resourceFromJson(const JsonValue& json, size_t index) {
  const std::string owner = fmt::format("resource #{}", index);
  if (json.kind != JsonValue::Kind::kObject) {
    return invalid(fmt::format("{} is not a JSON object", owner));
  }
  auto name = jsonField(json, "name", JsonValue::Kind::kString, owner);
  if (!name) {
    return std::unexpected(name.error());
  }
  Resource resource;
  resource.name = (*name)->text;
  if (Status status = validateName(resource.name); !status.isOk()) {
    return std::unexpected(std::move(status));
  }
  if (const JsonValue* role = json.member("role"); role != nullptr) {
    if (role->kind != JsonValue::Kind::kString) {
      return invalid(fmt::format("resource '{}' has a role that is not a string", resource.name));
    }
    resource.role = role->text;
  }
  if (Status status = validateRole(resource.role, resource.name); !status.isOk()) {
    return std::unexpected(std::move(status));
  }
  if (Status status = reservationsFromJson(json, resource); !status.isOk()) {
    return std::unexpected(std::move(status));
  }
  const std::string what = fmt::format("resource '{}'", resource.name);
  auto type = jsonField(json, "type", JsonValue::Kind::kString, what);
  if (!type) {
    return std::unexpected(type.error());
  }
  const std::string& type_name = (*type)->text;
  if (type_name == "SCALAR") {
    auto scalar = jsonField(json, "scalar", JsonValue::Kind::kObject, what);
    auto value = scalar ? jsonField(**scalar, "value", JsonValue::Kind::kNumber, what) : scalar;
    if (!value) {
      return std::unexpected(value.error());
    }
    auto milli = parseScalar((*value)->text, resource.name);
    if (!milli) {
      return std::unexpected(milli.error());
    }
    resource.type = ResourceType::kScalar;
    resource.scalar_milli = *milli;
  } else if (type_name == "RANGES") {
    auto ranges = jsonField(json, "ranges", JsonValue::Kind::kObject, what);
    auto list = ranges ? jsonField(**ranges, "range", JsonValue::Kind::kArray, what) : ranges;
    if (!list) {
      return std::unexpected(list.error());
    }
    std::vector<Range> parsed;
    for (const JsonValue& element : (*list)->elements) {
      const JsonValue* begin = element.member("begin");
      const JsonValue* end = element.member("end");
      if (begin == nullptr || end == nullptr) {
        return invalid(
            fmt::format("resource '{}' has a range without begin or end", resource.name));
      }
      auto first = jsonUnsigned(*begin, resource.name);
      auto last = first ? jsonUnsigned(*end, resource.name) : first;
      if (!last) {
        return std::unexpected(last.error());
      }
      parsed.push_back({*first, *last});
    }
    auto checked = rangesFrom(std::move(parsed), resource.name);
    if (!checked) {
      return std::unexpected(checked.error());
    }
    resource.type = ResourceType::kRanges;
    resource.ranges = std::move(*checked);
  } else if (type_name == "SET") {
    auto set = jsonField(json, "set", JsonValue::Kind::kObject, what);
    auto list = set ? jsonField(**set, "item", JsonValue::Kind::kArray, what) : set;
    if (!list) {
      return std::unexpected(list.error());
    }
    std::vector<std::string> items;
    for (const JsonValue& element : (*list)->elements) {
      if (element.kind != JsonValue::Kind::kString) {
        return invalid(
            fmt::format("resource '{}' has a set item that is not a string", resource.name));
      }
      items.push_back(element.text);
    }
    auto checked = itemsFrom(items, resource.name);
    if (!checked) {
      return std::unexpected(checked.error());
    }
    resource.type = ResourceType::kSet;
    resource.items = std::move(*checked);
  } else {
    return invalid(fmt::format("resource '{}' has unknown type '{}'", resource.name, type_name));
  }
  return resource;
}

Result<Resources> parseJson(std::string_view text) {
  auto document = JsonReader(text).document();
  if (!document) {
    return std::unexpected(document.error());
  }
  if (document->kind != JsonValue::Kind::kArray) {
    return invalid("JSON resources must be an array");
  }
  Resources resources;
  for (size_t i = 0; i < document->elements.size(); ++i) {
    auto resource = resourceFromJson(document->elements[i], i);
    if (!resource) {
      return std::unexpected(resource.error());
    }
    if (Status status = addChecked(resources, *resource); !status.isOk()) {
      return std::unexpected(std::move(status));
    }
  }
  return resources;
}

}  // namespace

Result<Resources> Resources::parse(std::string_view text) {
  text = trim(text);
  if (text.starts_with('[')) {
    return parseJson(text);
  }
  return parseText(text);
}

}  // namespace plateau
