#pragma once

// The frameworks the master knows, the completed ones it still shows, and the lifecycle of their
// links:
//  - a framework id is known at most once, live or completed; a completed framework never
//    comes back (retire() is final), and the newest `max_completed` are kept;
//  - a live framework has at most one link (its event stream): attach() closes the one it
//    replaces, whose end is then not reported; the end of the current link is reported once,
//    through Hooks::disconnected;
//  - a framework gets a heartbeat (Hooks::heartbeat) every interval from its first link on,
//    until it is retired;
//  - a framework without a link (disconnected, or recovered after a failover) has its
//    FrameworkInfo.failover_timeout to attach again; past it, Hooks::failover_expired reports
//    it once; attaching in time cancels that;
//  - what a framework's tasks and executors use is written here only, per agent, and never goes
//    below nothing on any agent (a release of more than is used there is a broken invariant);
//  - how many live frameworks are connected and how many active is kept as links come and go:
//    reading it costs nothing, whatever the number of frameworks.
// Time comes through Timers, so it is unit-tested in virtual time. It sends nothing: the master
// does, through the hooks' callers.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/resources.h"
#include "http/content.h"
#include "http/server.h"
#include "master/allocator/allocator.h"
#include "runtime/timers.h"

namespace plateau::master {

struct Executor {
  mesos::v1::ExecutorInfo info;
  Resources resources;
  std::string role;  // the role its resources are allocated to
};

struct Framework {
  std::string id;
  mesos::v1::FrameworkInfo info;
  std::string role;                        // the first of `roles` (for single-role views)
  std::set<std::string> roles;             // FrameworkInfo.roles, or {FrameworkInfo.role}
  std::set<std::string> suppressed_roles;  // roles it asked no offers for
  // SUBSCRIBE / UPDATE_FRAMEWORK offer_constraints, as sent and as the allocator evaluates them.
  mesos::v1::scheduler::OfferConstraints offer_constraints;
  std::map<std::string, allocator::ConstraintGroups> constraint_groups;
  bool multi_role = false;  // MULTI_ROLE capability
  bool connected = false;   // connected and active: written by the FrameworkBook only
  bool active = false;
  bool partition_aware = false;
  bool recovered = false;  // known from the registry or an agent, not re-subscribed yet
  // The link, written by the FrameworkBook only.
  std::shared_ptr<http::Stream> stream;
  std::string stream_id;
  http::ContentType content = http::ContentType::kJson;
  double registered_time = 0;
  double reregistered_time = 0;
  double unregistered_time = 0;
  // Its tasks, live and completed, are the TaskBook's.
  // agent id -> executor id -> executor
  std::unordered_map<std::string, std::unordered_map<std::string, Executor>> executors;
  Timers::TimerId heartbeat_timer = 0;
  Timers::TimerId failover_timer = 0;

  // What its tasks and executors use on all agents together (its offers are the OfferBook's).
  const Resources& used() const;

 private:
  friend class FrameworkBook;
  // Per agent: two agents' tasks may hold the same ports, which one sum merges, so the sum
  // could not give back what a task on one of them releases. used_ is that sum, made again
  // when read after a change.
  std::unordered_map<std::string, Resources> used_on_;
  mutable Resources used_;
  mutable bool used_stale_ = false;
};

class FrameworkBook {
 public:
  struct Hooks {
    std::function<void(Framework& framework)> heartbeat;
    std::function<void(const std::string& framework_id)> disconnected;
    std::function<void(const std::string& framework_id)> failover_expired;
  };
  using Frameworks = std::unordered_map<std::string, Framework>;

  FrameworkBook(Timers& timers, std::chrono::nanoseconds heartbeat_interval, size_t max_completed,
                Hooks hooks);
  ~FrameworkBook();
  FrameworkBook(const FrameworkBook&) = delete;
  FrameworkBook& operator=(const FrameworkBook&) = delete;

  Framework* find(const std::string& id);
  const Framework* find(const std::string& id) const;
  bool contains(const std::string& id) const { return frameworks_.contains(id); }
  const Frameworks& all() const { return frameworks_; }
  Frameworks& all() { return frameworks_; }
  size_t size() const { return frameworks_.size(); }
  // The completed frameworks, oldest first.
  const std::deque<Framework>& completed() const { return completed_; }
  // Whether the id belongs to a completed framework (which may not subscribe again).
  bool removed(const std::string& id) const;

  // The record of a subscribing or recovered framework: new (true) or known (false).
  std::pair<Framework&, bool> add(const std::string& id);
  // Makes `stream` the framework's link, closing the one it replaces: connected and active,
  // its failover timer stopped, heartbeats from now on.
  void attach(Framework& framework, std::shared_ptr<http::Stream> stream, std::string stream_id,
              http::ContentType content);
  // The framework has no link (it went away, or is recovered): not connected or active, and
  // it has its failover timeout, counted from now, to attach again.
  void awaitFailover(Framework& framework);
  // Moves a live framework to the completed ones (its link closed, not reported; its timers
  // stopped). Returns the ids of the completed frameworks dropped to keep the bound.
  std::vector<std::string> retire(const std::string& id);

  // Its tasks and executors on an agent take or give back resources.
  void use(Framework& framework, const std::string& agent_id, const Resources& resources);
  void release(Framework& framework, const std::string& agent_id, const Resources& resources);

  // Of the live frameworks, how many are connected, and how many active.
  size_t connectedCount() const { return connected_count_; }
  size_t activeCount() const { return active_count_; }

 private:
  // Sets the framework's connected and active flags, and the counts with them.
  void setLink(Framework& framework, bool connected, bool active);

  Timers& timers_;
  std::chrono::nanoseconds heartbeat_interval_;
  size_t max_completed_;
  Hooks hooks_;
  Frameworks frameworks_;
  std::deque<Framework> completed_;
  size_t connected_count_ = 0;
  size_t active_count_ = 0;
};

}  // namespace plateau::master
