#pragma once

// Dominant Resource Fairness sorter (Ghodsi et al., NSDI 2011), modelled on Mesos's DRFSorter.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/resources.h"
#include "common/status.h"

namespace plateau::master::allocator {

// The largest, over ResourceVector's slots with a positive total, of allocation / total; 0 when the
// total is empty.
double dominantShare(const ResourceVector& allocation, const ResourceVector& total);

// Orders clients (roles, or the frameworks of one role) by ascending weighted dominant share, ties
// broken by name. A client's dominant share is the largest, over the slots of ResourceVector, of
// allocation / total; its weighted share is that divided by its weight.
//
// Incremental: an allocation change re-computes that client's share and moves it within a sorted
// array (binary search plus a shift over the clients it passes); a total change marks every share
// stale and the next sort() re-computes them all once.
//
// Invariants: order_ holds exactly the active live clients, sorted by (weighted share, name), and
// each entry's share equals its client's share whenever stale_ is false.
//
// Handles are dense and reused after remove(). Passing a handle that is not live is a bug and
// aborts.
class DrfSorter {
 public:
  using Handle = uint32_t;

  // Adds an active client with no allocation. AlreadyExists for a duplicate name;
  // InvalidArgument for an empty name or a weight that is not finite and positive.
  Result<Handle> add(std::string name, double weight = 1.0);
  // Forgets the client and its allocation; its handle may be reused.
  void remove(Handle client);
  std::optional<Handle> find(std::string_view name) const;

  // Inactive clients keep their allocation but are left out of sort() and findFirst().
  void activate(Handle client);
  void deactivate(Handle client);
  bool isActive(Handle client) const;

  // InvalidArgument unless weight is finite and positive.
  Status setWeight(Handle client, double weight);
  void allocated(Handle client, const ResourceVector& resources);
  // Subtracts; an allocation never drops below zero.
  void unallocated(Handle client, const ResourceVector& resources);
  // The resources shares are measured against (normally the cluster's total).
  void setTotal(const ResourceVector& total);

  const std::string& name(Handle client) const;
  double weight(Handle client) const;
  const ResourceVector& allocation(Handle client) const;
  const ResourceVector& total() const { return total_; }
  // Dominant share, not divided by the weight.
  double dominantShare(Handle client) const;
  // Dominant share divided by the weight: the sort key.
  double weightedShare(Handle client);
  size_t size() const { return names_.size(); }

  // Active clients in ascending (weighted share, name) order.
  std::vector<Handle> sort();

  // Visits active clients in sort() order and returns the first one for which pred(handle) is
  // true, without copying the order. pred must not modify the sorter.
  template <class Pred>
  std::optional<Handle> findFirst(Pred&& pred) {
    refresh();
    for (const Entry& entry : order_) {
      if (pred(entry.client)) {
        return entry.client;
      }
    }
    return std::nullopt;
  }

 private:
  struct Client {
    std::string name;
    double weight = 1.0;
    ResourceVector allocation;
    double share = 0.0;  // weighted
    bool active = false;
    bool live = false;
  };
  struct Entry {
    double share;
    Handle client;
  };

  Client& client(Handle handle);
  const Client& client(Handle handle) const;
  double computeShare(const Client& client) const;
  bool before(const Entry& a, const Entry& b) const;
  size_t indexOf(Handle handle) const;
  void insertEntry(Handle handle);
  void eraseEntry(Handle handle);
  // Re-computes the client's share and moves its entry to where the new share belongs.
  void updateShare(Handle handle);
  void refresh();

  std::vector<Client> clients_;
  std::vector<Handle> free_handles_;
  std::unordered_map<std::string, Handle> names_;
  std::vector<Entry> order_;
  ResourceVector total_;
  bool stale_ = false;
};

}  // namespace plateau::master::allocator
