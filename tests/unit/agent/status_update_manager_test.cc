// The agent's status update streams in virtual time: ordering, retries with backoff,
// reconnection, checkpoint hooks and acknowledgements, without sockets or sleeps.

#include "agent/status_update_manager.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes/virtual_time.h"

namespace plateau::agent {
namespace {

using namespace std::chrono_literals;
namespace v1 = mesos::v1;
using plateau::testing::VirtualTime;

v1::TaskStatus status(const std::string& task, v1::TaskState state, const std::string& uuid) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task);
  s.set_state(state);
  s.set_uuid(uuid);
  s.mutable_executor_id()->set_value("e1");
  return s;
}

// Records what the manager asks of the agent, with the virtual time of each call.
struct Recorder {
  VirtualTime time;
  std::vector<std::string> calls;           // "forward t1 u1", "update t1 u1", "ack t1 u1"
  std::vector<std::chrono::seconds> sends;  // when each forward happened

  StatusUpdateManager::Hooks hooks() {
    return {.forward =
                [this](const std::string&, const v1::TaskStatus& s, v1::TaskState) {
                  calls.push_back("forward " + s.task_id().value() + " " + s.uuid());
                  sends.push_back(std::chrono::duration_cast<std::chrono::seconds>(
                      time.now().time_since_epoch()));
                },
            .checkpoint_update =
                [this](const std::string&, const std::string&, const v1::TaskStatus& s) {
                  calls.push_back("update " + s.task_id().value() + " " + s.uuid());
                },
            .checkpoint_ack =
                [this](const std::string&, const std::string&, const std::string& task,
                       const std::string& uuid) { calls.push_back("ack " + task + " " + uuid); }};
  }
};

TEST(StatusUpdateManager, SendsOneUpdateAtATimeInOrder) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.setConnected(true);
  ASSERT_TRUE(m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u1"), false));
  ASSERT_TRUE(m.update("f1", "e1", status("t1", v1::TASK_FINISHED, "u2"), false));
  EXPECT_EQ(r.calls, std::vector<std::string>{"forward t1 u1"});

  EXPECT_FALSE(m.acknowledge("f1", "t1", "u2"));  // not the head: ignored
  EXPECT_TRUE(m.isPending("f1", "t1", "u2"));
  auto first = m.acknowledge("f1", "t1", "u1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status.uuid(), "u1");
  EXPECT_FALSE(first->stream_ended);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"forward t1 u1", "forward t1 u2"}));
  EXPECT_TRUE(m.wasAcknowledged("f1", "t1", "u1"));

  auto last = m.acknowledge("f1", "t1", "u2");
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->stream_ended);
  EXPECT_EQ(m.streams(), 0u);
  EXPECT_EQ(r.time.pending(), 0u);  // no retry left behind
}

TEST(StatusUpdateManager, RetriesWithDoublingBackoffUpToTenMinutes) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.setConnected(true);
  m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u1"), false);
  r.time.advance(3h);
  // Sent at 0, then after 10, 20, 40, 80, 160, 320 s, then every 600 s.
  std::vector<std::chrono::seconds> expected = {0s, 10s, 30s, 70s, 150s, 310s, 630s};
  for (auto t = 1230s; t <= 3h; t += 600s) {
    expected.push_back(t);
  }
  EXPECT_EQ(r.sends, expected);
  // An acknowledgement stops the retries and resets the backoff for the next update.
  ASSERT_TRUE(m.acknowledge("f1", "t1", "u1"));
  size_t before = r.sends.size();
  m.update("f1", "e1", status("t1", v1::TASK_FINISHED, "u2"), false);
  r.time.advance(10s);
  EXPECT_EQ(r.sends.size(), before + 2);  // sent at once, and retried after 10 s again
}

TEST(StatusUpdateManager, WaitsForTheMasterAndResendsWhenItComesBack) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u1"), false);
  m.update("f2", "e2", status("t2", v1::TASK_RUNNING, "v1"), false);
  r.time.advance(1h);
  EXPECT_TRUE(r.calls.empty());
  m.setConnected(true);
  ASSERT_EQ(r.calls.size(), 2u);  // each stream's head, once
  r.time.advance(10s);
  EXPECT_EQ(r.calls.size(), 4u) << "the backoff starts over from the retry interval";
  m.setConnected(false);
  r.time.advance(1h);
  EXPECT_EQ(r.calls.size(), 4u);
}

TEST(StatusUpdateManager, NothingFollowsATerminalUpdate) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.setConnected(true);
  ASSERT_TRUE(m.update("f1", "e1", status("t1", v1::TASK_FAILED, "u1"), false));
  EXPECT_FALSE(m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u2"), false));
  EXPECT_FALSE(m.isPending("f1", "t1", "u2"));
}

