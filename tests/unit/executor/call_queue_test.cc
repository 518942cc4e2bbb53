// The executor's serial call queue: one call in flight, calls in the order pushed, the next
// sent when the previous finishes however it finished.

#include "executor/call_queue.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace plateau::executor {
namespace {

// A sender that holds each call until the test finishes it.
struct HeldSender {
  std::vector<std::string> sent;  // bodies, in the order they went out
  std::vector<CallQueue::Finished> pending;

  CallQueue::Sender sender() {
    return [this](http::ClientRequest request, CallQueue::Finished finished) {
      sent.push_back(request.body);
      pending.push_back(std::move(finished));
    };
  }
  void finish(size_t i) { pending.at(i)(); }
};

http::ClientRequest call(const std::string& body) {
  return http::ClientRequest{
      .method = "POST", .path = "/api/v1/executor", .headers = {}, .body = body};
}

void pushAll(CallQueue& queue, std::initializer_list<std::string> bodies) {
  for (const auto& body : bodies) {
    queue.push(call(body));
  }
}

TEST(CallQueueTest, SendsOneAtATimeInTheOrderPushed) {
  HeldSender agent;
  CallQueue queue(agent.sender());
  pushAll(queue, {"STARTING", "RUNNING", "FINISHED"});
  // Only the first is out until it is answered.
  EXPECT_EQ(agent.sent, std::vector<std::string>{"STARTING"});
  EXPECT_TRUE(queue.inFlight());
  EXPECT_EQ(queue.queued(), 2u);
  agent.finish(0);
  EXPECT_EQ(agent.sent, (std::vector<std::string>{"STARTING", "RUNNING"}));
  agent.finish(1);
  agent.finish(2);
  EXPECT_EQ(agent.sent, (std::vector<std::string>{"STARTING", "RUNNING", "FINISHED"}));
  EXPECT_FALSE(queue.inFlight());
  EXPECT_EQ(queue.queued(), 0u);
}

TEST(CallQueueTest, AFinishThatComesTwiceSendsNothingExtra) {
  HeldSender agent;
  CallQueue queue(agent.sender());
  pushAll(queue, {"a", "b", "c"});
  agent.finish(0);
  agent.finish(0);  // a stale duplicate must not let "c" overtake "b"'s answer
  EXPECT_EQ(agent.sent, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(queue.inFlight());
}

TEST(CallQueueTest, ASenderThatFinishesAtOnceDrainsTheQueueWithoutRecursion) {
  std::vector<std::string> sent;
  int depth = 0;
  int max_depth = 0;
  CallQueue queue([&](http::ClientRequest request, CallQueue::Finished finished) {
    ++depth;
    max_depth = std::max(max_depth, depth);
    sent.push_back(request.body);
    finished();  // as a connection refused on the spot
    --depth;
  });
  for (int i = 0; i < 100; ++i) {
    queue.push(call(std::to_string(i)));
  }
  ASSERT_EQ(sent.size(), 100u);
  EXPECT_EQ(sent.front(), "0");
  EXPECT_EQ(sent.back(), "99");
  EXPECT_EQ(max_depth, 1);
  EXPECT_FALSE(queue.inFlight());
}

TEST(CallQueueTest, DropQueuedKeepsTheCallInFlight) {
  HeldSender agent;
  CallQueue queue(agent.sender());
  pushAll(queue, {"in-flight", "queued-1", "queued-2"});
  EXPECT_EQ(queue.dropQueued(), 2u);
  EXPECT_TRUE(queue.inFlight());
  agent.finish(0);
  EXPECT_EQ(agent.sent, std::vector<std::string>{"in-flight"});
  queue.push(call("later"));
  EXPECT_EQ(agent.sent, (std::vector<std::string>{"in-flight", "later"}));
}

TEST(CallQueueTest, AFinishAfterTheQueueIsGoneIsIgnored) {
  HeldSender agent;
  auto queue = std::make_unique<CallQueue>(agent.sender());
  pushAll(*queue, {"a", "b"});
  queue.reset();
  agent.finish(0);  // must not touch the destroyed queue
  EXPECT_EQ(agent.sent, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace plateau::executor
