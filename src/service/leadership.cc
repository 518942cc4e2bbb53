#include "service/leadership.h"

#include <spdlog/spdlog.h>

#include "common/json.h"
#include "common/uuid.h"
#include "zookeeper/election.h"

namespace plateau::service {

std::optional<std::string> addressOfContender(const std::string& data) {
  auto v = json::parse(data);
  if (!v || !(*v)["address"].isString() || (*v)["address"].asString().empty()) {
    return std::nullopt;
  }
  return (*v)["address"].asString();
}

namespace {

class SoleLeadership final : public Leadership {
 public:
  SoleLeadership(EventLoop& loop, std::string address)
      : loop_(loop), address_(std::move(address)) {}

  void start(Callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    lead();
  }
  void abdicate() override {
    if (!leading_) return;
    leading_ = false;
    callbacks_.deposed("abdicated");
    callbacks_.leader(std::nullopt);
    loop_.post([this, alive = std::weak_ptr<char>(alive_)] {
      if (!alive.expired()) lead();
    });
  }
  bool leading() const override { return leading_; }
  std::string describe() const override { return "sole"; }

 private:
  void lead() {
    leading_ = true;
    callbacks_.leader(address_);
    callbacks_.elected("");
  }

  EventLoop& loop_;
  std::string address_;
  Callbacks callbacks_;
  bool leading_ = false;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

class ZooKeeperLeadership final : public Leadership {
 public:
  ZooKeeperLeadership(EventLoop& loop, zk::Url url, std::chrono::milliseconds session_timeout,
                      std::string address)
      : loop_(loop), url_(std::move(url)), session_timeout_(session_timeout) {
    std::string data;
    json::Writer w(&data);
    w.beginObject();
    w.key("address");
    w.value(address);
    w.key("id");
    w.value(UuidGenerator(osRandomSeed()).text());
    w.endObject();
    data_ = std::move(data);
  }

  void start(Callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    contend();
  }

  void abdicate() override {
    if (!contender_ || !contender_->leading()) return;
    spdlog::info("leadership_abdicated zk={}", url_.toString());
    // Our node goes away with the session, so the next contender leads; ours comes after it.
    contender_.reset();
    callbacks_.deposed("abdicated");
    callbacks_.leader(std::nullopt);
    contend();
  }

  bool leading() const override { return contender_ && contender_->leading(); }
  std::string describe() const override { return "zk=" + url_.toString(); }

 private:
  void contend() {
    auto alive = std::weak_ptr<char>(alive_);
    contender_ = std::make_unique<zk::LeaderContender>(
        loop_, url_, session_timeout_, data_,
        zk::LeaderContender::Callbacks{.elected =
                                           [this, alive] {
                                             if (alive.expired() || !contender_) return;
                                             backoff_ = std::chrono::milliseconds(0);
                                             callbacks_.elected(contender_->nodePath());
                                           },
                                       .lost =
                                           [this, alive](const std::string& why) {
                                             if (alive.expired()) return;
                                             onLost(why);
                                           },
                                       .leader =
                                           [this, alive](std::optional<std::string> data) {
                                             if (alive.expired()) return;
                                             callbacks_.leader(data ? addressOfContender(*data)
                                                                    : std::nullopt);
                                           }});
    contender_->start();
  }

  void onLost(const std::string& why) {
    spdlog::warn("leadership_lost zk={} reason=\"{}\"", url_.toString(), why);
    callbacks_.deposed(why);
    callbacks_.leader(std::nullopt);
    backoff_ = std::min(std::max(backoff_ * 2, std::chrono::milliseconds(250)),
                        std::chrono::milliseconds(10000));
    auto alive = std::weak_ptr<char>(alive_);
    loop_.after(backoff_, [this, alive] {
      if (alive.expired()) return;
      contender_.reset();
      contend();
    });
  }

  EventLoop& loop_;
  zk::Url url_;
  std::chrono::milliseconds session_timeout_;
  std::string data_;
  Callbacks callbacks_;
  std::unique_ptr<zk::LeaderContender> contender_;
  std::chrono::milliseconds backoff_{0};
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace

std::unique_ptr<Leadership> makeSoleLeadership(EventLoop& loop, std::string address) {
  return std::make_unique<SoleLeadership>(loop, std::move(address));
}

std::unique_ptr<Leadership> makeZooKeeperLeadership(EventLoop& loop, zk::Url url,
                                                    std::chrono::milliseconds session_timeout,
                                                    std::string address) {
  return std::make_unique<ZooKeeperLeadership>(loop, std::move(url), session_timeout,
                                               std::move(address));
}

}  // namespace plateau::service
