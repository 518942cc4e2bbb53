#include "client/client_threads.h"

#include <fmt/format.h>

namespace plateau::client {

namespace {

constexpr auto kCallTimeout = std::chrono::seconds(10);

}  // namespace

ClientThreads::~ClientThreads() {
  if (io_thread_.joinable()) {
    join(std::chrono::nanoseconds(0));
  }
}

void ClientThreads::start(std::function<void()> first) {
  loop_.post(std::move(first));
  io_thread_ = std::thread([this] { loop_.run(); });
}

bool ClientThreads::stop() { return !stopped_.exchange(true); }

void ClientThreads::deliver(std::shared_ptr<const void> keep_alive, std::function<void()> fn) {
  callback_thread_.post([this, keep_alive = std::move(keep_alive), fn = std::move(fn)] {
    if (!stopped_) {
      fn();
    }
  });
}

void ClientThreads::markClosed() {
  {
    std::lock_guard lock(closed_mutex_);
    closed_ = true;
  }
  closed_cv_.notify_all();
}

void ClientThreads::join(std::chrono::nanoseconds grace) {
  {
    std::unique_lock lock(closed_mutex_);
    closed_cv_.wait_for(lock, grace, [this] { return closed_; });
  }
  loop_.stop();
  if (io_thread_.joinable()) {
    io_thread_.join();
  }
  // A callback still running (it may have called stop() itself) holds the owner's state alive;
  // wait for it, so that no user code runs after the library's handle is gone.
  callback_thread_.stopAndWait();
}

void postCall(http::Client& client, const http::Endpoint& endpoint, http::ClientRequest request,
              std::string_view library, std::string type, std::function<void()> done) {
  client.fetch(endpoint, std::move(request), kCallTimeout,
               [library = std::string(library), type = std::move(type),
                done = std::move(done)](Result<http::Response> r) {
                 if (!r) {
                   fmt::print(stderr, "plateau {} library: {} call failed: {}\n", library, type,
                              r.error().message());
                 } else if (r->status != 202) {
                   fmt::print(stderr, "plateau {} library: {} call refused: HTTP {} {}\n", library,
                              type, r->status, r->body);
                 }
                 done();
               });
}

}  // namespace plateau::client
