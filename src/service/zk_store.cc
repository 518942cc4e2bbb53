#include "service/zk_store.h"

#include <zookeeper/zookeeper.h>

#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

namespace plateau::service {

std::string encodeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  bool dots = key == "." || key == "..";
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '%' || u < 0x21 || u > 0x7e || (dots && c == '.')) {
      out += fmt::format("%{:02X}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string decodeKey(std::string_view name) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size() && hex(name[i + 1]) >= 0 && hex(name[i + 2]) >= 0) {
      out += static_cast<char>(hex(name[i + 1]) * 16 + hex(name[i + 2]));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

namespace {

constexpr const char* kNoSlashBucket = "%";  // keys without '/' ("%" alone is never an encoding)
constexpr uint32_t kShards = 16;

// The C client's own log goes nowhere: the store reports its errors in Statuses.
void quiet(const char*) {}

Status zkError(int rc, std::string_view what) {
  StatusCode code = StatusCode::kInternal;
  switch (rc) {
    case ZNONODE:
      code = StatusCode::kNotFound;
      break;
    case ZNODEEXISTS:
      code = StatusCode::kAlreadyExists;
      break;
    case ZBADVERSION:
    case ZNOTEMPTY:
      code = StatusCode::kFailedPrecondition;
      break;
    case ZNOAUTH:
    case ZAUTHFAILED:
      code = StatusCode::kPermissionDenied;
      break;
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZSESSIONEXPIRED:
    case ZSESSIONMOVED:
    case ZCLOSING:
    case ZINVALIDSTATE:
      code = StatusCode::kUnavailable;
      break;
    default:
      break;
  }
  return {code, fmt::format("zookeeper store {}: {}", what, zerror(rc))};
}

class ZooKeeperStoreImpl final : public ZooKeeperStore {
 public:
  ZooKeeperStoreImpl(zk::Url url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout), root_(url_.path + "/state") {}
  ~ZooKeeperStoreImpl() override { close(); }

  Status open() {
    close();
    zh_ = zookeeper_init2(url_.servers.c_str(), nullptr, static_cast<int>(timeout_.count()),
                          nullptr, nullptr, 0, quiet);
    if (zh_ == nullptr) {
      return {StatusCode::kUnavailable,
              fmt::format("zookeeper store: cannot start a session with {}", url_.servers)};
    }
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (zoo_state(zh_) != ZOO_CONNECTED_STATE) {
      if (std::chrono::steady_clock::now() > deadline) {
        close();
        return {StatusCode::kUnavailable,
                fmt::format("zookeeper store: no connection to {} within {} ms", url_.servers,
                            timeout_.count())};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (url_.credentials) {
      std::string secret = url_.credentials->first + ":" + url_.credentials->second;
      if (int rc = zoo_add_auth(zh_, "digest", secret.data(), static_cast<int>(secret.size()),
                                nullptr, nullptr);
          rc != ZOK) {
        return zkError(rc, "auth");
      }
    }
    // mkdir -p of the state node.
    for (size_t at = 1; at <= root_.size(); ++at) {
      if (at != root_.size() && root_[at] != '/') continue;
      std::string part = root_.substr(0, at);
      int rc = zoo_create(zh_, part.c_str(), "", 0, acl(), 0, nullptr, 0);
      if (rc != ZOK && rc != ZNODEEXISTS) {
        return zkError(rc, "create " + part);
      }
    }
    return refreshKnown();
  }

  void setFence(std::string node_path) override { fence_ = std::move(node_path); }

  Result<std::map<std::string, std::string>> load(const std::string& prefix) override {
    auto result = withSession([&] { return loadOnce(prefix); });
    return result;
  }

  Status apply(const std::vector<Write>& writes) override {
    // The last write of a key wins; one op per key.
    std::map<std::string, std::optional<std::string>> last;
    for (const auto& w : writes) {
      if (w.key.empty()) {
        return {StatusCode::kInvalidArgument, "zookeeper store: an empty key"};
      }
      last[w.key] = w.value;
    }
    Status s = withSession([&] { return applyOnce(last); });
    if (s.code() == StatusCode::kAlreadyExists || s.code() == StatusCode::kNotFound) {
      // Our idea of which keys exist was stale (a write whose answer was lost): relearn, retry.
      if (Status r = refreshKnown(); !r.isOk()) {
        return r;
      }
      s = applyOnce(last);
    }
    return s;
  }

  std::string describe() const override { return "zk:" + url_.toString() + "/state"; }

 private:
  struct ::ACL_vector* acl() {
    return url_.credentials ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE;
  }

  void close() {
    if (zh_ != nullptr) {
      zookeeper_close(zh_);
      zh_ = nullptr;
    }
  }

  // Runs `fn`; after an expired session, opens a new one and runs it once more.
  template <class Fn>
  auto withSession(Fn fn) -> decltype(fn()) {
    using R = decltype(fn());
    auto failed = [](Status s) -> R {
      if constexpr (std::is_same_v<R, Status>) {
        return s;
      } else {
        return std::unexpected(std::move(s));
      }
    };
    if (zh_ == nullptr || zoo_state(zh_) == ZOO_EXPIRED_SESSION_STATE) {
      if (Status s = open(); !s.isOk()) {
        return failed(s);
      }
    }
    auto result = fn();
    if (zoo_state(zh_) == ZOO_EXPIRED_SESSION_STATE) {
      if (Status s = open(); !s.isOk()) {
        return failed(s);
      }
      result = fn();
    }
    return result;
  }

  Result<std::vector<std::string>> children(const std::string& path) {
    ::String_vector names{};
    int rc = zoo_get_children(zh_, path.c_str(), 0, &names);
    if (rc != ZOK) {
      return std::unexpected(zkError(rc, "list " + path));
    }
    std::vector<std::string> out(names.data, names.data + names.count);
    deallocate_String_vector(&names);
    return out;
  }

  // Every leaf (its full path and key) whose key may start with `prefix`: only the buckets that
  // can hold such keys are listed.
  Result<std::vector<std::pair<std::string, std::string>>> leaves(const std::string& prefix) {
    auto buckets = children(root_);
    if (!buckets) {
      return std::unexpected(buckets.error());
    }
    auto slash = prefix.find('/');
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& bucket : *buckets) {
      bool relevant;
      if (bucket == kNoSlashBucket) {
        relevant = slash == std::string::npos;
      } else {
        std::string segment = decodeKey(bucket);
        relevant = slash == std::string::npos ? segment.starts_with(prefix)
                                              : segment == prefix.substr(0, slash);
      }
      if (!relevant) continue;
      std::string bucket_path = root_ + "/" + bucket;
      auto shards = children(bucket_path);
      if (!shards) {
        return std::unexpected(shards.error());
      }
      for (const auto& shard : *shards) {
        std::string shard_path = bucket_path + "/" + shard;
        auto names = children(shard_path);
        if (!names) {
          return std::unexpected(names.error());
        }
        ensured_.insert(shard_path);
        for (const auto& name : *names) {
          std::string key = decodeKey(name);
          if (key.starts_with(prefix)) {
            out.emplace_back(shard_path + "/" + name, std::move(key));
          }
        }
      }
    }
    return out;
  }

  Status refreshKnown() {
    auto all = leaves("");
    if (!all) {
      return all.error();
    }
    known_.clear();
    for (auto& [path, key] : *all) {
      known_.insert(std::move(key));
    }
    return {};
  }

  Result<std::map<std::string, std::string>> loadOnce(const std::string& prefix) {
    auto found = leaves(prefix);
    if (!found) {
      return std::unexpected(found.error());
    }
    std::map<std::string, std::string> out;
    std::vector<char> buffer(1 << 20);
    for (const auto& [path, key] : *found) {
      known_.insert(key);
      int len = static_cast<int>(buffer.size());
      ::Stat stat{};
      int rc = zoo_get(zh_, path.c_str(), 0, buffer.data(), &len, &stat);
      if (rc == ZNONODE) {
        known_.erase(key);
        continue;
      }
      if (rc != ZOK) {
        return std::unexpected(zkError(rc, "get " + path));
      }
      out[key] = len > 0 ? std::string(buffer.data(), static_cast<size_t>(len)) : std::string();
    }
    return out;
  }

  // Where a key's node lives: <root>/<bucket>/<shard>, the bucket being the key's first
  // '/'-segment (so that a prefix load lists only its own kind of keys) and the shard one of 16
  // by hash (so that no directory grows past what one getChildren answer can carry).
  std::string shardOf(const std::string& key) const {
    auto slash = key.find('/');
    std::string bucket =
        slash == std::string::npos ? kNoSlashBucket : encodeKey(key.substr(0, slash));
    uint32_t h = 2166136261u;
    for (unsigned char c : key) {
      h = (h ^ c) * 16777619u;
    }
    return fmt::format("{}/{}/{:x}", root_, bucket, h % kShards);
  }

  // Creates the shard directory (and its bucket) when not known to exist.
  Status ensureShard(const std::string& shard_path) {
    if (ensured_.contains(shard_path)) {
      return {};
    }
    std::string bucket_path = shard_path.substr(0, shard_path.rfind('/'));
    for (const auto& path : {bucket_path, shard_path}) {
      int rc = zoo_create(zh_, path.c_str(), "", 0, acl(), 0, nullptr, 0);
      if (rc != ZOK && rc != ZNODEEXISTS) {
        return zkError(rc, "create " + path);
      }
    }
    ensured_.insert(shard_path);
    return {};
  }

  Status applyOnce(const std::map<std::string, std::optional<std::string>>& writes) {
    std::vector<std::string> paths;
    paths.reserve(writes.size() + 1);
    std::vector<zoo_op_t> ops;
    ops.reserve(writes.size() + 1);
    if (!fence_.empty()) {
      ops.emplace_back();
      zoo_check_op_init(&ops.back(), fence_.c_str(), -1);
    }
    for (const auto& [key, value] : writes) {
      std::string shard = shardOf(key);
      bool exists = known_.contains(key);
      if (value && !exists) {
        if (Status s = ensureShard(shard); !s.isOk()) {
          return s;
        }
      }
      paths.push_back(shard + "/" + encodeKey(key));
      const char* path = paths.back().c_str();
      if (value) {
        ops.emplace_back();
        int len = static_cast<int>(value->size());
        if (exists) {
          zoo_set_op_init(&ops.back(), path, value->data(), len, -1, nullptr);
        } else {
          zoo_create_op_init(&ops.back(), path, value->data(), len, acl(), 0, nullptr, 0);
        }
      } else if (exists) {
        ops.emplace_back();
        zoo_delete_op_init(&ops.back(), path, -1);
      }
    }
    if (ops.empty() || (ops.size() == 1 && !fence_.empty())) {
      return {};
    }
    std::vector<zoo_op_result_t> results(ops.size());
    int rc = zoo_multi(zh_, static_cast<int>(ops.size()), ops.data(), results.data());
    if (rc != ZOK) {
      if (!fence_.empty() && results[0].err == ZNONODE) {
        return {StatusCode::kFailedPrecondition,
                "zookeeper store: no longer the leader (" + fence_ + " is gone)"};
      }
      return zkError(rc, fmt::format("write of {} keys", writes.size()));
    }
    for (const auto& [key, value] : writes) {
      if (value) {
        known_.insert(key);
      } else {
        known_.erase(key);
      }
    }
    return {};
  }

  zk::Url url_;
  std::chrono::milliseconds timeout_;
  std::string root_;
  std::string fence_;
  zhandle_t* zh_ = nullptr;
  std::set<std::string> known_;    // keys that exist, as far as this store knows
  std::set<std::string> ensured_;  // shard directories known to exist
};

}  // namespace

Result<std::unique_ptr<ZooKeeperStore>> openZooKeeperStore(
    const zk::Url& url, std::chrono::milliseconds session_timeout) {
  auto store = std::make_unique<ZooKeeperStoreImpl>(url, session_timeout);
  if (Status s = store->open(); !s.isOk()) {
    return std::unexpected(s);
  }
  return std::unique_ptr<ZooKeeperStore>(std::move(store));
}

}  // namespace plateau::service
