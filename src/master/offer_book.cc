#include "master/offer_book.h"

#include <utility>

#include "common/invariant.h"

namespace plateau::master {

namespace {
const Resources kNothing;
// Indexes of frameworks and agents without an outstanding offer kept at most (each a few hundred
// bytes).
constexpr size_t kKeptIndexes = 65536;
}  // namespace

OfferBook::Ids::const_iterator::reference OfferBook::Ids::const_iterator::operator*() const {
  return (*at_)->offer.offer.id().value();
}

OfferBook::Ids::const_iterator OfferBook::Ids::begin() const {
  return const_iterator(entries_ == nullptr ? nullptr : entries_->data());
}

OfferBook::Ids::const_iterator OfferBook::Ids::end() const {
  return const_iterator(entries_ == nullptr ? nullptr : entries_->data() + entries_->size());
}

std::pair<const std::string&, const OfferBook::Offer&> OfferBook::All::const_iterator::operator*()
    const {
  const Offer& offer = at_->second->offer;
  return {offer.offer.id().value(), offer};
}

OfferBook::OfferBook(Timers& timers, std::chrono::nanoseconds timeout,
                     std::function<void(const std::string&)> timed_out)
    : timers_(timers), timeout_(timeout), timed_out_(std::move(timed_out)) {}

OfferBook::~OfferBook() {
  for (const auto& [id, entry] : offers_) {
    if (entry->timer != 0) {
      timers_.cancel(entry->timer);
    }
  }
}

OfferBook::Index& OfferBook::join(IndexMap& index, const std::string& key, Entry* entry,
                                  size_t& at) {
  Index& joined = index[key];
  at = joined.entries.size();
  joined.entries.push_back(entry);
  joined.offered += entry->offer.resources;
  return joined;
}

OfferBook::Offer& OfferBook::add(Offer offer) {
  std::unique_ptr<Entry> entry;
  if (spare_entries_.empty()) {
    entry = std::make_unique<Entry>();
  } else {
    entry = std::move(spare_entries_.back());
    spare_entries_.pop_back();
  }
  entry->offer = std::move(offer);
  Entry* e = entry.get();
  const std::string& id = e->offer.offer.id().value();
  if (!offers_.emplace(std::string_view(id), std::move(entry)).second) {
    invariantBroken("offer id " + id + " made twice");
  }
  e->framework = &join(by_framework_, e->offer.offer.framework_id().value(), e, e->framework_at);
  e->agent = &join(by_agent_, e->offer.offer.agent_id().value(), e, e->agent_at);
  offered_scalars_ += ResourceVector::of(e->offer.resources);
  if (timeout_ > std::chrono::nanoseconds(0)) {
    armTimeout(*e);
  }
  return e->offer;
}

void OfferBook::armTimeout(Entry& entry) {
  entry.timer = timers_.after(timeout_, [this, id = entry.offer.offer.id().value()] {
    auto it = offers_.find(std::string_view(id));
    if (it != offers_.end()) {
      it->second->timer = 0;  // fired: nothing to cancel any more
      timed_out_(id);
    }
  });
}

void OfferBook::leave(IndexMap& index, const std::string& key, Index* from, size_t at,
                      size_t Entry::*at_member, const Resources& resources) {
  Entry* last = from->entries.back();
  from->entries[at] = last;
  last->*at_member = at;
  from->entries.pop_back();
  from->offered -= resources;
  // An agent's index empties at every decline of its one offer and fills again at the next
  // round: it stays, empty, so that refilling it allocates nothing, unless the book already
  // keeps more indexes than a cluster has agents or frameworks.
  if (from->entries.empty() && index.size() > kKeptIndexes) {
    index.erase(key);
  }
}

std::optional<OfferBook::Offer> OfferBook::take(const std::string& offer_id) {
  auto it = offers_.find(std::string_view(offer_id));
  if (it == offers_.end()) {
    return std::nullopt;
  }
  std::unique_ptr<Entry> entry = std::move(it->second);
  offers_.erase(it);  // its key viewed the entry's id, which is still alive here
  if (entry->timer != 0) {
    timers_.cancel(entry->timer);
  }
  Offer& offer = entry->offer;
  leave(by_framework_, offer.offer.framework_id().value(), entry->framework, entry->framework_at,
        &Entry::framework_at, offer.resources);
  leave(by_agent_, offer.offer.agent_id().value(), entry->agent, entry->agent_at, &Entry::agent_at,
        offer.resources);
  offered_scalars_ -= ResourceVector::of(offer.resources);
  std::optional<Offer> taken(std::move(offer));
  if (spare_entries_.size() < kSpares) {
    entry->timer = 0;
    spare_entries_.push_back(std::move(entry));
  }
  return taken;
}

OfferBook::Offer OfferBook::blank() {
  if (spares_.empty()) {
    return Offer{};
  }
  Offer offer = std::move(spares_.back());
  spares_.pop_back();
  return offer;
}

void OfferBook::recycle(Offer offer) {
  if (spares_.size() >= kSpares) {
    return;
  }
  offer.offer.Clear();
  offer.role.clear();
  offer.resources = Resources();
  spares_.push_back(std::move(offer));
}

const OfferBook::Offer* OfferBook::find(const std::string& offer_id) const {
  auto it = offers_.find(std::string_view(offer_id));
  return it == offers_.end() ? nullptr : &it->second->offer;
}

OfferBook::Ids OfferBook::ofFramework(const std::string& framework_id) const {
  auto it = by_framework_.find(framework_id);
  return Ids(it == by_framework_.end() ? nullptr : &it->second.entries);
}

OfferBook::Ids OfferBook::onAgent(const std::string& agent_id) const {
  auto it = by_agent_.find(agent_id);
  return Ids(it == by_agent_.end() ? nullptr : &it->second.entries);
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
