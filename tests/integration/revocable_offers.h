#pragma once

// For the oversubscription and QoS suites: gather a framework's offers until they hold `cpus`
// revocable cpus, and accept them all with a set of tasks in one call.

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/revocable.h"
#include "harness.h"

namespace plateau::testing {

// The offers that came until their revocable cpus add up to `cpus` (a failure if they never do).
inline std::vector<v1::Offer> holdRevocableOffers(Scheduler& s, double cpus) {
  std::vector<v1::Offer> held;
  double revocable = 0;
  EXPECT_TRUE(eventually([&] {
    while (auto offers = s.next(scheduler::Event::OFFERS, std::chrono::milliseconds(100))) {
      for (const auto& offer : offers->offers().offers()) {
        held.push_back(offer);
        revocable += revocableCpus(offer);
      }
    }
    return revocable == cpus;
  })) << "revocable cpus offered: "
      << revocable << " of " << cpus;
  return held;
}

// ACCEPT of every held offer with `tasks` in one LAUNCH.
inline scheduler::Call acceptWith(const std::vector<v1::Offer>& held,
                                  const std::vector<v1::TaskInfo>& tasks) {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  for (const auto& offer : held) {
    *accept.mutable_accept()->add_offer_ids() = offer.id();
  }
  auto* launch = accept.mutable_accept()->add_operations();
  launch->set_type(v1::Offer::Operation::LAUNCH);
  for (const auto& task : tasks) {
    *launch->mutable_launch()->add_task_infos() = task;
  }
  return accept;
}

}  // namespace plateau::testing
