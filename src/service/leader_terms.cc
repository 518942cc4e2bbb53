#include "service/leader_terms.h"

#include "service/router.h"
#include "service/zk_store.h"

namespace plateau::service {

LeaderTerms::LeaderTerms(EventLoop& loop, LeaderTermsOptions options,
                         std::shared_ptr<spdlog::logger> log)
    : loop_(loop), options_(std::move(options)), log_(std::move(log)) {}

LeaderTerms::~LeaderTerms() {
  *alive_ = false;
  stop();
}

void LeaderTerms::start(std::string address, Begin begin, Standby standby) {
  address_ = std::move(address);
  begin_ = std::move(begin);
  standby_ = std::move(standby);
  proxy_ = std::make_unique<LeaderProxy>(loop_, address_);
  leadership_ = options_.zk
                    ? makeZooKeeperLeadership(loop_, *options_.zk, options_.zk_timeout, address_)
                    : makeSoleLeadership(loop_, address_);
  leadership_->start({.elected = [this](const std::string& fence) { this->begin(fence); },
                      .deposed = [this](const std::string& why) { end(why); },
                      .leader =
                          [this](std::optional<std::string> a) {
                            if (a != leader_) {
                              log_->info("{}_leader leader={}", options_.name, a.value_or("none"));
                            }
                            leader_ = std::move(a);
                          }});
}

void LeaderTerms::begin(const std::string& fence) {
  KvStore* store = options_.local_store;
  if (options_.zk) {
    auto opened = openZooKeeperStore(*options_.zk, options_.zk_timeout);
    if (opened) {
      (*opened)->setFence(fence);
      store = opened->get();
      zk_store_ = std::move(*opened);
    } else {
      log_->error("{}_term_failed error=\"{}\"", options_.name, opened.error().message());
      abdicate();
      return;
    }
  }
  auto term = begin_(*store);
  if (!term) {
    log_->error("{}_term_failed error=\"{}\"", options_.name, term.error().message());
    zk_store_.reset();
    if (!options_.zk) {
      fatal_ = true;  // a local store that cannot be read will not heal by itself
      loop_.stop();
      return;
    }
    abdicate();
    return;
  }
  term_ = std::move(*term);
  log_->info("{}_elected address={} store={}", options_.name, address_, store->describe());
}

void LeaderTerms::end(const std::string& why) {
  if (!term_) {
    return;
  }
  log_->warn("{}_deposed reason=\"{}\"", options_.name, why);
  term_.reset();
  zk_store_.reset();
}

void LeaderTerms::abdicate() {
  auto alive = alive_;
  loop_.post([this, alive] {
    if (*alive && leadership_) {
      leadership_->abdicate();
    }
  });
}

void LeaderTerms::stop() {
  end("stopping");
  leadership_.reset();
}

std::string LeaderTerms::describe() const {
  return leadership_ ? leadership_->describe() : "stopped";
}

void LeaderTerms::handle(http::Request& request, http::Responder responder) {
  if (term_) {
    term_->handle(request, std::move(responder));
    return;
  }
  if (standby_) {
    if (auto answer = standby_(request, leader_)) {
      responder.respond(std::move(*answer));
      return;
    }
  }
  if (!proxy_) {
    responder.respond(messageAnswer(503, "Not started"));
    return;
  }
  proxy_->forward(request, leader_, std::move(responder));
}

}  // namespace plateau::service
