#pragma once

// The agents the master knows and the lifecycle of their links:
//  - admitted agents by id, connected or not, and the agents the registry had admitted before a
//    restart or failover that have not re-registered yet ("expected");
//  - an admitted agent has at most one link (an event stream): its own (attach()), or a shared
//    one that several agents are on (attach() with `shared`, then join(); proto/plateau/
//    agent.proto, "Shared streams"). An agent leaving a link (attached elsewhere, detached,
//    removed) closes it, unreported, once no agent is left on it; a shared link stays open for
//    the others. The end of a link is reported once per agent on it, through
//    Hooks::disconnected, and leaves each admitted but not connected;
//  - liveness: every ping interval an admitted agent is pinged (Hooks::ping; on a shared link
//    only the first of its agents due in each half interval is, once for the link); once it has not
//    been heard from for longer than ping interval × max missed pings, Hooks::silent reports it
//    at each ping until the master removes it, except while the master stores its removal
//    (between beginRemoval() and endRemoval());
//  - the expected agents still missing when their time is up are reported once, together,
//    through Hooks::not_back; admitting an agent or stopExpecting() takes it off that list;
//  - kills held for an agent (tasks that must not come back to life) are handed over once;
//  - an agent's resources: its total (as it registered, then as reservations and volumes convert
//    it) and what its tasks and executors use are written here only, and what is used never
//    goes below nothing (a release of more than is used is a broken invariant);
//  - how many admitted agents are connected, and the scalar sums of their totals and of what
//    they use, are kept as agents and their resources change: reading them costs nothing,
//    whatever the number of agents (the metrics read them at every scrape).
// Time comes through Clock and Timers, so it is unit-tested in virtual time. It sends nothing
// and stores nothing itself: the master does, through the hooks' callers.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>
#include <plateau/agent.pb.h>

#include "common/resources.h"
#include "http/server.h"
#include "runtime/clock.h"
#include "runtime/timers.h"

namespace plateau::master {

struct Agent {
  std::string id;
  mesos::v1::AgentInfo info;
  std::string ip;  // the address it serves on, as it reported it
  std::string version;
  bool batches = false;  // it takes ACKNOWLEDGE events with several acknowledgements
  std::set<std::string> frameworks_with_executors;
  double registered_time = 0;
  double reregistered_time = 0;
  // The secret issued with its last REGISTERED: every call of the agent must carry it, so that
  // only the peer that registered speaks for the agent (the master sets it; empty before).
  std::string session;
  // The link (its own, or shared with other agents), written by the AgentBook only.
  std::shared_ptr<http::Stream> stream;
  bool shared_stream = false;  // the link is shared: its events carry the agent's id
  bool connected = false;      // written by the AgentBook only (it counts the connected agents)
  Clock::TimePoint last_heard;
  Timers::TimerId ping_timer = 0;
  bool removing = false;  // the master is storing its removal (AgentBook::beginRemoval)
  const Resources& total() const { return total_; }
  // Its revocable resources as it last reported them (UPDATE_OVERSUBSCRIBED), kept apart from
  // total(): they are never checkpointed and come again after each registration.
  const Resources& oversubscribed() const { return oversubscribed_; }
  // What its tasks and executors use (its offers are the OfferBook's, its tasks the TaskBook's).
  const Resources& used() const { return used_; }

 private:
  friend class AgentBook;
  Resources total_;
  Resources used_;
  Resources oversubscribed_;
};

class AgentBook {
 public:
  struct Hooks {
    std::function<void(Agent& agent)> ping;
    std::function<void(const std::string& agent_id)> silent;
    std::function<void(const std::string& agent_id)> disconnected;
    std::function<void(const std::vector<std::string>& agent_ids)> not_back;
  };
  using Agents = std::unordered_map<std::string, Agent>;

  AgentBook(Timers& timers, const Clock& clock, std::chrono::nanoseconds ping_interval,
            int max_missed_pings, Hooks hooks);
  ~AgentBook();
  AgentBook(const AgentBook&) = delete;
  AgentBook& operator=(const AgentBook&) = delete;

  Agent* find(const std::string& id);
  const Agent* find(const std::string& id) const;
  bool contains(const std::string& id) const { return agents_.contains(id); }
  const Agents& all() const { return agents_; }
  size_t size() const { return agents_.size(); }

