// Allocation rounds turned into offers, and offers taken back.

#include <fmt/format.h>

#include "common/resources_proto.h"
#include "master/maintenance_book.h"
#include "master/master.h"
#include "master/offer_proto.h"

namespace plateau::master {

void Master::scheduleAllocation() {
  if (allocation_pending_) {
    return;
  }
  allocation_pending_ = true;
  // Everything already queued on the loop lands first, so one round serves a burst of events.
  timers_.post([this] {
    allocation_pending_ = false;
    allocate();
  });
}

void Master::allocate() {
  // A round runs in slices of a bounded number of agents, for at most about kAllocationBudget at
  // a time: what is left waits behind the events that arrived meanwhile (a /health request, a
  // status update), so a round over a large cluster does not hold the loop.
  constexpr size_t kAgentsPerSlice = 256;
  constexpr auto kAllocationBudget = std::chrono::milliseconds(20);
  auto started = clock_.now();
  do {
    offerAllocations(allocator_.allocate(clock_.now(), kAgentsPerSlice), clock_.now());
  } while (allocator_.pending() && clock_.now() - started < kAllocationBudget);
  metrics_.allocation_runs++;
  sendInverseOffers();
  if (allocator_.pending()) {
    scheduleAllocation();
  }
  auto took = clock_.now() - started;
  metrics_.allocation_last_ms = std::chrono::duration<double, std::milli>(took).count();
  metrics_.allocation_duration.observe(std::chrono::duration<double>(took).count());
}

void Master::pollWhitelist() {
  std::string error;
  auto change = whitelist_.poll(&error);
  if (!error.empty()) {
    log_->error("whitelist_unreadable path={} error=\"{}\" hint=\"the last list read stays\"",
                whitelist_.path(), error);
    return;
  }
  if (!change) {
    return;
  }
  log_->info("whitelist_updated path={} hostnames={}", whitelist_.path(),
             change->hostnames ? change->hostnames->size() : 0);
  allocator_.updateWhitelist(std::move(change->hostnames));
  scheduleAllocation();
}

namespace {
// Lends protos owned elsewhere to a repeated field for the time of a send: the field holds the
// pointers without owning them, and gives them all back (without destroying them) when the
// lender goes, whatever way the scope ends.
class Lent {
 public:
  explicit Lent(google::protobuf::RepeatedPtrField<v1::Offer>& field) : field_(field) {}
  Lent(const Lent&) = delete;
  Lent& operator=(const Lent&) = delete;
  ~Lent() {
    while (!field_.empty()) {
      static_cast<void>(field_.ReleaseLast());  // owned by the lender's book, not deleted
    }
  }
  void add(v1::Offer* offer) { field_.AddAllocated(offer); }

 private:
  google::protobuf::RepeatedPtrField<v1::Offer>& field_;
};

}  // namespace

void Master::offerAllocations(std::vector<allocator::Offer> allocations,
                              allocator::TimePoint started) {
  // Each offer is built once, into the book; the framework's OFFERS event borrows the book's
  // protos for the send instead of copying them (at thousands of offers a second, the copies
  // and their teardown were a tenth of the master's time).
  std::unordered_map<std::string, std::vector<v1::Offer*>> batches;
  for (auto& allocation : allocations) {
    Framework* fw = frameworks_.find(allocation.framework_id);
    Agent* agent = agents_.find(allocation.agent_id);
    if (fw == nullptr || agent == nullptr || !fw->connected || !agent->connected) {
      checked(allocator_.recoverResources(allocation.framework_id, allocation.role,
                                          allocation.agent_id, allocation.resources, std::nullopt,
                                          started));
      continue;
    }
    OfferBook::Offer record = offers_.blank();
    makeOffer(*fw, *agent, std::move(allocation), nextOfferId(),
              maintenance_->unavailabilityOf(agent->id), record);
    OfferBook::Offer& kept = offers_.add(std::move(record));
    // The book's proto: the event only serializes it and gives it back unchanged.
    batches[fw->id].push_back(&kept.offer);
  }
  for (auto& [framework_id, offers] : batches) {
    scheduler::Event event;
    event.set_type(scheduler::Event::OFFERS);
    event.mutable_offers()->mutable_offers()->Reserve(static_cast<int>(offers.size()));
    Lent lent(*event.mutable_offers()->mutable_offers());
    for (v1::Offer* offer : offers) {
      lent.add(offer);
    }
    metrics_.offers_sent += offers.size();
    per_framework_metrics_.offers(framework_id, PerFrameworkMetrics::Offers::kSent, offers.size());
    Framework& fw = frameworks_.all().at(framework_id);
    send(fw, event);
    holdOffersWhileLagging(fw);
  }
}

// Offers are the one event a framework can do without for a while. A scheduler that reads
// slower than its offers come (the first offers of 50,000 agents are megabytes) gets no more
// until it has caught up, rather than its stream being cut at the slow-reader bound (and a
// framework with no failover timeout removed, its tasks killed). Its filters stay.
void Master::holdOffersWhileLagging(Framework& fw) {
  if (!fw.stream || !fw.stream->lagging()) {
    return;
  }
  checked(allocator_.pauseOffers(fw.id, true));
  metrics_.offers_paused++;
  log_->info("framework_offers_paused framework_id={} reason=\"its event stream lags\"", fw.id);
  std::weak_ptr<http::Stream> weak = fw.stream;
  fw.stream->onDrained([this, id = fw.id, weak] {
    Framework* current = frameworks_.find(id);
    if (current == nullptr || current->stream == nullptr || current->stream != weak.lock()) {
      return;  // gone, or a new link (which resumed its offers)
    }
    checked(allocator_.pauseOffers(id, false));
    log_->info("framework_offers_resumed framework_id={}", id);
    scheduleAllocation();
  });
}

void Master::removeOffer(const std::string& offer_id,
                         std::optional<std::chrono::nanoseconds> refuse, bool rescind) {
  std::optional<OfferBook::Offer> record = offers_.take(offer_id);
  if (!record) {
    return;
  }
  const std::string& framework_id = record->offer.framework_id().value();
  const std::string& agent_id = record->offer.agent_id().value();
  Framework* fw = frameworks_.find(framework_id);
  if (fw != nullptr && rescind) {
    metrics_.offers_rescinded++;
    per_framework_metrics_.offers(framework_id, PerFrameworkMetrics::Offers::kRescinded);
    scheduler::Event event;
    event.set_type(scheduler::Event::RESCIND);
    event.mutable_rescind()->mutable_offer_id()->set_value(offer_id);
    send(*fw, event);
  }
  // Declined or rescinded resources are offered again at the next round, not at once.
  checked(allocator_.recoverResources(framework_id, record->role, agent_id, record->resources,
                                      refuse, clock_.now()));
  offers_.recycle(std::move(*record));  // its proto is filled again by a later offer
}

}  // namespace plateau::master
