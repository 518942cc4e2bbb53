#include "zookeeper/client.h"

#include <zookeeper/zookeeper.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "runtime/clock.h"

namespace plateau::zk {

namespace {

// Everything the C client hands back to a callback; owned by Impl until the C client is done
// with it (see Impl::adopt/release), so nothing leaks when the session closes first.
struct Context {
  virtual ~Context() = default;
  ZooKeeper::Impl* impl = nullptr;
};

std::string describe(int rc) { return zerror(rc); }

StatusCode codeFor(int rc) {
  switch (rc) {
    case ZOK:
      return StatusCode::kOk;
    case ZNONODE:
      return StatusCode::kNotFound;
    case ZNODEEXISTS:
      return StatusCode::kAlreadyExists;
    case ZBADVERSION:
    case ZNOTEMPTY:
    case ZNOCHILDRENFOREPHEMERALS:
      return StatusCode::kFailedPrecondition;
    case ZNOAUTH:
    case ZAUTHFAILED:
      return StatusCode::kPermissionDenied;
    case ZBADARGUMENTS:
    case ZINVALIDACL:
      return StatusCode::kInvalidArgument;
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZSESSIONEXPIRED:
    case ZSESSIONMOVED:
    case ZCLOSING:
    case ZINVALIDSTATE:
    case ZNOTHING:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

Status statusFor(int rc, const std::string& what) {
  if (rc == ZOK) {
    return Status::ok();
  }
  return Status(codeFor(rc), "zookeeper " + what + ": " + describe(rc));
}

Stat convert(const ::Stat* stat) {
  Stat out;
  if (stat != nullptr) {
    out.version = stat->version;
    out.ephemeral_owner = stat->ephemeralOwner;
  }
  return out;
}

int createFlags(bool ephemeral, bool sequential) {
  if (ephemeral) {
    return sequential ? ZOO_EPHEMERAL_SEQUENTIAL : ZOO_EPHEMERAL;
  }
  return sequential ? ZOO_PERSISTENT_SEQUENTIAL : ZOO_PERSISTENT;
}

const char* kindName(Op::Kind kind) {
  switch (kind) {
    case Op::Kind::kCreate:
      return "create";
    case Op::Kind::kSet:
      return "set";
    case Op::Kind::kDelete:
      return "delete";
    case Op::Kind::kCheck:
      return "check";
  }
  return "?";
}

// The C client's log callback has no context, so this filter cannot reach a per-component logger
// and keeps its throttle in statics. Session events already tell the owner what happened; keep
// only the client's errors, at most one a second (an unreachable server makes it log one every
// few milliseconds), on stderr as the C client itself would.
void logFromClient(const char* message) {
  static std::atomic<int64_t> next_ms{0};
  static std::atomic<int64_t> dropped{0};
  if (std::strstr(message, "ZOO_ERROR@") == nullptr) {
    return;
  }
  int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(systemClock().now().time_since_epoch())
          .count();
  int64_t next = next_ms.load();
  if (now < next || !next_ms.compare_exchange_strong(next, now + 1000)) {
    dropped.fetch_add(1);
    return;
  }
  int64_t skipped = dropped.exchange(0);
  if (skipped > 0) {
    std::fprintf(stderr, "%s (and %lld similar in the last second)\n", message,
                 static_cast<long long>(skipped));
  } else {
    std::fprintf(stderr, "%s\n", message);
  }
}

}  // namespace

struct ZooKeeper::Impl {
  Impl(EventLoop& loop, std::chrono::milliseconds timeout, std::function<void(SessionEvent)> fn)
      : loop(loop), timeout(timeout), on_session(std::move(fn)), weak_alive(alive) {}

  // Runs fn on the loop unless the ZooKeeper is destroyed first. Any thread.
  void deliver(std::function<void()> fn) {
    loop.post([weak = weak_alive, fn = std::move(fn)] {
      if (!weak.expired()) {
        fn();
      }
    });
  }

  template <class T>
  T* adopt(std::unique_ptr<T> ctx) {
    ctx->impl = this;
    T* raw = ctx.get();
    std::lock_guard lock(mu);
    contexts.emplace(raw, std::move(ctx));
    return raw;
  }

  // Takes a context back from the C client; null if it was never adopted or already released.
  template <class T>
  std::unique_ptr<T> release(const void* raw) {
    std::lock_guard lock(mu);
    const Context* key = static_cast<const T*>(raw);
    auto it = contexts.find(key);
    if (it == contexts.end()) {
      return nullptr;
    }
    std::unique_ptr<Context> owned = std::move(it->second);
    contexts.erase(it);
    return std::unique_ptr<T>(static_cast<T*>(owned.release()));
  }

  // The C client refused a request up front (its completion will never run): report rc.
  template <class T, class Fail>
  void refuse(T* ctx, int rc, Fail fail) {
    auto owned = release<T>(ctx);
    if (owned) {
      deliver([owned = std::shared_ptr<T>(std::move(owned)), rc, fail] { fail(*owned, rc); });
    }
  }

  struct ACL_vector* acl() {
    return credentials ? &creator_acl : &ZOO_OPEN_ACL_UNSAFE;
  }

  EventLoop& loop;
  std::chrono::milliseconds timeout;
  std::function<void(SessionEvent)> on_session;
  std::shared_ptr<char> alive = std::make_shared<char>();
  const std::weak_ptr<char> weak_alive;
  zhandle_t* zh = nullptr;
  bool credentials = false;
  std::array<ACL, 2> creator_acl_entries{};
  struct ACL_vector creator_acl {};
  // Loop-thread state.
  bool connected = false;
  bool expired = false;

  std::mutex mu;
  std::unordered_map<const Context*, std::unique_ptr<Context>> contexts;
};

namespace {

using Impl = ZooKeeper::Impl;

void onSession(zhandle_t*, int type, int state, const char*, void* raw) {
  if (type != ZOO_SESSION_EVENT) {
    return;
  }
  auto* impl = static_cast<Impl*>(raw);
  std::optional<SessionEvent> event;
  if (state == ZOO_CONNECTED_STATE) {
    event = SessionEvent::kConnected;
  } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
    event = SessionEvent::kDisconnected;
  } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
    event = SessionEvent::kExpired;
  }
  if (!event) {
    return;
  }
  impl->deliver([impl, event = *event] {
    if (impl->expired) {
      return;
    }
    bool was_connected = impl->connected;
    impl->connected = event == SessionEvent::kConnected;
    if (event == SessionEvent::kDisconnected && !was_connected) {
      return;
    }
    if (event == SessionEvent::kExpired) {
      impl->expired = true;
    }
    // A copy: the callback may destroy the ZooKeeper, and with it impl->on_session.
    auto on_session = impl->on_session;
    if (on_session) {
      on_session(event);
    }
  });
}

void onAuth(int, const void*) {}

// A one-shot watch; session events pass it by (on_session reports those).
struct WatchContext : Context {
  std::function<void()> fn;
};

void onWatch(zhandle_t*, int type, int, const char*, void* raw) {
  if (type == ZOO_SESSION_EVENT) {
    return;
  }
  auto* impl = static_cast<WatchContext*>(raw)->impl;
  auto owned = impl->release<WatchContext>(raw);
  if (owned && owned->fn) {
    impl->deliver(std::move(owned->fn));
  }
}

template <class Fn>
struct DoneContext : Context {
  std::string path;
  Fn done;
  WatchContext* watch = nullptr;  // adopted separately; dropped here if the watch was not set
};

template <class Fn>
std::unique_ptr<DoneContext<Fn>> releaseDone(const void* raw) {
  auto* impl = static_cast<const DoneContext<Fn>*>(raw)->impl;
  return impl->template release<DoneContext<Fn>>(raw);
}

using CreateDone = std::function<void(Result<std::string>)>;
using GetDone = std::function<void(Result<std::pair<std::string, Stat>>)>;
using StatDone = std::function<void(Result<Stat>)>;
using VoidDone = std::function<void(Status)>;
using ChildrenDone = std::function<void(Result<std::vector<std::string>>)>;
using ExistsDone = std::function<void(Result<bool>)>;

void onCreate(int rc, const char* value, const void* raw) {
  auto ctx = releaseDone<CreateDone>(raw);
  if (!ctx) {
    return;
  }
  Result<std::string> result = rc == ZOK ? Result<std::string>(value ? value : "")
                                         : std::unexpected(statusFor(rc, "create " + ctx->path));
  auto* impl = ctx->impl;
  impl->deliver([done = std::move(ctx->done), result = std::move(result)] { done(result); });
}

void onGet(int rc, const char* value, int len, const ::Stat* stat, const void* raw) {
  auto ctx = releaseDone<GetDone>(raw);
  if (!ctx) {
    return;
  }
  Result<std::pair<std::string, Stat>> result =
      rc == ZOK ? Result<std::pair<std::string, Stat>>(
                      std::pair(std::string(value != nullptr && len > 0 ? value : "",
                                            value != nullptr && len > 0 ? len : 0),
                                convert(stat)))
                : std::unexpected(statusFor(rc, "get " + ctx->path));
  auto* impl = ctx->impl;
  impl->deliver([done = std::move(ctx->done), result = std::move(result)] { done(result); });
}

void onSet(int rc, const ::Stat* stat, const void* raw) {
  auto ctx = releaseDone<StatDone>(raw);
  if (!ctx) {
    return;
  }
  Result<Stat> result =
      rc == ZOK ? Result<Stat>(convert(stat)) : std::unexpected(statusFor(rc, "set " + ctx->path));
  auto* impl = ctx->impl;
  impl->deliver([done = std::move(ctx->done), result] { done(result); });
}

void onRemove(int rc, const void* raw) {
  auto ctx = releaseDone<VoidDone>(raw);
  if (!ctx) {
    return;
  }
  Status status = statusFor(rc, "delete " + ctx->path);
  auto* impl = ctx->impl;
  impl->deliver([done = std::move(ctx->done), status] { done(status); });
}

// Drops the watch context of a request whose watch the server did not set.
void dropWatch(Impl* impl, WatchContext* watch, bool set) {
  if (watch != nullptr && !set) {
    impl->release<WatchContext>(watch);
  }
}

void onChildren(int rc, const struct String_vector* names, const void* raw) {
  auto ctx = releaseDone<ChildrenDone>(raw);
  if (!ctx) {
    return;
  }
  auto* impl = ctx->impl;
  dropWatch(impl, ctx->watch, rc == ZOK);
  Result<std::vector<std::string>> result = std::unexpected(statusFor(rc, "children " + ctx->path));
  if (rc == ZOK) {
    std::vector<std::string> out;
    for (int i = 0; names != nullptr && i < names->count; ++i) {
      out.emplace_back(names->data[i]);
    }
    result = std::move(out);
  }
  impl->deliver([done = std::move(ctx->done), result = std::move(result)] { done(result); });
}

void onExists(int rc, const ::Stat*, const void* raw) {
  auto ctx = releaseDone<ExistsDone>(raw);
  if (!ctx) {
    return;
  }
  auto* impl = ctx->impl;
  dropWatch(impl, ctx->watch, rc == ZOK || rc == ZNONODE);
  Result<bool> result = rc == ZOK       ? Result<bool>(true)
                        : rc == ZNONODE ? Result<bool>(false)
                                        : std::unexpected(statusFor(rc, "exists " + ctx->path));
  impl->deliver([done = std::move(ctx->done), result] { done(result); });
}

// A multi request's buffers, which the C client reads until the completion runs.
struct MultiContext : Context {
  std::vector<Op> ops;
  std::vector<zoo_op_t> zops;
  std::vector<zoo_op_result_t> results;
  std::vector<std::array<char, 1024>> created;
  std::vector<::Stat> stats;
  VoidDone done;
};

void onMulti(int rc, const void* raw) {
  auto* impl = static_cast<const MultiContext*>(raw)->impl;
  auto ctx = impl->release<MultiContext>(raw);
  if (!ctx) {
    return;
  }
  Status status;
  if (rc != ZOK) {
    status = statusFor(rc, "multi");
    for (size_t i = 0; i < ctx->results.size(); ++i) {
      int err = ctx->results[i].err;
      if (err != ZOK && err != ZRUNTIMEINCONSISTENCY) {
        const Op& op = ctx->ops[i];
        status = statusFor(
            err, "multi op " + std::to_string(i) + " (" + kindName(op.kind) + " " + op.path + ")");
        break;
      }
    }
  }
  impl->deliver([done = std::move(ctx->done), status] { done(status); });
}

}  // namespace

ZooKeeper::ZooKeeper(EventLoop& loop, Url url, std::chrono::milliseconds session_timeout,
                     std::function<void(SessionEvent)> on_session)
    : impl_(std::make_unique<Impl>(loop, session_timeout, std::move(on_session))) {
  if (url.credentials) {
    impl_->credentials = true;
    impl_->creator_acl_entries = {ACL{ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE},
                                  ACL{ZOO_PERM_ALL, ZOO_AUTH_IDS}};
    impl_->creator_acl = {2, impl_->creator_acl_entries.data()};
  }
  impl_->zh =
      zookeeper_init2(url.servers.c_str(), onSession, static_cast<int>(session_timeout.count()),
                      nullptr, impl_.get(), 0, logFromClient);
  if (impl_->zh == nullptr) {
    // No session can ever come from a handle that failed to start (e.g. an unresolvable host).
    Impl* impl = impl_.get();
    impl->deliver([impl] {
      impl->expired = true;
      auto on_session = impl->on_session;
      if (on_session) {
        on_session(SessionEvent::kExpired);
      }
    });
    return;
  }
  if (url.credentials) {
    std::string cert = url.credentials->first + ":" + url.credentials->second;
    zoo_add_auth(impl_->zh, "digest", cert.data(), static_cast<int>(cert.size()), onAuth, nullptr);
  }
}

ZooKeeper::~ZooKeeper() {
  impl_->alive.reset();
  if (impl_->zh != nullptr) {
    // Joins the C client's threads: no callback runs after this, so the contexts are ours.
    zookeeper_close(impl_->zh);
  }
}

void ZooKeeper::create(const std::string& path, const std::string& data, bool ephemeral,
                       bool sequential, std::function<void(Result<std::string>)> done) {
  auto ctx = std::make_unique<DoneContext<CreateDone>>();
  ctx->path = path;
  ctx->done = std::move(done);
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr
               ? ZINVALIDSTATE
               : zoo_acreate(impl_->zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                             impl_->acl(), createFlags(ephemeral, sequential), onCreate, raw);
  if (rc != ZOK) {
    impl_->refuse(raw, rc, [](DoneContext<CreateDone>& c, int rc) {
      c.done(std::unexpected(statusFor(rc, "create " + c.path)));
    });
  }
}

void ZooKeeper::createParents(const std::string& path, std::function<void(Status)> done) {
  // One persistent create per missing ancestor, root first; "exists" counts as success.
  auto prefixes = std::make_shared<std::vector<std::string>>();
  if (path.size() <= 1) {
    impl_->deliver([done = std::move(done)] { done(Status::ok()); });
    return;
  }
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    prefixes->push_back(path.substr(0, pos));
  }
  prefixes->push_back(path);
  auto step = std::make_shared<std::function<void(size_t)>>();
  *step = [this, prefixes, done = std::move(done), weak_step = std::weak_ptr(step)](size_t i) {
    if (i == prefixes->size()) {
      done(Status::ok());
      return;
    }
    auto next = weak_step.lock();
    create((*prefixes)[i], "", false, false, [i, done, next](Result<std::string> result) {
      if (!result && result.error().code() != StatusCode::kAlreadyExists) {
        done(result.error());
        return;
      }
      (*next)(i + 1);
    });
  };
  (*step)(0);
}