  // The record of an agent registering: new (true; it is no longer expected) or known (false).
  std::pair<Agent&, bool> admit(const std::string& id);
  // Makes `stream` the agent's link, leaving the one it replaces: connected, heard now, and
  // pinged every interval from now on. With `shared_id`, the link is shared: other agents may
  // join() it under that id, and `principal` is who opened it.
  void attach(Agent& agent, std::shared_ptr<http::Stream> stream, const std::string& shared_id = {},
              const std::string& principal = {});
  // An open link: one agent's own, or shared.
  struct Link {
    std::string shared_id;  // empty: one agent's own
    std::string principal;  // who opened a shared link
    std::shared_ptr<http::Stream> stream;
    std::set<std::string> agents;  // on it now
    Clock::TimePoint pinged{};     // shared: when it was last pinged (for one of its agents)
  };
  // The open shared link with that id; nullptr when none.
  const Link* findShared(const std::string& shared_id) const;
  // Puts the agent on the open shared link `shared_id` (leaving the one it was on), as attach()
  // does; false (nothing changed) when no such link is open.
  bool join(Agent& agent, const std::string& shared_id);
  // The agent's link is gone (reported, or dropped by the master): admitted, not connected.
  void detach(Agent& agent);
  // Agents on the agent's link (1 for its own), 0 when it has none.
  size_t onLinkWith(const Agent& agent) const;
  size_t sharedLinks() const { return shared_ids_.size(); }
  // The agent spoke: it is alive now.
  void heard(Agent& agent) { agent.last_heard = clock_.now(); }
  // Forgets an admitted agent and its timers; leaves its link (its own closed, a shared one
  // left open for the others), unreported.
  void remove(const std::string& id);
  // The master starts storing the agent's removal: until endRemoval(), Hooks::silent does not
  // report it again. False when the agent is not admitted or its removal is under way already.
  bool beginRemoval(const std::string& id);
  void endRemoval(const std::string& id);
  bool removing(const std::string& id) const {
    const Agent* agent = find(id);
    return agent != nullptr && agent->removing;
  }

  // Its total as it registers, or as a reservation or volume converts `from` into `to`.
  void setTotal(Agent& agent, Resources total);
  void convert(Agent& agent, const Resources& from, const Resources& to);
  // Its tasks and executors take or give back resources.
  void use(Agent& agent, const Resources& resources);
  void release(Agent& agent, const Resources& resources);
  // Its revocable resources as it reports them.
  void setOversubscribed(Agent& agent, Resources oversubscribed);

  // Over the admitted agents: how many are connected; cpus, mem, disk and gpus in all, and used.
  size_t connectedCount() const { return connected_count_; }
  const ResourceVector& totalScalars() const { return total_scalars_; }
  const ResourceVector& usedScalars() const { return used_scalars_; }
  // Likewise for revocable resources: the agents' oversubscribed ones, and what of them their
  // tasks and executors use.
  const ResourceVector& revocableTotalScalars() const { return revocable_total_scalars_; }
  const ResourceVector& revocableUsedScalars() const { return revocable_used_scalars_; }

  // After a restart or failover: the agents the registry had admitted, expected within `timeout`.
  void expect(std::map<std::string, mesos::v1::AgentInfo> agents, std::chrono::nanoseconds timeout);
  const std::map<std::string, mesos::v1::AgentInfo>& expected() const { return expected_; }
  // True when the agent was expected.
  bool stopExpecting(const std::string& id) { return expected_.erase(id) > 0; }

  // An agent that comes back after being marked unreachable.
  void returning(const std::string& id) { returning_.insert(id); }
  bool takeReturning(const std::string& id) { return returning_.erase(id) > 0; }

  // Events to deliver once the agent is admitted (e.g. kills of tasks its framework was told
  // are lost).
  void hold(const std::string& id, internal::AgentEvent event) {
    held_[id].push_back(std::move(event));
  }
  std::vector<internal::AgentEvent> takeHeld(const std::string& id);

 private:
  // Takes the agent off its link (closing the link, unreported, once empty).
  void leave(Agent& agent);
  void enter(Agent& agent, Link& link);
  void linkClosed(http::Stream* stream);
  void checkPing(const std::string& id);
  void expectedTimeout();

  Timers& timers_;
  const Clock& clock_;
  std::chrono::nanoseconds ping_interval_;
  int max_missed_pings_;
  Hooks hooks_;
  Agents agents_;
  std::unordered_map<http::Stream*, Link> links_;  // every open link, by its stream
  std::unordered_map<std::string, Link*> shared_ids_;
  std::map<std::string, mesos::v1::AgentInfo> expected_;
  Timers::TimerId expected_timer_ = 0;
  std::set<std::string> returning_;
  std::map<std::string, std::vector<internal::AgentEvent>> held_;
  size_t connected_count_ = 0;
  ResourceVector total_scalars_;
  ResourceVector used_scalars_;
  ResourceVector revocable_total_scalars_;
  ResourceVector revocable_used_scalars_;
};

}  // namespace plateau::master
