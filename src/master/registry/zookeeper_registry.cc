#include "master/registry/zookeeper_registry.h"

#include <memory>

#include <fmt/format.h>

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

void ZooKeeperRegistry::recover(std::function<void(Result<State>)> done) {
  auto remaining = std::make_shared<int>(static_cast<int>(std::size(kKinds)));
  auto failed = std::make_shared<bool>(false);
  for (auto kind : kKinds) {
    zk_.createParents(fmt::format("{}/{}", root_, kindName(kind)),
                      [this, remaining, failed, done](Status status) {
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
                            load(done);
                          });
                        }
                      });
  }
}

void ZooKeeperRegistry::bumpEpoch(std::function<void(Status)> done) {
  std::string path = root_ + "/epoch";
  zk_.set(path, leader_, -1, [this, path, done](Result<zk::Stat> stat) {
    if (stat) {
      epoch_version_ = stat->version;
      return done({});
    }
    if (stat.error().code() != StatusCode::kNotFound) {
      return done(stat.error());
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

void ZooKeeperRegistry::load(std::function<void(Result<State>)> done) {
  struct Loading {
    State state;
    int pending = 0;
    bool failed = false;
    bool listed_all = false;
    int lists_left = static_cast<int>(std::size(kKinds));
  };
  auto loading = std::make_shared<Loading>();
  auto finish = [loading, done]() {
    if (!loading->failed && loading->lists_left == 0 && loading->pending == 0) {
      done(std::move(loading->state));
    }
  };
  for (auto kind : kKinds) {
    std::string dir = fmt::format("{}/{}", root_, kindName(kind));
    zk_.children(dir, nullptr,
                 [this, kind, dir, loading, done, finish](Result<std::vector<std::string>> names) {
                   if (loading->failed) {
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
                     existing_.insert(path);
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
                       if (Status s = applyTo(loading->state, change); !s.isOk()) {
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
