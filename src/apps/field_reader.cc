#include "apps/field_reader.h"

#include <cstdint>

#include <fmt/format.h>

namespace plateau::apps {

void FieldReader::typeError(const std::string& path, const std::string& expected) {
  add(type_errors_, path, "error.expected." + expected);
}

void FieldReader::ruleError(const std::string& path, const std::string& error) {
  add(rule_errors_, path, error);
}

Invalid FieldReader::invalid() const {
  if (!type_errors_.empty()) {
    return {400, "Invalid JSON", type_errors_};
  }
  return {422, "Object is not valid", rule_errors_};
}

std::optional<std::string> FieldReader::string(const json::Value& v, const std::string& path) {
  if (!v.isString()) {
    typeError(path, "jsstring");
    return std::nullopt;
  }
  return v.asString();
}

std::optional<double> FieldReader::number(const json::Value& v, const std::string& path) {
  if (!v.isNumber()) {
    typeError(path, "jsnumber");
    return std::nullopt;
  }
  return v.asDouble();
}

std::optional<int> FieldReader::integer(const json::Value& v, const std::string& path) {
  auto n = v.toInt64();
  if (!v.isNumber() || !n || *n > INT32_MAX || *n < INT32_MIN) {
    typeError(path, "jsnumber");
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

std::optional<bool> FieldReader::boolean(const json::Value& v, const std::string& path) {
  if (!v.isBool()) {
    typeError(path, "jsboolean");
    return std::nullopt;
  }
  return v.asBool();
}

std::optional<std::vector<std::string>> FieldReader::strings(const json::Value& v,
                                                             const std::string& path) {
  if (!v.isArray()) {
    typeError(path, "jsarray");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    auto s = string(v[i], fmt::format("{}({})", path, i));
    if (!s) {
      return std::nullopt;
    }
    out.push_back(*s);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> FieldReader::stringMap(const json::Value& v,
                                                                         const std::string& path) {
  if (!v.isObject()) {
    typeError(path, "jsobject");
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (const auto& m : v.asObject()) {
    if (!m.value.isString()) {
      ruleError(path + "/" + m.key, "must be a string");
      continue;
    }
    out[m.key] = m.value.asString();
  }
  return out;
}

void FieldReader::add(std::vector<FieldErrors>& list, const std::string& path,
                      const std::string& error) {
  for (auto& f : list) {
    if (f.path == path) {
      f.errors.push_back(error);
      return;
    }
  }
  list.push_back({path, {error}});
}

}  // namespace plateau::apps
