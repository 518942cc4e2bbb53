#pragma once

// Reads the fields of a JSON body while collecting Marathon's errors: type errors (400 "Invalid
// JSON", error.expected.<type>) and rule errors (422 "Object is not valid"), each under the
// field's path ("/healthChecks(0)/portIndex").

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/app.h"
#include "common/json.h"

namespace plateau::apps {

class FieldReader {
 public:
  void typeError(const std::string& path, const std::string& expected);
  void ruleError(const std::string& path, const std::string& error);
  bool failed() const { return !type_errors_.empty() || !rule_errors_.empty(); }
  // The type errors when there are any (400), else the rule errors (422).
  Invalid invalid() const;

  // The value as that type, or nullopt after a type error at `path`.
  std::optional<std::string> string(const json::Value& v, const std::string& path);
  std::optional<double> number(const json::Value& v, const std::string& path);
  std::optional<int> integer(const json::Value& v, const std::string& path);
  std::optional<bool> boolean(const json::Value& v, const std::string& path);
  std::optional<std::vector<std::string>> strings(const json::Value& v, const std::string& path);
  // An object of strings; a member that is not one is a rule error.
  std::optional<std::map<std::string, std::string>> stringMap(const json::Value& v,
                                                              const std::string& path);

 private:
  static void add(std::vector<FieldErrors>& list, const std::string& path,
                  const std::string& error);
  std::vector<FieldErrors> type_errors_;
  std::vector<FieldErrors> rule_errors_;
};

}  // namespace plateau::apps
