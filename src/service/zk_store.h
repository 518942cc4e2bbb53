#pragma once

// A service's KvStore in ZooKeeper (--zk): one small znode per key, so that a write touches only
// the keys it changes and no node nears ZooKeeper's size limit. A key's node is
// "<url.path>/state/<bucket>/<shard>/<key>": the bucket is the key's first '/'-segment ("%" for
// keys without '/'), so that loading a prefix lists only that kind of key, and the shard one of 16
// by hash, so that no directory outgrows one getChildren answer. Names are percent-encoded keys
// ('/' and '%' cannot appear in a name). Writes go through one multi-op, all or nothing; with a
// fence set, every write also checks that the fence node (the leader's candidacy node) still
// exists, so a deposed leader cannot write.
//
// Synchronous, as KvStore promises: it uses the ZooKeeper C client's blocking calls on a session
// of its own, so the loop thread waits for each round trip (milliseconds on a healthy ensemble).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "service/kv_store.h"
#include "zookeeper/url.h"

namespace plateau::service {

class ZooKeeperStore : public KvStore {
 public:
  // Writes also check that this node exists (a full path); empty: no fence.
  virtual void setFence(std::string node_path) = 0;
};

// Connects (waiting up to `session_timeout` for the first connection) and creates the state node
// when missing. kUnavailable when ZooKeeper cannot be reached.
Result<std::unique_ptr<ZooKeeperStore>> openZooKeeperStore(
    const zk::Url& url, std::chrono::milliseconds session_timeout);

// The node name of a key ("apps//shop/web" -> "apps%2F%2Fshop%2Fweb") and back.
std::string encodeKey(std::string_view key);
std::string decodeKey(std::string_view name);

}  // namespace plateau::service
