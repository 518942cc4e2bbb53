#pragma once

// A service's life among its instances (plateau-apps, plateau-jobs): while this instance leads it
// runs a Term, the part that only a leader runs (scheduler, framework, API over the state), built
// when elected and destroyed when deposed; while it does not, API calls are proxied to the leader
// (leader_proxy.h), except those the service answers itself on a standby. With ZooKeeper the state
// is a ZooKeeperStore opened per term and fenced by the leader's candidacy node, so a deposed
// leader writes nothing more; without it the instance leads alone over a local store. Loop thread
// only.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "common/status.h"
#include "http/server.h"
#include "runtime/event_loop.h"
#include "service/kv_store.h"
#include "service/leader_proxy.h"
#include "service/leadership.h"
#include "zookeeper/url.h"

namespace plateau::service {

// What exists only while this instance leads. Destroying it stops it (its framework first).
class Term {
 public:
  virtual ~Term() = default;
  // Serves an API call while this instance leads.
  virtual void handle(http::Request& request, http::Responder responder) = 0;
};

struct LeaderTermsOptions {
  std::string name;           // "jobs": log events are "jobs_elected" ...
  std::optional<zk::Url> zk;  // state and election in ZooKeeper
  std::chrono::milliseconds zk_timeout{10000};
  KvStore* local_store = nullptr;  // the state without ZooKeeper (not owned)
};

class LeaderTerms {
 public:
  // Builds a term over `store`, which outlives the term. An error abdicates (with ZooKeeper:
  // another instance may do better) or, over a local store, stops the loop (fatal()).
  using Begin = std::function<Result<std::unique_ptr<Term>>(KvStore& store)>;
  // A standby's own answer to a call (e.g. /ping, /leader), nullopt to proxy it. `leader` is
  // the leader's address as last known.
  using Standby = std::function<std::optional<http::Response>(
      const http::Request& request, const std::optional<std::string>& leader)>;

  LeaderTerms(EventLoop& loop, LeaderTermsOptions options, std::shared_ptr<spdlog::logger> log);
  ~LeaderTerms();
  LeaderTerms(const LeaderTerms&) = delete;
  LeaderTerms& operator=(const LeaderTerms&) = delete;

  // Contends, as the API at `address` (host:port). Without ZooKeeper the first term begins
  // before this returns.
  void start(std::string address, Begin begin, Standby standby);
  // Ends the term (if any) and leaves the election.
  void stop();
  // Steps down after the current event; another instance (or this one, alone) leads next.
  void abdicate();

  // The term while leading, else the standby answer, else the proxy to the leader.
  void handle(http::Request& request, http::Responder responder);

  bool leading() const { return term_ != nullptr; }
  const std::optional<std::string>& leader() const { return leader_; }
  std::string describe() const;
  // A local store could not be read: the service cannot run.
  bool fatal() const { return fatal_; }

 private:
  void begin(const std::string& fence);
  void end(const std::string& why);

  EventLoop& loop_;
  LeaderTermsOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::string address_;
  Begin begin_;
  Standby standby_;
  std::unique_ptr<KvStore> zk_store_;  // this term's, when in ZooKeeper
  std::unique_ptr<Term> term_;
  std::optional<std::string> leader_;
  std::unique_ptr<LeaderProxy> proxy_;
  std::unique_ptr<Leadership> leadership_;
  bool fatal_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace plateau::service
