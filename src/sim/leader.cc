#include "sim/leader.h"

#include <fmt/format.h>

#include "client/master_detector.h"

namespace plateau::sim {

Result<std::unique_ptr<Leader>> Leader::create(EventLoop& loop, std::string_view master) {
  std::unique_ptr<Leader> leader(new Leader());
  if (master.starts_with("zk://")) {
    auto detector = client::createMasterDetector(loop, master);
    if (!detector) {
      return std::unexpected(detector.error());
    }
    leader->detector_ = std::move(*detector);
    leader->probes_ = std::make_unique<SharedProbes>([&loop](const std::string& key,
                                                             std::function<void(bool)> answer) {
      auto master = http::Endpoint::parse(key);
      if (!master) {
        return answer(false);
      }
      http::fetch(loop, *master, {.method = "GET", .path = "/health", .headers = {}, .body = {}},
                  std::chrono::seconds(2), [answer = std::move(answer)](Result<http::Response> r) {
                    answer(r.has_value());
                  });
    });
    leader->detect();
    return leader;
  }
  size_t at = 0;
  while (at <= master.size()) {
    size_t comma = std::min(master.find(',', at), master.size());
    auto endpoint = http::Endpoint::parse(master.substr(at, comma - at));
    if (!endpoint) {
      return invalidArgument(fmt::format("'{}' in '{}': {}", master.substr(at, comma - at), master,
                                         endpoint.error().message()));
    }
    leader->list_.push_back(*endpoint);
    at = comma + 1;
  }
  leader->current_ = leader->list_.front();
  return leader;
}

Leader::Leader(http::Endpoint master) : list_{master}, current_(std::move(master)) {}

Leader::~Leader() = default;

void Leader::detect() {
  detector_->detect(detected_, [this](Result<client::MasterDetector::Leader> leader) {
    // A detection error (ZooKeeper unreachable) keeps the last leader until the next answer;
    // so does a moment with no leader (the old one gone, the next not yet elected).
    if (leader) {
      detected_ = *leader;
      if (*leader) {
        set(**leader);
      }
    }
    detect();
  });
}

void SharedProbes::ask(const std::string& key, std::function<void(bool)> done) {
  auto& waiting = waiting_[key];
  waiting.push_back(std::move(done));
  if (waiting.size() > 1) {
    return;  // its probe is on the way
  }
  probe_(key, [this, alive = alive_, key](bool answer) {
    if (!*alive) {
      return;
    }
    auto node = waiting_.extract(key);  // whoever asks from here on starts a new probe
    for (auto& done : node.mapped()) {
      done(answer);
    }
  });
}

void Leader::whenReachable(const http::Endpoint& master, std::function<void(bool)> done) {
  if (!probes_) {
    return done(true);
  }
  probes_->ask(master.toString(), std::move(done));
}

void Leader::unreachable(const http::Endpoint& tried) {
  if (list_.size() < 2 || !current_ || current_->toString() != tried.toString()) {
    return;
  }
  next_ = (next_ + 1) % list_.size();
  set(list_[next_]);
}

void Leader::set(std::optional<http::Endpoint> leader) {
  const bool first = !current_.has_value();
  current_ = std::move(leader);
  if (first) {
    return;
  }
  changes_++;
  for (const auto& listener : listeners_) {
    listener();
  }
}

}  // namespace plateau::sim
