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
// Cost: an offer's id is hashed once when it is added and once per find()/take(); the framework
// and agent indexes hold pointers to the book's entries (no copies of the id), so adding or
// taking an offer is O(1) with one string-keyed lookup per index. A framework's or agent's index
// stays, empty, after its last offer goes (up to 65,536 such), so that the next offer there
// allocates nothing; blank()/recycle() reuse taken offers' protos the same way.
// It neither sends events nor talks to the allocator: the master does, with what take()
// returns. Single-threaded: the master's loop thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>

#include "common/resources.h"
#include "runtime/timers.h"

namespace plateau::master {

class OfferBook {
  struct Entry;
  struct Index;

 public:
  struct Offer {
    mesos::v1::Offer offer;  // as sent to the framework
    std::string role;        // the role its resources are allocated to
    Resources resources;
  };

  // The ids of some outstanding offers, in no particular order: a view into the book, valid
  // until the next add() or take() (copy the ids out before taking any of them).
  class Ids {
   public:
    class const_iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = std::string;
      using difference_type = std::ptrdiff_t;
      using pointer = const std::string*;
      using reference = const std::string&;
      const_iterator() = default;
      explicit const_iterator(const Entry* const* at) : at_(at) {}
      reference operator*() const;
      pointer operator->() const { return &**this; }
      const_iterator& operator++() {
        ++at_;
        return *this;
      }
      const_iterator operator++(int) {
        const_iterator was = *this;
        ++at_;
        return was;
      }
      bool operator==(const const_iterator& other) const { return at_ == other.at_; }

     private:
      const Entry* const* at_ = nullptr;
    };
    explicit Ids(const std::vector<Entry*>* entries) : entries_(entries) {}
    const_iterator begin() const;
    const_iterator end() const;
    size_t size() const { return entries_ == nullptr ? 0 : entries_->size(); }
    bool empty() const { return size() == 0; }

   private:
    const std::vector<Entry*>* entries_;
  };

  // Every outstanding offer as (id, offer) pairs, in no particular order; valid as Ids is.
  class All {
   public:
    using Map = std::unordered_map<std::string_view, std::unique_ptr<Entry>>;
    class const_iterator {
     public:
      explicit const_iterator(Map::const_iterator at) : at_(at) {}
      std::pair<const std::string&, const Offer&> operator*() const;
      const_iterator& operator++() {
        ++at_;
        return *this;
      }
      bool operator==(const const_iterator& other) const { return at_ == other.at_; }

     private:
      Map::const_iterator at_;
    };
    explicit All(const Map& map) : map_(map) {}
    const_iterator begin() const { return const_iterator(map_.begin()); }
    const_iterator end() const { return const_iterator(map_.end()); }

   private:
    const Map& map_;
  };

  // `timeout` 0: offers never time out. `timed_out(id)` runs on the loop when one does.
  OfferBook(Timers& timers, std::chrono::nanoseconds timeout,
            std::function<void(const std::string& offer_id)> timed_out);
  ~OfferBook();
  OfferBook(const OfferBook&) = delete;
  OfferBook& operator=(const OfferBook&) = delete;

  // Adds an offer under its id (offer.id().value()), which must be new. Returns the book's copy,
  // which stays where it is until the offer is taken.
  Offer& add(Offer offer);
  // Removes an offer from every index and cancels its timeout; nullopt when there is none.
  std::optional<Offer> take(const std::string& offer_id);
  // A blank offer to fill and add(): one that recycle() gave back when there is one, so that the
  // strings, sub-messages and repeated fields of its proto are reused instead of made again.
  Offer blank();
  // Takes back an offer that is done with (taken, used, sent) for blank() to reuse; it is
  // cleared first. At most kSpares are kept.
  void recycle(Offer offer);
  static constexpr size_t kSpares = 8192;

  const Offer* find(const std::string& offer_id) const;
  // The ids of a framework's / an agent's outstanding offers (empty when none).
  Ids ofFramework(const std::string& framework_id) const;
  Ids onAgent(const std::string& agent_id) const;
  // What is offered to a framework / on an agent right now.
  const Resources& offeredTo(const std::string& framework_id) const;
  const Resources& offeredOn(const std::string& agent_id) const;

  size_t size() const { return offers_.size(); }
  // cpus, mem, disk and gpus offered right now, over every outstanding offer.
  const ResourceVector& offeredScalars() const { return offered_scalars_; }
  // Every outstanding offer, for whole-book queries (operator API, quota changes).
  All all() const { return All(offers_); }

 private:
  // An outstanding offer with its place in the framework's and the agent's index.
  struct Entry {
    Offer offer;
    Timers::TimerId timer = 0;  // 0: none armed
    Index* framework = nullptr;
    size_t framework_at = 0;
    Index* agent = nullptr;
    size_t agent_at = 0;
  };
  struct Index {
    std::vector<Entry*> entries;
    Resources offered;
  };
  using IndexMap = std::unordered_map<std::string, Index>;
  static Index& join(IndexMap& index, const std::string& key, Entry* entry, size_t& at);
  // Removes the entry at `at` of `from` (the index of `key`), moving the last one into its
  // place; `at_member` is where entries keep their position in this kind of index.
  static void leave(IndexMap& index, const std::string& key, Index* from, size_t at,
                    size_t Entry::*at_member, const Resources& resources);
  void armTimeout(Entry& entry);

  Timers& timers_;
  const std::chrono::nanoseconds timeout_;
  const std::function<void(const std::string&)> timed_out_;
  // Keyed by a view of the entry's own id (offer.id().value()), which lives as long as the entry.
  All::Map offers_;
  std::vector<std::unique_ptr<Entry>> spare_entries_;  // emptied entries, reused by add()
  std::vector<Offer> spares_;                          // cleared offers, handed out by blank()
  IndexMap by_framework_;
  IndexMap by_agent_;
  ResourceVector offered_scalars_;
};

}  // namespace plateau::master
