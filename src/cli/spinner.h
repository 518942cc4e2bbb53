#pragma once

// A one-line progress indicator on stderr while a command waits; silent unless stderr is a
// terminal, so scripts and pipes never see it.

#include <unistd.h>

#include <cstdio>
#include <string>

namespace plateau::cli {

class Spinner {
 public:
  explicit Spinner(std::string message) : message_(std::move(message)), tty_(::isatty(2) == 1) {}
  ~Spinner() { clear(); }
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

  void setMessage(std::string message) { message_ = std::move(message); }
  // Draws the next frame; call it every 100 ms or so while waiting.
  void tick() {
    if (!tty_) return;
    static constexpr const char* kFrames[] = {"|", "/", "-", "\\"};
    std::fprintf(stderr, "\r\033[K%s %s", kFrames[frame_++ % 4], message_.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  // Erases the line (before printing a result, and on destruction).
  void clear() {
    if (tty_ && drawn_) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
      drawn_ = false;
    }
  }

 private:
  std::string message_;
  bool tty_;
  bool drawn_ = false;
  unsigned frame_ = 0;
};

}  // namespace plateau::cli
