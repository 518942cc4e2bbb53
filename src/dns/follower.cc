#include "dns/follower.h"

#include <fmt/format.h>

namespace plateau::dns {

namespace {

// An operator API call, with the configured credential (a master that authenticates its
// read-write realm refuses calls without one).
http::ClientRequest apiCall(const Config& config, const std::string& type) {
  http::ClientRequest request{
      .method = "POST",
      .path = "/api/v1",
      .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
      .body = fmt::format(R"({{"type":"{}"}})", type)};
  if (std::string authorization = config.authorization(); !authorization.empty()) {
    request.headers["authorization"] = std::move(authorization);
  }
  return request;
}

class MastersListDetector : public client::MasterDetector {
 public:
  MastersListDetector(EventLoop& loop, std::vector<http::Endpoint> masters)
      : loop_(loop), masters_(std::move(masters)) {}
  ~MastersListDetector() override { *alive_ = false; }

  void detect(const Leader& previous, Callback done) override {
    if (previous.has_value() || masters_.empty()) {
      return;  // a list never changes by itself
    }
    http::Endpoint next = masters_[next_++ % masters_.size()];
    loop_.post([alive = alive_, done = std::move(done), next] {
      if (*alive) {
        done(Leader(next));
      }
    });
  }

 private:
  EventLoop& loop_;
  std::vector<http::Endpoint> masters_;
  size_t next_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<client::MasterDetector> mastersListDetector(EventLoop& loop,
                                                            std::vector<std::string> masters) {
  std::vector<http::Endpoint> endpoints;
  for (const auto& master : masters) {
    if (auto endpoint = http::Endpoint::parse(master, 5050)) {
      endpoints.push_back(*endpoint);
    }
  }
  return std::make_unique<MastersListDetector>(loop, std::move(endpoints));
}

StateFollower::StateFollower(EventLoop& loop, const Config& config,
                             client::MasterDetector& detector, DnsMetrics& metrics,
                             std::shared_ptr<spdlog::logger> log, std::function<void()> changed)
    : loop_(loop),
      config_(config),
      metrics_(metrics),
      log_(std::move(log)),
      changed_(std::move(changed)),
      subscription_(
          client::Subscription::Options{.peer = "master",
                                        .request_timeout = std::chrono::seconds(10),
                                        .reconnect = {.backoff_min = std::chrono::milliseconds(50),
                                                      .backoff_max = std::chrono::seconds(2)},
                                        .max_redirects = 3},
          client::Subscription::Callbacks{
              .request = [this] { return apiCall(config_, "SUBSCRIBE"); },
              .data = [this](recordio::Decoder& decoder,
                             std::string_view chunk) { return onChunk(decoder, chunk); },
              .closed =
                  [this](const client::Subscription::Closed& closed) {
                    log_->warn("master_stream_closed why=\"{}\" was_subscribed={}", closed.why,
                               closed.was_subscribed);
                  }},
          detector, loop, loop.clock(), client::streamsOn(loop)) {}

StateFollower::~StateFollower() {
  *alive_ = false;
  if (resync_timer_ != 0) {
    loop_.cancel(resync_timer_);
  }
  subscription_.close();
}

void StateFollower::start() {
  subscription_.start();
  resync_timer_ = loop_.every(std::chrono::seconds(config_.refresh_seconds), [this] { resync(); });
}

Result<size_t> StateFollower::onChunk(recordio::Decoder& decoder, std::string_view chunk) {
  auto records = decoder.decode(chunk);
  if (!records) {
    return std::unexpected(records.error());
  }
  for (const auto& record : *records) {
    auto event = json::parse(record);
    if (!event || !event->isObject()) {
      return invalidArgument(
          fmt::format("Undecodable event in the master's stream ({} bytes)", record.size()));
    }
    onEvent(*event);
  }
  return records->size();
}

void StateFollower::onEvent(const json::Value& event) {
  metrics_.streamEvent();
  const std::string& type = event["type"].asString();
  if (type == "SUBSCRIBED") {
    subscription_.subscribed();
    double heartbeat = event["subscribed"]["heartbeat_interval_seconds"].asDouble();
    if (heartbeat > 0) {
      subscription_.setHeartbeatTimeout(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(heartbeat * 2 + 5)));
    }
    state_.apply(event);
    log_->info("master_subscribed master={} agents={} frameworks={} tasks={}",
               subscription_.peer() ? subscription_.peer()->toString() : "", state_.agents().size(),
               state_.frameworks().size(), state_.tasks().size());
    changed_();
    fetchLeader();
    return;
  }
  if (state_.apply(event)) {
    changed_();
  }
}

void StateFollower::call(const std::string& type, std::function<void(const json::Value&)> done) {
  const auto& peer = subscription_.peer();
  if (!peer || !subscription_.isSubscribed()) {
    return;
  }
  http::fetch(
      loop_, *peer, apiCall(config_, type), std::chrono::seconds(config_.state_timeout_seconds),
      [this, alive = alive_, type, done = std::move(done)](Result<http::Response> r) {
        if (!*alive) {
          return;
        }
        if (!r || r->status != 200) {
          log_->warn("master_call_failed type={} error=\"{}\"", type,
                     r ? fmt::format("status {}", r->status) : r.error().message());
          return;
        }
        auto body = json::parse(r->body);
        if (!body) {
          log_->warn("master_call_failed type={} error=\"{}\"", type, body.error().message());
          return;
        }
        done(*body);
      });
}

void StateFollower::fetchLeader() {
  call("GET_MASTER", [this](const json::Value& body) {
    const auto& info = body["get_master"]["master_info"];
    std::string pid = info["pid"].asString();
    const auto& address = info["address"];
    if (address["ip"].isString() && address["port"].toInt64()) {
      pid = fmt::format("master@{}:{}", address["ip"].asString(), *address["port"].toInt64());
    }
    if (pid.empty()) {
      return;
    }
    if (pid != state_.leader()) {
      log_->info("leader_detected leader={}", pid);
    }
    state_.setLeader(pid);
    changed_();
  });
}

void StateFollower::resync() {
  call("GET_STATE", [this](const json::Value& body) {
    metrics_.resync();
    state_.reset(body["get_state"]);
    changed_();
  });
  fetchLeader();
}

}  // namespace plateau::dns
