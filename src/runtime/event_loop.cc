#include "runtime/event_loop.h"

// Asio alone (no Beast): Boost 1.74's awaitable.hpp needs <utility> first.
#include <utility>

#include <boost/asio.hpp>

#include <map>

#include <fmt/format.h>

#include "common/invariant.h"

namespace plateau {

namespace asio = boost::asio;

struct EventLoop::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::map<TimerId, std::shared_ptr<asio::steady_timer>> timers;
  std::vector<std::unique_ptr<asio::signal_set>> signals;
  TimerId next_id = 1;

  // One period of a repeating timer: a fresh one-shot timer under the same id, due at
  // `deadline`, that arms the next period before it runs `fn` (which may cancel the id). The
  // handler holds `fn`; nothing refers to itself, so a loop destroyed with the timer still
  // pending frees everything.
  void arm(TimerId id, std::chrono::nanoseconds interval, asio::steady_timer::time_point deadline,
           std::shared_ptr<std::function<void()>> fn) {
    auto timer = std::make_shared<asio::steady_timer>(io, deadline);
    timers[id] = timer;
    timer->async_wait([this, id, interval, deadline, fn](boost::system::error_code ec) {
      auto it = timers.find(id);
      if (ec || it == timers.end()) {
        return;
      }
      arm(id, interval, deadline + interval, fn);
      (*fn)();
    });
  }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}
EventLoop::~EventLoop() = default;

namespace {

// An exception that escapes a handler (a timer, a posted callback, a signal, an I/O completion)
// is a broken invariant: the loop's state is no longer known to be whole.
[[noreturn]] void escaped(const char* what) {
  invariantBroken(fmt::format("an exception escaped an event-loop handler: {}", what));
}

}  // namespace

void EventLoop::run() {
  impl_->io.restart();
  try {
    impl_->io.run();
  } catch (const std::exception& e) {
    escaped(e.what());
  } catch (...) {
    escaped("(not a std::exception)");
  }
}

bool EventLoop::runUntil(const std::function<bool()>& fn, std::chrono::nanoseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  impl_->io.restart();
  while (!fn()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return fn();
    }
    try {
      impl_->io.run_one_for(deadline - now);
    } catch (const std::exception& e) {
      escaped(e.what());
    } catch (...) {
      escaped("(not a std::exception)");
    }
    if (impl_->io.stopped()) {
      impl_->io.restart();
    }
  }
  return true;
}

void EventLoop::stop() { impl_->io.stop(); }

void EventLoop::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

EventLoop::TimerId EventLoop::after(std::chrono::nanoseconds delay, std::function<void()> fn) {
  TimerId id = impl_->next_id++;
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
  impl_->timers[id] = timer;
  timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
    // cancel() cannot stop a handler already queued with success: it erased the id, though.
    auto it = impl_->timers.find(id);
    if (ec || it == impl_->timers.end()) {
      return;
    }
    impl_->timers.erase(it);
    fn();
  });
  return id;
}

EventLoop::TimerId EventLoop::every(std::chrono::nanoseconds interval, std::function<void()> fn) {
  TimerId id = impl_->next_id++;
  impl_->arm(id, interval, asio::steady_timer::clock_type::now() + interval,
             std::make_shared<std::function<void()>>(std::move(fn)));
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = impl_->timers.find(id);
  if (it == impl_->timers.end()) {
    return;
  }
  it->second->cancel();
  impl_->timers.erase(it);
}

void EventLoop::onSignal(int signo, std::function<void(int)> fn) {
  auto set = std::make_unique<asio::signal_set>(impl_->io, signo);
  auto* raw = set.get();
  auto handler = std::make_shared<std::function<void(boost::system::error_code, int)>>();
  *handler = [raw, fn = std::move(fn), handler](boost::system::error_code ec, int sig) {
    if (ec) {
      return;
    }
    fn(sig);
    raw->async_wait(*handler);
  };
  raw->async_wait(*handler);
  impl_->signals.push_back(std::move(set));
}

void* EventLoop::native() { return &impl_->io; }

}  // namespace plateau
