#pragma once

// The master's outstanding offers. Guarantees:
//  - every offer is indexed by its id, by its framework and by its agent, and the resources
//    offered to each framework and on each agent are the sums of their outstanding offers;
//  - offeredScalars() is the scalar sum of every outstanding offer, kept as offers come and go
//    (reading it costs nothing, whatever the number of offers);
//  - an offer leaves through take() only, which removes it from every index at once and cancels
//    its timeout, so an offer is used, declined or rescinded at most once;
//  - with an offer timeout, an offer still outstanding that long after it was made is handed to
//    the timeout callback (which takes it back), through Timers, so it runs in virtual time.
// It neither sends events nor talks to the allocator: the master does, with what take()
// returns. Single-threaded: the master's loop thread.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <mesos/v1/mesos.pb.h>

#include "common/resources.h"
#include "runtime/timers.h"

namespace plateau::master {

class OfferBook {
 public:
  struct Offer {
    mesos::v1::Offer offer;  // as sent to the framework
    std::string role;        // the role its resources are allocated to
    Resources resources;
  };
  using Ids = std::unordered_set<std::string>;

  // `timeout` 0: offers never time out. `timed_out(id)` runs on the loop when one does.
  OfferBook(Timers& timers, std::chrono::nanoseconds timeout,
            std::function<void(const std::string& offer_id)> timed_out);
  ~OfferBook();
  OfferBook(const OfferBook&) = delete;
  OfferBook& operator=(const OfferBook&) = delete;

  // Adds an offer under its id (offer.id().value()), which must be new.
  void add(Offer offer);
  // Removes an offer from every index and cancels its timeout; nullopt when there is none.
  std::optional<Offer> take(const std::string& offer_id);

  const Offer* find(const std::string& offer_id) const;
  // The ids of a framework's / an agent's outstanding offers (empty when none).
  const Ids& ofFramework(const std::string& framework_id) const;
  const Ids& onAgent(const std::string& agent_id) const;
  // What is offered to a framework / on an agent right now.
  const Resources& offeredTo(const std::string& framework_id) const;
  const Resources& offeredOn(const std::string& agent_id) const;

  size_t size() const { return offers_.size(); }
  // cpus, mem, disk and gpus offered right now, over every outstanding offer.
  const ResourceVector& offeredScalars() const { return offered_scalars_; }
  // Every outstanding offer, for whole-book queries (operator API, quota changes).
  const std::unordered_map<std::string, Offer>& all() const { return offers_; }

 private:
  struct Index {
    Ids ids;
    Resources offered;
  };
  static void drop(std::unordered_map<std::string, Index>& index, const std::string& key,
                   const std::string& offer_id, const Resources& resources);

  Timers& timers_;
  const std::chrono::nanoseconds timeout_;
  const std::function<void(const std::string&)> timed_out_;
  std::unordered_map<std::string, Offer> offers_;
  std::unordered_map<std::string, Timers::TimerId> timers_by_offer_;
  std::unordered_map<std::string, Index> by_framework_;
  std::unordered_map<std::string, Index> by_agent_;
  ResourceVector offered_scalars_;
};

}  // namespace plateau::master
