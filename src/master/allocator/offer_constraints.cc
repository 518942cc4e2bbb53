#include "master/allocator/offer_constraints.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

namespace plateau::master::allocator {

struct AttributeConstraint::Pattern {
  std::regex regex;
};

namespace {

constexpr size_t kMaxPattern = 4096;

bool isRegex(AttributeConstraint::Predicate p) {
  return p == AttributeConstraint::Predicate::kTextMatches ||
         p == AttributeConstraint::Predicate::kTextNotMatches;
}

}  // namespace

Result<AttributeConstraint> AttributeConstraint::make(Selector selector, std::string attribute,
                                                      Predicate predicate, std::string text) {
  AttributeConstraint c;
  c.selector_ = selector;
  c.attribute_ = std::move(attribute);
  c.predicate_ = predicate;
  c.text_ = std::move(text);
  if (isRegex(predicate)) {
    if (c.text_.size() > kMaxPattern) {
      return invalidArgument(fmt::format("regex of {} characters is longer than the {} allowed",
                                         c.text_.size(), kMaxPattern));
    }
    try {
      c.pattern_ = std::make_shared<const Pattern>(
          Pattern{std::regex(c.text_, std::regex::ECMAScript | std::regex::optimize)});
    } catch (const std::regex_error& e) {
      return invalidArgument(fmt::format("regex '{}' does not compile: {}", c.text_, e.what()));
    }
  }
  return c;
}

bool AttributeConstraint::test(const std::string& value) const {
  switch (predicate_) {
    case Predicate::kExists:
      return true;
    case Predicate::kNotExists:
      return false;
    case Predicate::kTextEquals:
      return value == text_;
    case Predicate::kTextNotEquals:
      return value != text_;
    case Predicate::kTextMatches:
      return std::regex_match(value, pattern_->regex);
    case Predicate::kTextNotMatches:
      return !std::regex_match(value, pattern_->regex);
  }
  return false;
}

bool AttributeConstraint::holds(const AgentLabels& agent) const {
  const std::string* value = nullptr;
  bool present = true;
  switch (selector_) {
    case Selector::kHostname:
      value = &agent.hostname;
      break;
    case Selector::kRegion:
      present = agent.region.has_value();
      value = present ? &*agent.region : nullptr;
      break;
    case Selector::kZone:
      present = agent.zone.has_value();
      value = present ? &*agent.zone : nullptr;
      break;
    case Selector::kAttribute: {
      const auto it = std::find_if(agent.attributes.begin(), agent.attributes.end(),
                                   [&](const auto& a) { return a.first == attribute_; });
      present = it != agent.attributes.end();
      if (present && !it->second) {
        // Present but not TEXT: text predicates do not apply and hold.
        return predicate_ != Predicate::kNotExists;
      }
      value = present ? &*it->second : nullptr;
      break;
    }
  }
  if (!present) {
    return predicate_ == Predicate::kNotExists || predicate_ == Predicate::kTextNotEquals ||
           predicate_ == Predicate::kTextNotMatches;
  }
  return test(*value);
}

bool admits(const ConstraintGroups& groups, const AgentLabels& agent) {
  return std::any_of(groups.begin(), groups.end(), [&](const auto& group) {
    return std::all_of(group.begin(), group.end(),
                       [&](const AttributeConstraint& c) { return c.holds(agent); });
  });
}

}  // namespace plateau::master::allocator
