#pragma once

// The replay's agenda: events in virtual time, earliest first, ties in the order they were
// scheduled (a sequence number), so that a run never depends on heap internals or the wall clock.

#include <cstdint>
#include <queue>
#include <vector>

namespace plateau::sim::replay {

enum class EventKind : uint8_t { kArrival, kTaskEnd, kRound, kTriggeredRound, kSample };

struct Event {
  int64_t time_us = 0;
  uint64_t seq = 0;
  EventKind kind = EventKind::kRound;
  uint32_t index = 0;  // kArrival: the job; kTaskEnd: the running group
};

// Guarantees: pop() returns events ordered by (time_us, seq); seq grows with every push.
class EventQueue {
 public:
  void push(int64_t time_us, EventKind kind, uint32_t index = 0) {
    heap_.push(Event{time_us, next_seq_++, kind, index});
  }
  bool empty() const { return heap_.empty(); }
  const Event& top() const { return heap_.top(); }
  Event pop() {
    Event e = heap_.top();
    heap_.pop();
    return e;
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time_us != b.time_us ? a.time_us > b.time_us : a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace plateau::sim::replay
