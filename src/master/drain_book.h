#pragma once

// The operator's holds on agents (DEACTIVATE_AGENT, DRAIN_AGENT, REACTIVATE_AGENT):
//  - a held agent is deactivated: the master offers none of its resources until it is
//    reactivated; a drained or draining agent is always deactivated;
//  - a drain is DRAINING until the master calls drained() (no task left on the agent), then
//    DRAINED; it never goes back, and only reactivate() (or forget(), when the agent leaves
//    the cluster) ends it;
//  - holds are keyed by agent id and kept for agents that are not connected or not yet back
//    after a failover;
//  - encode()/decode() are an entry's durable form; the master stores it in the registry's
//    maintenance entries under registryKey() before changing the book, so holds survive a
//    restart or failover (recover()).
// No I/O and no clock: the master persists and acts, this book remembers.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <mesos/v1/mesos.pb.h>

#include "common/status.h"

namespace plateau::master {

class DrainBook {
 public:
  struct Hold {
    bool deactivated = false;
    std::optional<mesos::v1::DrainInfo> drain;  // set by DRAIN_AGENT
  };

  // The hold on an agent, or null when it is active.
  const Hold* find(const std::string& agent_id) const;
  bool deactivated(const std::string& agent_id) const { return find(agent_id) != nullptr; }
  // True while the agent is DRAINING (not yet DRAINED).
  bool draining(const std::string& agent_id) const;
  const std::map<std::string, Hold>& all() const { return holds_; }

  // The holds that the calls would leave (for the master to store first).
  static Hold deactivation(const Hold* current);
  static Hold drain(const Hold* current, const mesos::v1::DrainConfig& config);
  static Hold drained(const Hold& current);

  void set(const std::string& agent_id, Hold hold) { holds_[agent_id] = std::move(hold); }
  void forget(const std::string& agent_id) { holds_.erase(agent_id); }

  // The registry's maintenance key of an agent's hold, and whether a key is one.
  static std::string registryKey(const std::string& agent_id);
  static std::string encode(const Hold& hold);
  static Result<Hold> decode(std::string_view data);
  // Loads the holds among the registry's maintenance entries; a malformed one is an error
  // naming it (the others still load).
  Status recover(const std::map<std::string, std::string>& maintenance);

 private:
  std::map<std::string, Hold> holds_;
};

}  // namespace plateau::master
