#pragma once

// What plateau-apps made of the offers it processed for one app while instances of it wait to
// launch (Marathon's launch-attempt statistics, shown by /v2/queue): how many offers were
// processed and how many went unused, why (Marathon's NoOfferMatchReason names, counted by the
// first reason in its funnel), and the last unused offer of each agent. Pure; loop thread only.
// Its memory is bounded by the number of agents (one last offer each).

#include <map>
#include <string>
#include <vector>

#include "apps/placement.h"
#include "common/json.h"

namespace plateau::apps {

// An offer that could not take a task of the app, with every reason and when.
struct UnusedOffer {
  OfferView offer;
  std::vector<std::string> reasons;
  std::string timestamp;
};

// One step of Marathon's funnel: of `processed` offers that reached this reason, `declined`
// were refused for it.
struct DeclinedOfferStep {
  std::string reason;
  int declined = 0;
  int processed = 0;
};

// The funnel over `counts` (first reason of each refused offer -> how many), starting from
// `processed` offers: one step per reason of kRejectReasons, in order.
std::vector<DeclinedOfferStep> declinedOfferSteps(int processed,
                                                  const std::map<std::string, int>& counts);

class OfferStats {
 public:
  // A launch attempt that started at `since` (ISO time).
  explicit OfferStats(std::string since) : since_(std::move(since)) {}

  void used(const std::string& timestamp);
  void unused(const OfferView& offer, std::vector<std::string> reasons,
              const std::string& timestamp);

  const std::string& since() const { return since_; }
  int processed() const { return processed_; }
  int unusedCount() const { return unused_; }
  // The last unused offer of each agent, by agent id.
  const std::map<std::string, UnusedOffer>& lastUnused() const { return last_unused_; }

  // Marathon's ProcessedOffersSummary object.
  void writeSummary(json::Writer& w) const;
  // Marathon's UnusedOffer array (lastUnusedOffers).
  void writeLastUnused(json::Writer& w) const;

 private:
  std::string since_;
  int processed_ = 0;
  int unused_ = 0;
  std::map<std::string, int> launch_attempt_;  // first reason -> offers
  std::string last_used_at_;
  std::string last_unused_at_;
  std::map<std::string, UnusedOffer> last_unused_;
};

}  // namespace plateau::apps
