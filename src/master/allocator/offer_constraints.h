#pragma once

// Offer constraints (Mesos 1.11's scheduler OfferConstraints): for a role, a framework names the
// agents it wants offers from as an OR of groups, each group an AND of predicates on an agent's
// hostname, fault-domain region or zone, or one of its attributes. The master translates the
// protobuf form into these types; the allocator only evaluates them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plateau::master::allocator {

// What a constraint may look at on an agent.
struct AgentLabels {
  std::string hostname;
  std::optional<std::string> region;  // of the agent's fault domain, when it has one
  std::optional<std::string> zone;
  // Attribute name -> its TEXT value; nullopt for a SCALAR, RANGES or SET attribute.
  std::vector<std::pair<std::string, std::optional<std::string>>> attributes;
};

// Bounds on each regular expression a framework sends (Mesos's --offer_constraints_re2_max_mem
// and --offer_constraints_re2_max_program_size, same defaults).
struct RegexLimits {
  int64_t max_mem = 4096;
  int max_program_size = 100;
};

class AttributeConstraint {
 public:
  enum class Selector { kHostname, kRegion, kZone, kAttribute };
  enum class Predicate {
    kExists,
    kNotExists,
    kTextEquals,
    kTextNotEquals,
    kTextMatches,
    kTextNotMatches,
  };

  // `attribute` names the attribute for Selector::kAttribute; `text` is the value or the
  // regular expression (RE2 syntax, as in Mesos; matched against the whole value, in linear
  // time) of a text predicate. InvalidArgument for a pattern that does not compile within
  // `limits.max_mem` or compiles to a program larger than `limits.max_program_size`.
  static Result<AttributeConstraint> make(Selector selector, std::string attribute,
                                          Predicate predicate, std::string text,
                                          const RegexLimits& limits = {});

  // As Mesos: a missing (pseudo)attribute satisfies only NotExists and the "Not" text
  // predicates; an attribute that is not TEXT satisfies Exists and every text predicate.
  bool holds(const AgentLabels& agent) const;

  friend bool operator==(const AttributeConstraint& a, const AttributeConstraint& b) {
    return a.selector_ == b.selector_ && a.attribute_ == b.attribute_ &&
           a.predicate_ == b.predicate_ && a.text_ == b.text_;
  }

 private:
  struct Pattern;
  AttributeConstraint() = default;
  bool test(const std::string& value) const;

  Selector selector_ = Selector::kHostname;
  std::string attribute_;
  Predicate predicate_ = Predicate::kExists;
  std::string text_;
  std::shared_ptr<const Pattern> pattern_;  // text_ compiled, for the two regex predicates
};

// A role's constraints: the agent must satisfy every constraint of at least one group.
using ConstraintGroups = std::vector<std::vector<AttributeConstraint>>;

bool admits(const ConstraintGroups& groups, const AgentLabels& agent);

}  // namespace plateau::master::allocator
