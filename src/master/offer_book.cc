#include "master/offer_book.h"

#include <utility>

#include "common/invariant.h"

namespace plateau::master {

namespace {
const OfferBook::Ids kNoIds;
const Resources kNothing;
}  // namespace

OfferBook::OfferBook(Timers& timers, std::chrono::nanoseconds timeout,
                     std::function<void(const std::string&)> timed_out)
    : timers_(timers), timeout_(timeout), timed_out_(std::move(timed_out)) {}

OfferBook::~OfferBook() {
  for (const auto& [id, timer] : timers_by_offer_) {
    timers_.cancel(timer);
  }
}

void OfferBook::add(Offer offer) {
  std::string id = offer.offer.id().value();
  const std::string& framework_id = offer.offer.framework_id().value();
  const std::string& agent_id = offer.offer.agent_id().value();
  Index& framework = by_framework_[framework_id];
  framework.ids.insert(id);
  framework.offered += offer.resources;
  Index& agent = by_agent_[agent_id];
  agent.ids.insert(id);
  agent.offered += offer.resources;
  offered_scalars_ += ResourceVector::of(offer.resources);
  if (!offers_.emplace(id, std::move(offer)).second) {
    invariantBroken("offer id " + id + " made twice");
  }
  if (timeout_ > std::chrono::nanoseconds(0)) {
    timers_by_offer_[id] = timers_.after(timeout_, [this, id] {
      timers_by_offer_.erase(id);
      if (offers_.contains(id)) {
        timed_out_(id);
      }
    });
  }
}

void OfferBook::drop(std::unordered_map<std::string, Index>& index, const std::string& key,
                     const std::string& offer_id, const Resources& resources) {
  auto it = index.find(key);
  if (it == index.end()) {
    return;
  }
  it->second.ids.erase(offer_id);
  it->second.offered -= resources;
  if (it->second.ids.empty()) {
    index.erase(it);
  }
}

std::optional<OfferBook::Offer> OfferBook::take(const std::string& offer_id) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) {
    return std::nullopt;
  }
  Offer offer = std::move(it->second);
  offers_.erase(it);
  if (auto timer = timers_by_offer_.find(offer_id); timer != timers_by_offer_.end()) {
    timers_.cancel(timer->second);
    timers_by_offer_.erase(timer);
  }
  drop(by_framework_, offer.offer.framework_id().value(), offer_id, offer.resources);
  drop(by_agent_, offer.offer.agent_id().value(), offer_id, offer.resources);
  offered_scalars_ -= ResourceVector::of(offer.resources);
  return offer;
}

const OfferBook::Offer* OfferBook::find(const std::string& offer_id) const {
  auto it = offers_.find(offer_id);
  return it == offers_.end() ? nullptr : &it->second;
}

const OfferBook::Ids& OfferBook::ofFramework(const std::string& framework_id) const {
  auto it = by_framework_.find(framework_id);
  return it == by_framework_.end() ? kNoIds : it->second.ids;
}

const OfferBook::Ids& OfferBook::onAgent(const std::string& agent_id) const {
  auto it = by_agent_.find(agent_id);
  return it == by_agent_.end() ? kNoIds : it->second.ids;
}

const Resources& OfferBook::offeredTo(const std::string& framework_id) const {
  auto it = by_framework_.find(framework_id);
  return it == by_framework_.end() ? kNothing : it->second.offered;
}

const Resources& OfferBook::offeredOn(const std::string& agent_id) const {
  auto it = by_agent_.find(agent_id);
  return it == by_agent_.end() ? kNothing : it->second.offered;
}

}  // namespace plateau::master
