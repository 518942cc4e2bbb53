#pragma once

// An asynchronous ZooKeeper session on an EventLoop, over the ZooKeeper C client (libzookeeper_mt).
// Every callback runs on the loop thread; none runs after the ZooKeeper object is destroyed, and a
// callback may destroy the object that called it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "runtime/event_loop.h"
#include "zookeeper/url.h"

namespace plateau::zk {

enum class SessionEvent { kConnected, kDisconnected, kExpired };

// One operation of a multi-op transaction.
struct Op {
  enum class Kind { kCreate, kSet, kDelete, kCheck } kind;
  std::string path;
  std::string data;
  int version = -1;  // -1: any version
  bool ephemeral = false;
  bool sequential = false;
};

// The parts of a znode's stat that callers use.
struct Stat {
  int version = 0;
  int64_t ephemeral_owner = 0;  // session id of an ephemeral node's owner, 0 otherwise
};

// Errors map to Status codes: NONODE -> kNotFound, NODEEXISTS -> kAlreadyExists, BADVERSION and
// NOTEMPTY -> kFailedPrecondition, NOAUTH -> kPermissionDenied, connection loss, timeouts and a
// closed or expired session -> kUnavailable, anything else -> kInternal.
class ZooKeeper {
 public:
  // Connects to url.servers (adds digest auth when credentials are given); `on_session` reports
  // connection changes on the loop. A session that expires never comes back: make a new object.
  // With credentials, nodes are created readable by anyone and writable only by their creator.
  ZooKeeper(EventLoop& loop, Url url, std::chrono::milliseconds session_timeout,
            std::function<void(SessionEvent)> on_session);
  // Closes the session (its ephemeral nodes go away at once); pending callbacks are dropped.
  ~ZooKeeper();
  ZooKeeper(const ZooKeeper&) = delete;
  ZooKeeper& operator=(const ZooKeeper&) = delete;

  // Creates a node; returns the created path (with the sequence suffix if sequential),
  // kAlreadyExists if it exists, kNotFound if its parent does not.
  void create(const std::string& path, const std::string& data, bool ephemeral, bool sequential,
              std::function<void(Result<std::string>)> done);
  // Creates `path` and its missing ancestors as persistent empty nodes (mkdir -p); existing is ok.
  void createParents(const std::string& path, std::function<void(Status)> done);
  // A node's data and stat; kNotFound if it does not exist.
  void get(const std::string& path, std::function<void(Result<std::pair<std::string, Stat>>)> done);
  // Replaces a node's data if its version matches (-1: any); kFailedPrecondition on a mismatch.
  void set(const std::string& path, const std::string& data, int version,
           std::function<void(Result<Stat>)> done);
  // Deletes a node if its version matches (-1: any); kFailedPrecondition on a mismatch or if it
  // has children.
  void remove(const std::string& path, int version, std::function<void(Status)> done);
  // Children names (not full paths). `watch`, if set, fires once (on the loop) when the children
  // change or the node is deleted; it is set only when `done` gets a value.
  void children(const std::string& path, std::function<void()> watch,
                std::function<void(Result<std::vector<std::string>>)> done);
  // Whether a node exists. `watch`, if set, fires once when the node is created, changed or
  // deleted; it is set when `done` gets a value (true or false).
  void exists(const std::string& path, std::function<void()> watch,
              std::function<void(Result<bool>)> done);
  // Runs `ops` all-or-nothing. On failure the Status names the failing op (index, kind, path)
  // and its code follows the mapping above.
  void multi(std::vector<Op> ops, std::function<void(Status)> done);

  // Whether the session is connected now (as last reported to `on_session`).
  bool connected() const;
  // The session id, 0 before the first connection.
  int64_t sessionId() const;
  // The session timeout the server granted, or the requested one before the first connection.
  std::chrono::milliseconds negotiatedTimeout() const;

  // Opaque; named here only so that the C client's callbacks in client.cc can reach it.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace plateau::zk
