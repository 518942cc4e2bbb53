#include "master/allocator/offer_constraints.h"

#include <algorithm>

#include <fmt/format.h>
#include <re2/re2.h>

namespace plateau::master::allocator {

struct AttributeConstraint::Pattern {
  Pattern(const std::string& text, int64_t max_mem) : regex(text, options(max_mem)) {}
  static RE2::Options options(int64_t max_mem) {
    RE2::Options o(RE2::Quiet);
    o.set_max_mem(max_mem);
    return o;
  }
  RE2 regex;
};

namespace {

bool isRegex(AttributeConstraint::Predicate p) {
  return p == AttributeConstraint::Predicate::kTextMatches ||
         p == AttributeConstraint::Predicate::kTextNotMatches;
}

}  // namespace

Result<AttributeConstraint> AttributeConstraint::make(Selector selector, std::string attribute,
                                                      Predicate predicate, std::string text,
                                                      const RegexLimits& limits) {
  AttributeConstraint c;
  c.selector_ = selector;
  c.attribute_ = std::move(attribute);
  c.predicate_ = predicate;
  c.text_ = std::move(text);
  if (isRegex(predicate)) {
    auto pattern = std::make_shared<const Pattern>(c.text_, limits.max_mem);
    if (!pattern->regex.ok()) {
      return invalidArgument(
          fmt::format("regex '{}' does not compile: {}", c.text_, pattern->regex.error()));
    }
    if (pattern->regex.ProgramSize() > limits.max_program_size) {
      return invalidArgument(
          fmt::format("regex '{}' is too complex: its RE2 program size {} is over the {} allowed "
                      "(--offer_constraints_re2_max_program_size)",
                      c.text_, pattern->regex.ProgramSize(), limits.max_program_size));
    }
    c.pattern_ = std::move(pattern);
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
      return RE2::FullMatch(value, pattern_->regex);
    case Predicate::kTextNotMatches:
      return !RE2::FullMatch(value, pattern_->regex);
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
