// Offer constraints (the allocator's AttributeConstraint, built from a framework's
// OfferConstraints): the input picks a selector and a predicate (first byte), then holds the
// text or RE2 pattern and the agent's value, separated by a NUL; the constraint is compiled under
// Mesos's default RE2 limits and evaluated against agents with and without the value.

#include "master/allocator/offer_constraints.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace alloc = plateau::master::allocator;
  if (size == 0) {
    return 0;
  }
  auto selector = static_cast<alloc::AttributeConstraint::Selector>(data[0] % 4);
  auto predicate = static_cast<alloc::AttributeConstraint::Predicate>((data[0] >> 2) % 6);
  auto pieces = plateau::fuzz::split(plateau::fuzz::text(data + 1, size - 1), '\0');
  std::string text = pieces[0];
  std::string value = pieces.size() > 1 ? pieces[1] : "value";
  auto constraint = alloc::AttributeConstraint::make(selector, "rack", predicate, text);
  if (!constraint) {
    return 0;
  }
  alloc::AgentLabels with{.hostname = value,
                          .region = value,
                          .zone = value,
                          .attributes = {{"rack", value}, {"gpu", std::nullopt}}};
  alloc::AgentLabels without{.hostname = "agent"};
  alloc::ConstraintGroups groups = {{*constraint}, {*constraint, *constraint}};
  (void)alloc::admits(groups, with);
  (void)alloc::admits(groups, without);
  return 0;
}