void ZooKeeper::get(const std::string& path,
                    std::function<void(Result<std::pair<std::string, Stat>>)> done) {
  auto ctx = std::make_unique<DoneContext<GetDone>>();
  ctx->path = path;
  ctx->done = std::move(done);
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr ? ZINVALIDSTATE : zoo_aget(impl_->zh, path.c_str(), 0, onGet, raw);
  if (rc != ZOK) {
    impl_->refuse(raw, rc, [](DoneContext<GetDone>& c, int rc) {
      c.done(std::unexpected(statusFor(rc, "get " + c.path)));
    });
  }
}

void ZooKeeper::set(const std::string& path, const std::string& data, int version,
                    std::function<void(Result<Stat>)> done) {
  auto ctx = std::make_unique<DoneContext<StatDone>>();
  ctx->path = path;
  ctx->done = std::move(done);
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr ? ZINVALIDSTATE
                                : zoo_aset(impl_->zh, path.c_str(), data.data(),
                                           static_cast<int>(data.size()), version, onSet, raw);
  if (rc != ZOK) {
    impl_->refuse(raw, rc, [](DoneContext<StatDone>& c, int rc) {
      c.done(std::unexpected(statusFor(rc, "set " + c.path)));
    });
  }
}

void ZooKeeper::remove(const std::string& path, int version, std::function<void(Status)> done) {
  auto ctx = std::make_unique<DoneContext<VoidDone>>();
  ctx->path = path;
  ctx->done = std::move(done);
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr ? ZINVALIDSTATE
                                : zoo_adelete(impl_->zh, path.c_str(), version, onRemove, raw);
  if (rc != ZOK) {
    impl_->refuse(raw, rc, [](DoneContext<VoidDone>& c, int rc) {
      c.done(statusFor(rc, "delete " + c.path));
    });
  }
}

