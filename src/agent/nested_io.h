#pragma once

// Moves a nested container's stdio between its descriptors and the agent's loop: a thread of its
// own reads stdout and stderr as they come and writes queued stdin, so that the loop never blocks
// on a slow or silent process. What it reads reaches the loop through `post`, in order; the end
// (every output at end of file) is reported once, after the last data.

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/fd.h"

namespace plateau::agent {

class NestedIo {
 public:
  using Post = std::function<void(std::function<void()>)>;
  // Output read (`error`: from stderr), on the loop thread.
  using OnOutput = std::function<void(bool error, std::string data)>;
  // Every output reached end of file (or failed), on the loop thread; nothing follows.
  using OnEnd = std::function<void()>;

  // Takes the descriptors (any may be invalid: a pty has no separate stderr). With `tty`, the
  // end of input is sent as the terminal's end-of-file character rather than by closing.
  NestedIo(Fd output, Fd error, Fd input, bool tty, Post post, OnOutput on_output, OnEnd on_end);
  // Stops the thread and closes the descriptors; what was not yet read is dropped.
  ~NestedIo();
  NestedIo(const NestedIo&) = delete;
  NestedIo& operator=(const NestedIo&) = delete;

  // Queues bytes for stdin; an empty write ends the input once the queue is written. Returns the
  // bytes queued now (the sender's flow control: onInputBelow()).
  size_t write(std::string data);
  // Runs `fn` once, on the loop thread, when fewer than `limit` bytes wait for stdin (or stdin
  // closed and nothing will wait again); replaces an earlier one. Dropped if the I/O stops first.
  void onInputBelow(size_t limit, std::function<void()> fn);
  // Sets the terminal's window size (nothing without a tty).
  void resize(uint16_t rows, uint16_t columns);

 private:
  void run();
  // One round: polls and moves what can move. False once nothing is left to do.
  bool step();
  void wake();
  void writeInput();
  // Posts the input waiter if its condition holds (mutex_ held).
  void maybeWakeInputWaiter();

  Fd output_;
  Fd error_;
  Fd input_;
  Fd tty_control_;  // the terminal, for resize() from the loop thread
  bool tty_;
  Post post_;
  OnOutput on_output_;
  OnEnd on_end_;
  Fd wake_read_;
  Fd wake_write_;
  std::mutex mutex_;  // guards queue_, queued_bytes_, the input waiter, end_input_ and stop_
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  size_t input_limit_ = 0;
  std::function<void()> input_waiter_;
  bool end_input_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace plateau::agent
