#include "zookeeper/group.h"
#include "common/backoff.h"

#include <algorithm>
#include <charconv>

namespace plateau::zk {

namespace {

constexpr std::chrono::milliseconds kMinBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

std::optional<int64_t> sequenceOf(std::string_view name) {
  if (!name.starts_with(kContenderPrefix)) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(kContenderPrefix.size());
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::vector<std::string> contenders(const std::vector<std::string>& children) {
  std::vector<std::pair<int64_t, std::string>> found;
  for (const auto& child : children) {
    if (auto seq = sequenceOf(child)) {
      found.emplace_back(*seq, child);
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  out.reserve(found.size());
  for (auto& [seq, name] : found) {
    out.push_back(std::move(name));
  }
  return out;
}

GroupWatcher::GroupWatcher(EventLoop& loop, ZooKeeper& zk, std::string path,
                           std::function<void(View)> on_view)
    : loop_(loop), zk_(zk), path_(std::move(path)), on_view_(std::move(on_view)) {}

GroupWatcher::~GroupWatcher() = default;

void GroupWatcher::refresh() {
  if (in_flight_) {
    again_ = true;
    return;
  }
  in_flight_ = true;
  again_ = false;
  std::weak_ptr<char> weak = alive_;
  std::function<void()> watch;
  if (!children_watch_) {
    watch = [this, weak] {
      if (!weak.expired()) {
        children_watch_ = false;
        refresh();
      }
    };
  }
  bool watching = static_cast<bool>(watch);
  zk_.children(path_, std::move(watch),
               [this, weak, watching](Result<std::vector<std::string>> children) {
                 if (weak.expired()) {
                   return;
                 }
                 if (children && watching) {
                   children_watch_ = true;
                 }
                 onChildren(std::move(children));
               });
}

void GroupWatcher::onChildren(Result<std::vector<std::string>> children) {
  if (!children) {
    if (children.error().code() == StatusCode::kNotFound) {
      onMissingPath();
    } else {
      retry();
    }
    return;
  }
  View view;
  view.contenders = contenders(*children);
  if (view.contenders.empty()) {
    in_flight_ = false;
    backoff_ = std::chrono::milliseconds(0);
    if (again_) {
      refresh();
      return;
    }
    auto on_view = on_view_;
    on_view(std::move(view));
    return;
  }
  std::weak_ptr<char> weak = alive_;
  std::string leader = path_ + "/" + view.contenders.front();
  zk_.get(leader,
          [this, weak, view = std::move(view)](Result<std::pair<std::string, Stat>> data) mutable {
            if (weak.expired()) {
              return;
            }
            in_flight_ = false;
            if (!data) {
              // A leader that vanished meanwhile is a change: read the group again.
              if (data.error().code() == StatusCode::kNotFound) {
                refresh();
              } else {
                retry();
              }
              return;
            }
            backoff_ = std::chrono::milliseconds(0);
            if (again_) {
              refresh();
              return;
            }
            view.leader_data = std::move(data->first);
            auto on_view = on_view_;  // a copy: the callback may destroy this watcher
            on_view(std::move(view));
          });
}

void GroupWatcher::onMissingPath() {
  // No group yet: report it empty and wait for the path to appear.
  std::weak_ptr<char> weak = alive_;
  std::function<void()> watch;
  if (!exists_watch_) {
    watch = [this, weak] {
      if (!weak.expired()) {
        exists_watch_ = false;
        refresh();
      }
    };
  }
  bool watching = static_cast<bool>(watch);
  zk_.exists(path_, std::move(watch), [this, weak, watching](Result<bool> exists) {
    if (weak.expired()) {
      return;
    }
    in_flight_ = false;
    if (!exists) {
      retry();
      return;
    }
    if (watching) {
      exists_watch_ = true;
    }
    backoff_ = std::chrono::milliseconds(0);
    if (*exists || again_) {
      refresh();
      return;
    }
    auto on_view = on_view_;
    on_view(View{});
  });
}

void GroupWatcher::retry() {
  in_flight_ = false;
  if (retry_scheduled_) {
    return;
  }
  backoff_ = nextBackoff(backoff_, kMinBackoff, kMaxBackoff);
  retry_scheduled_ = true;
  std::weak_ptr<char> weak = alive_;
  loop_.after(backoff_, [this, weak] {
    if (weak.expired()) {
      return;
    }
    retry_scheduled_ = false;
    refresh();
  });
}

}  // namespace plateau::zk