void ZooKeeper::children(const std::string& path, std::function<void()> watch,
                         std::function<void(Result<std::vector<std::string>>)> done) {
  WatchContext* watch_ctx = nullptr;
  if (watch) {
    auto w = std::make_unique<WatchContext>();
    w->fn = std::move(watch);
    watch_ctx = impl_->adopt(std::move(w));
  }
  auto ctx = std::make_unique<DoneContext<ChildrenDone>>();
  ctx->path = path;
  ctx->done = std::move(done);
  ctx->watch = watch_ctx;
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr
               ? ZINVALIDSTATE
               : zoo_awget_children(impl_->zh, path.c_str(), watch_ctx ? onWatch : nullptr,
                                    watch_ctx, onChildren, raw);
  if (rc != ZOK) {
    dropWatch(impl_.get(), watch_ctx, false);
    impl_->refuse(raw, rc, [](DoneContext<ChildrenDone>& c, int rc) {
      c.done(std::unexpected(statusFor(rc, "children " + c.path)));
    });
  }
}

void ZooKeeper::exists(const std::string& path, std::function<void()> watch,
                       std::function<void(Result<bool>)> done) {
  WatchContext* watch_ctx = nullptr;
  if (watch) {
    auto w = std::make_unique<WatchContext>();
    w->fn = std::move(watch);
    watch_ctx = impl_->adopt(std::move(w));
  }
  auto ctx = std::make_unique<DoneContext<ExistsDone>>();
  ctx->path = path;
  ctx->done = std::move(done);
  ctx->watch = watch_ctx;
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr
               ? ZINVALIDSTATE
               : zoo_awexists(impl_->zh, path.c_str(), watch_ctx ? onWatch : nullptr, watch_ctx,
                              onExists, raw);
  if (rc != ZOK) {
    dropWatch(impl_.get(), watch_ctx, false);
    impl_->refuse(raw, rc, [](DoneContext<ExistsDone>& c, int rc) {
      c.done(std::unexpected(statusFor(rc, "exists " + c.path)));
    });
  }
}

