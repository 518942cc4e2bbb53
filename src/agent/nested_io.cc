#include "agent/nested_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace plateau::agent {

NestedIo::NestedIo(Fd output, Fd error, Fd input, bool tty, Post post, OnOutput on_output,
                   OnEnd on_end)
    : output_(std::move(output)),
      error_(std::move(error)),
      input_(std::move(input)),
      tty_(tty),
      post_(std::move(post)),
      on_output_(std::move(on_output)),
      on_end_(std::move(on_end)) {
  int wake[2] = {-1, -1};
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_.reset(wake[0]);
    wake_write_.reset(wake[1]);
  }
  if (tty_ && output_.get() >= 0) {
    tty_control_.reset(::fcntl(output_.get(), F_DUPFD_CLOEXEC, 3));
  }
  if (input_.get() >= 0) {
    ::fcntl(input_.get(), F_SETFL, ::fcntl(input_.get(), F_GETFL) | O_NONBLOCK);
  }
  thread_ = std::thread([this] { run(); });
}

NestedIo::~NestedIo() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake();
  thread_.join();
}

size_t NestedIo::write(std::string data) {
  size_t queued = 0;
  {
    std::lock_guard lock(mutex_);
    if (data.empty()) {
      end_input_ = true;
    } else if (!end_input_ && input_.get() >= 0) {
      queued_bytes_ += data.size();
      queue_.push_back(std::move(data));
    }
    queued = queued_bytes_;
  }
  wake();
  return queued;
}

void NestedIo::onInputBelow(size_t limit, std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  input_limit_ = limit;
  input_waiter_ = std::move(fn);
  maybeWakeInputWaiter();
}

void NestedIo::maybeWakeInputWaiter() {
  if (input_waiter_ && (queued_bytes_ < input_limit_ || input_.get() < 0)) {
    post_(std::exchange(input_waiter_, nullptr));
  }
}

void NestedIo::resize(uint16_t rows, uint16_t columns) {
  if (tty_control_.get() >= 0) {
    struct winsize size {};
    size.ws_row = rows;
    size.ws_col = columns;
    ::ioctl(tty_control_.get(), TIOCSWINSZ, &size);
  }
}

void NestedIo::wake() {
  char c = 1;
  ssize_t ignored = ::write(wake_write_.get(), &c, 1);
  (void)ignored;
}

void NestedIo::run() {
  while (step()) {
  }
  std::lock_guard lock(mutex_);
  if (!stop_) {
    post_([fn = on_end_] { fn(); });
  }
}

// Writes what stdin can take now; ends the input once asked and the queue is empty.
void NestedIo::writeInput() {
  std::lock_guard lock(mutex_);
  while (input_.get() >= 0 && !queue_.empty()) {
    std::string& front = queue_.front();
    ssize_t n = ::write(input_.get(), front.data(), front.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        return;
      }
      queue_.clear();  // the process closed its stdin: the rest has nowhere to go
      queued_bytes_ = 0;
      input_.reset();
      return maybeWakeInputWaiter();
    }
    queued_bytes_ -= static_cast<size_t>(n);
    front.erase(0, static_cast<size_t>(n));
    if (front.empty()) {
      queue_.pop_front();
    }
  }
  maybeWakeInputWaiter();
  if (end_input_ && queue_.empty() && input_.get() >= 0) {
    if (tty_) {
      const char eof = 4;  // VEOF: the terminal's end of input
      ssize_t ignored = ::write(input_.get(), &eof, 1);
      (void)ignored;
      end_input_ = false;
    } else {
      input_.reset();
    }
  }
}

bool NestedIo::step() {
  bool want_input = false;
  {
    std::lock_guard lock(mutex_);
    if (stop_) {
      return false;
    }
    want_input = input_.get() >= 0 && (!queue_.empty() || end_input_);
  }
  if (output_.get() < 0 && error_.get() < 0) {
    return false;
  }
  pollfd fds[4] = {{wake_read_.get(), POLLIN, 0},
                   {output_.get(), POLLIN, 0},
                   {error_.get(), POLLIN, 0},
                   {want_input ? input_.get() : -1, POLLOUT, 0}};
  if (::poll(fds, 4, -1) < 0) {
    return errno == EINTR;
  }
  if (fds[0].revents != 0) {
    char drain[64];
    while (::read(wake_read_.get(), drain, sizeof(drain)) > 0) {
    }
  }
  for (int i : {1, 2}) {
    if (fds[i].revents == 0) {
      continue;
    }
    Fd& fd = i == 1 ? output_ : error_;
    std::string data(64 << 10, '\0');
    ssize_t n = ::read(fd.get(), data.data(), data.size());
    if (n > 0) {
      data.resize(static_cast<size_t>(n));
      post_([fn = on_output_, error = i == 2, data = std::move(data)]() mutable {
        fn(error, std::move(data));
      });
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      fd.reset();  // end of file, or EIO once a terminal's last slave closed
    }
  }
  writeInput();
  return true;
}

}  // namespace plateau::agent
