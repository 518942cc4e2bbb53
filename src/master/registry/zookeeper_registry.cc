#include "master/registry/zookeeper_registry.h"

#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/message.h"

namespace plateau::master::registry {

namespace {

constexpr size_t kMaxTransactionBytes = 900 * 1024;
constexpr Change::Kind kKinds[] = {Change::Kind::kAgent,  Change::Kind::kUnreachable,
                                   Change::Kind::kGone,   Change::Kind::kFramework,
                                   Change::Kind::kWeight, Change::Kind::kMaintenance,
                                   Change::Kind::kQuota};

}  // namespace

ZooKeeperRegistry::ZooKeeperRegistry(EventLoop& loop, zk::ZooKeeper& zookeeper, std::string root,
                                     std::string leader)
    : loop_(loop),
      zk_(zookeeper),
      root_(std::move(root) + "/registry"),
      leader_(std::move(leader)) {}

std::string ZooKeeperRegistry::entryPath(Change::Kind kind, const std::string& id) const {
  // Ids may hold '/' (roles such as eng/ml): escape them into one znode name.
  return fmt::format("{}/{}/{}", root_, kindName(kind), http::urlEncode(id));
}

ZooKeeperRegistry::~ZooKeeperRegistry() = default;

void ZooKeeperRegistry::standBy() {
  if (!standby_) {
    VersionedStore& store = *this;  // a private base: converted where it is accessible
    standby_ = std::make_unique<StandbyCopy>(loop_.clock(), loop_, store);
  }
  standby_->start();
}

void ZooKeeperRegistry::recover(std::function<void(Result<State>)> done) {
  if (standby_) {
    standby_->stop();
  }
  std::vector<std::string> nodes;
  for (auto kind : kKinds) {
    nodes.push_back(fmt::format("{}/{}", root_, kindName(kind)));
  }
  nodes.push_back(versionPath());
  auto remaining = std::make_shared<size_t>(nodes.size());
  auto failed = std::make_shared<bool>(false);
  for (const auto& node : nodes) {
    zk_.createParents(node, [this, remaining, failed, done](Status status) {
      if (*failed) {
        return;
      }
      if (!status.isOk()) {
        *failed = true;
        return done(std::unexpected(status));
      }
      if (--*remaining == 0) {
        bumpEpoch([this, done](Status s) {
          if (!s.isOk()) {
            return done(std::unexpected(s));
          }
          recoverFenced(done);
        });
      }
    });
  }
}

// The epoch is ours now: no earlier leader can write, so the version read here is final until
// this master writes. The copy is the registry if it is of exactly that version and the version
// was last written by the leader before this one: a leader of a build that does not bump the
// version (an upgrade in progress) never wrote it, so its writes cannot hide behind it. This
// master then marks the version as its own, so that its successor can tell the same.
void ZooKeeperRegistry::recoverFenced(std::function<void(Result<State>)> done) {
  zk_.get(versionPath(), [this, done](Result<std::pair<std::string, zk::Stat>> version) {
    if (!version) {
      return done(std::unexpected(version.error()));
    }
    const bool ours = version->first == previous_leader_;
    std::optional<int> copied = standby_ ? standby_->version() : std::nullopt;
    auto copy = std::make_shared<std::optional<Snapshot>>(
        standby_ ? standby_->take(ours ? std::optional<int>(version->second.version) : std::nullopt)
                 : std::nullopt);
    if (*copy) {
      spdlog::info("registry_standby_copy_used version={} agents={} frameworks={}",
                   version->second.version, (*copy)->state.agents.size(),
                   (*copy)->state.frameworks.size());
    } else {
      spdlog::info(
          "registry_read_whole version={} standby_copy_version={} written_by_previous_leader={}",
          version->second.version, copied.value_or(-1), ours);
    }
    markVersion([this, done, copy](Status marked) {
      if (!marked.isOk()) {
        return done(std::unexpected(marked));
      }
      if (*copy) {
        existing_ = std::move((*copy)->keys);
        return done(std::move((*copy)->state));
      }
      readAll([this, done](Result<Snapshot> snapshot) {
        if (!snapshot) {
          return done(std::unexpected(snapshot.error()));
        }
        existing_ = std::move(snapshot->keys);
        done(std::move(snapshot->state));
      });
    });
  });
}

void ZooKeeperRegistry::markVersion(std::function<void(Status)> done) {
  zk_.multi(
      {zk::Op{.kind = zk::Op::Kind::kCheck, .path = root_ + "/epoch", .version = epoch_version_},
       zk::Op{.kind = zk::Op::Kind::kSet, .path = versionPath(), .data = leader_}},
      std::move(done));
}

void ZooKeeperRegistry::readVersion(std::function<void(Result<std::optional<int>>)> done) {
  zk_.get(versionPath(), [done](Result<std::pair<std::string, zk::Stat>> data) {
    if (data) {
      return done(std::optional<int>(data->second.version));
    }
    if (data.error().code() == StatusCode::kNotFound) {
      return done(std::optional<int>());
    }
    done(std::unexpected(data.error()));
  });
}

void ZooKeeperRegistry::watchVersion(std::function<void()> changed,
                                     std::function<void(Status)> done) {
  zk_.exists(versionPath(), std::move(changed),
             [done](Result<bool> exists) { done(exists ? Status() : exists.error()); });
}

// Takes the epoch from whoever held it (remembered: the leader before this one).
void ZooKeeperRegistry::bumpEpoch(std::function<void(Status)> done) {
  std::string path = root_ + "/epoch";
  zk_.get(path, [this, path, done](Result<std::pair<std::string, zk::Stat>> current) {
    if (current) {
      return zk_.set(path, leader_, current->second.version,
                     [this, done, previous = current->first](Result<zk::Stat> stat) {
                       if (!stat && stat.error().code() == StatusCode::kFailedPrecondition) {
                         return bumpEpoch(done);  // a racing contender bumped it first
                       }
                       if (!stat) {
                         return done(stat.error());
                       }
                       epoch_version_ = stat->version;
                       previous_leader_ = previous;
                       done({});
                     });
    }
    if (current.error().code() != StatusCode::kNotFound) {
      return done(current.error());
    }
    zk_.create(path, leader_, false, false, [this, done](Result<std::string> created) {
      if (!created && created.error().code() != StatusCode::kAlreadyExists) {
        return done(created.error());
      }
      // Created by us (version 0) or by a racing contender: bump once more to own it.
      bumpEpoch(done);
    });
  });
}

void ZooKeeperRegistry::readAll(std::function<void(Result<Snapshot>)> done) {
  struct Loading {
    Snapshot snapshot;
    int pending = 0;
    bool failed = false;
    int lists_left = static_cast<int>(std::size(kKinds));
  };
  auto loading = std::make_shared<Loading>();
  auto finish = [loading, done]() {
    if (!loading->failed && loading->lists_left == 0 && loading->pending == 0) {
      done(std::move(loading->snapshot));
    }
  };
  std::weak_ptr<bool> alive = alive_;
  for (auto kind : kKinds) {
    std::string dir = fmt::format("{}/{}", root_, kindName(kind));
    zk_.children(
        dir, nullptr,
        [this, alive, kind, dir, loading, done, finish](Result<std::vector<std::string>> names) {
          if (loading->failed || !alive.lock()) {
            return;
          }
          if (!names) {
            loading->failed = true;
            return done(std::unexpected(names.error()));
          }
          loading->lists_left--;
          for (const auto& name : *names) {
            loading->pending++;
            std::string path = dir + "/" + name;
            loading->snapshot.keys.insert(path);
            zk_.get(path, [kind, name, loading, done,
                           finish](Result<std::pair<std::string, zk::Stat>> data) {
              if (loading->failed) {
                return;
              }
              loading->pending--;
              if (!data) {
                loading->failed = true;
                return done(std::unexpected(data.error()));
              }
              Change change{kind, http::urlDecode(name), data->first, false};
              if (Status s = applyTo(loading->snapshot.state, change); !s.isOk()) {
                loading->failed = true;
                return done(std::unexpected(s));
              }
              finish();
            });
          }
          finish();
        });
  }
}

void ZooKeeperRegistry::apply(std::vector<Change> changes, std::function<void(Status)> done) {
  // Split into transactions under ZooKeeper's size cap, each fenced by the epoch check.
  std::vector<std::vector<zk::Op>> batches;
  std::vector<std::string> created;
  size_t bytes = kMaxTransactionBytes;
  for (const auto& change : changes) {
    std::string path = entryPath(change.kind, change.id);
    size_t size = path.size() + change.data.size() + 64;
    if (bytes + size > kMaxTransactionBytes) {
      batches.emplace_back();
      batches.back().push_back(zk::Op{
          .kind = zk::Op::Kind::kCheck, .path = root_ + "/epoch", .version = epoch_version_});
      // Every transaction advances the version, which standbys compare with their copy's.
      batches.back().push_back(
          zk::Op{.kind = zk::Op::Kind::kSet, .path = versionPath(), .data = leader_});
      bytes = 0;
    }
    bytes += size;
    zk::Op op{.path = path, .data = change.data};
    if (change.remove) {
      if (!existing_.contains(path)) {
        continue;
      }
      op.kind = zk::Op::Kind::kDelete;
      existing_.erase(path);
    } else if (existing_.contains(path)) {
      op.kind = zk::Op::Kind::kSet;
    } else {
      op.kind = zk::Op::Kind::kCreate;
      existing_.insert(path);
    }
    batches.back().push_back(std::move(op));
  }
  // Transactions go one after another; the first failure stops the rest.
  struct Run : std::enable_shared_from_this<Run> {
    zk::ZooKeeper& zk;
    std::vector<std::vector<zk::Op>> batches;
    std::function<void(Status)> done;
    size_t index = 0;
    Run(zk::ZooKeeper& z, std::vector<std::vector<zk::Op>> b, std::function<void(Status)> d)
        : zk(z), batches(std::move(b)), done(std::move(d)) {}
    void step() {
      if (index == batches.size()) {
        return done({});
      }
      zk.multi(batches[index], [self = shared_from_this()](Status status) {
        if (!status.isOk()) {
          return self->done(status);
        }
        self->index++;
        self->step();
      });
    }
  };
  std::make_shared<Run>(zk_, std::move(batches), std::move(done))->step();
}

}  // namespace plateau::master::registry