void ZooKeeper::multi(std::vector<Op> ops, std::function<void(Status)> done) {
  if (ops.empty()) {
    impl_->deliver([done = std::move(done)] { done(Status::ok()); });
    return;
  }
  auto ctx = std::make_unique<MultiContext>();
  ctx->ops = std::move(ops);
  size_t n = ctx->ops.size();
  ctx->zops.resize(n);
  ctx->results.resize(n);
  ctx->created.resize(n);
  ctx->stats.resize(n);
  ctx->done = std::move(done);
  for (size_t i = 0; i < n; ++i) {
    const Op& op = ctx->ops[i];
    zoo_op_t* z = &ctx->zops[i];
    switch (op.kind) {
      case Op::Kind::kCreate:
        zoo_create_op_init(z, op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()),
                           impl_->acl(), createFlags(op.ephemeral, op.sequential),
                           ctx->created[i].data(), static_cast<int>(ctx->created[i].size()));
        break;
      case Op::Kind::kSet:
        zoo_set_op_init(z, op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()),
                        op.version, &ctx->stats[i]);
        break;
      case Op::Kind::kDelete:
        zoo_delete_op_init(z, op.path.c_str(), op.version);
        break;
      case Op::Kind::kCheck:
        zoo_check_op_init(z, op.path.c_str(), op.version);
        break;
    }
  }
  auto* raw = impl_->adopt(std::move(ctx));
  int rc = impl_->zh == nullptr ? ZINVALIDSTATE
                                : zoo_amulti(impl_->zh, static_cast<int>(n), raw->zops.data(),
                                             raw->results.data(), onMulti, raw);
  if (rc != ZOK) {
    impl_->refuse(raw, rc, [](MultiContext& c, int rc) { c.done(statusFor(rc, "multi")); });
  }
}

bool ZooKeeper::connected() const { return impl_->connected; }

int64_t ZooKeeper::sessionId() const {
  if (impl_->zh == nullptr) {
    return 0;
  }
  const clientid_t* id = zoo_client_id(impl_->zh);
  return id != nullptr ? id->client_id : 0;
}

std::chrono::milliseconds ZooKeeper::negotiatedTimeout() const {
  if (impl_->zh == nullptr) {
    return impl_->timeout;
  }
  return std::chrono::milliseconds(zoo_recv_timeout(impl_->zh));
}

}  // namespace plateau::zk