TEST(StatusUpdateManager, ACheckpointingStreamWritesBeforeItSendsAndForgets) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.setConnected(true);
  m.update("f1", "e1", status("t1", v1::TASK_FINISHED, "u1"), true);
  EXPECT_TRUE(m.hasPendingCheckpointed("f1", "e1"));
  EXPECT_FALSE(m.hasPendingCheckpointed("f1", "e2"));
  auto acked = m.acknowledge("f1", "t1", "u1");
  ASSERT_TRUE(acked);
  EXPECT_TRUE(acked->checkpoint);
  EXPECT_EQ(acked->executor_id, "e1");
  EXPECT_EQ(r.calls, (std::vector<std::string>{"update t1 u1", "forward t1 u1", "ack t1 u1"}));
  EXPECT_FALSE(m.hasPendingCheckpointed("f1", "e1"));
}

TEST(StatusUpdateManager, ARecoveredStreamResumesWhereItStopped) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.recover("f1", "e1", "t1", v1::TASK_FINISHED, {"u1"},
            {status("t1", v1::TASK_RUNNING, "u2"), status("t1", v1::TASK_FINISHED, "u3")});
  EXPECT_TRUE(m.wasAcknowledged("f1", "t1", "u1"));
  EXPECT_TRUE(m.isPending("f1", "t1", "u3"));
  EXPECT_FALSE(m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u4"), true));
  m.setConnected(true);
  EXPECT_EQ(r.calls, std::vector<std::string>{"forward t1 u2"});
  ASSERT_TRUE(m.acknowledge("f1", "t1", "u2"));
  auto last = m.acknowledge("f1", "t1", "u3");
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->stream_ended);
  EXPECT_EQ(r.calls.back(), "ack t1 u3");
}

// What the agent reports as a task's status_update_state/uuid when it registers again, as
// Mesos's agent: the update a master was last sent, acknowledged or not; never one still
// waiting behind it, nor one generated while no master was there.
TEST(StatusUpdateManager, KnowsTheUpdateAMasterWasLastSent) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  ASSERT_TRUE(m.update("f1", "e1", status("t1", v1::TASK_STARTING, "u1"), false));
  EXPECT_FALSE(m.lastSent("f1", "t1")) << "not connected: nothing was sent";
  m.setConnected(true);
  ASSERT_TRUE(m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u2"), false));
  auto sent = m.lastSent("f1", "t1");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->state, v1::TASK_STARTING) << "TASK_RUNNING waits behind the unacknowledged head";
  EXPECT_EQ(sent->uuid, "u1");

  ASSERT_TRUE(m.acknowledge("f1", "t1", "u1"));
  sent = m.lastSent("f1", "t1");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->state, v1::TASK_RUNNING);
  EXPECT_EQ(sent->uuid, "u2");

  // Acknowledged while the link is down: the acknowledged one stays the last sent.
  m.setConnected(false);
  ASSERT_TRUE(m.update("f1", "e1", status("t1", v1::TASK_FINISHED, "u3"), false));
  ASSERT_TRUE(m.acknowledge("f1", "t1", "u2"));
  sent = m.lastSent("f1", "t1");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->state, v1::TASK_RUNNING);
  EXPECT_EQ(sent->uuid, "u2");
  m.setConnected(true);
  sent = m.lastSent("f1", "t1");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->state, v1::TASK_FINISHED);
  EXPECT_EQ(sent->uuid, "u3");
  EXPECT_FALSE(m.lastSent("f1", "t2"));
}

// A stream recovered from checkpoints reports its pending head, or with none pending the
// latest state (which uuid was acknowledged last is not kept).
TEST(StatusUpdateManager, ARecoveredStreamReportsItsHeadOrItsLatestState) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.recover("f1", "e1", "t1", v1::TASK_RUNNING, {"u1"}, {status("t1", v1::TASK_RUNNING, "u2")});
  m.recover("f1", "e1", "t2", v1::TASK_RUNNING, {"u3", "u4"}, {});
  auto head = m.lastSent("f1", "t1");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->state, v1::TASK_RUNNING);
  EXPECT_EQ(head->uuid, "u2");
  auto acknowledged = m.lastSent("f1", "t2");
  ASSERT_TRUE(acknowledged);
  EXPECT_EQ(acknowledged->state, v1::TASK_RUNNING);
  EXPECT_EQ(acknowledged->uuid, "");
}

TEST(StatusUpdateManager, ARemovedFrameworkLeavesNoRetries) {
  Recorder r;
  StatusUpdateManager m(r.time, 10s, r.hooks());
  m.setConnected(true);
  m.update("f1", "e1", status("t1", v1::TASK_RUNNING, "u1"), false);
  m.update("f2", "e2", status("t2", v1::TASK_RUNNING, "v1"), false);
  m.removeFramework("f1");
  EXPECT_EQ(m.streams(), 1u);
  r.calls.clear();
  r.time.advance(10s);
  EXPECT_EQ(r.calls, std::vector<std::string>{"forward t2 v1"});
  m.clear();
  EXPECT_EQ(r.time.pending(), 0u);
}

}  // namespace
}  // namespace plateau::agent
