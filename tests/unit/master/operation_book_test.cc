// The master's book of offer operations with an id (master/operation_book.h): records by
// framework and operation id, their agent index, acknowledgement of terminal statuses only.

#include "master/operation_book.h"

#include <gtest/gtest.h>

namespace plateau::master {
namespace {

namespace v1 = mesos::v1;

v1::OperationStatus status(const std::string& id, v1::OperationState state,
                           const std::string& uuid) {
  v1::OperationStatus s;
  s.mutable_operation_id()->set_value(id);
  s.set_state(state);
  if (!uuid.empty()) s.mutable_uuid()->set_value(uuid);
  return s;
}

v1::Offer::Operation info(const std::string& id) {
  v1::Offer::Operation op;
  op.set_type(v1::Offer::Operation::RESERVE);
  op.mutable_id()->set_value(id);
  return op;
}

const std::string kUuid1(16, '1');
const std::string kUuid2(16, '2');

TEST(OperationBook, PendingUntilReportedThenAcknowledgedByTheLatestUuid) {
  OperationBook book;
  const auto& pending =
      book.add("fw", "agent", info("op"), status("op", v1::OPERATION_PENDING, ""), kUuid1);
  EXPECT_EQ(pending.uuid().value(), kUuid1);           // the operation's own uuid
  EXPECT_FALSE(book.acknowledge("fw", "op", kUuid1));  // not terminal: nothing to acknowledge

  // The agent reports it finished (as after a failover: the whole record).
  v1::Operation reported = pending;
  *reported.mutable_latest_status() = status("op", v1::OPERATION_FINISHED, kUuid2);
  *reported.add_statuses() = reported.latest_status();
  book.put(reported);
  ASSERT_NE(book.find("fw", "op"), nullptr);
  EXPECT_EQ(book.find("fw", "op")->statuses_size(), 2);
  EXPECT_EQ(book.onAgent("agent").size(), 1u);
  EXPECT_EQ(book.ofFramework("fw").size(), 1u);
  EXPECT_FALSE(book.acknowledge("fw", "op", kUuid1));  // not the latest status's uuid
  EXPECT_TRUE(book.acknowledge("fw", "op", kUuid2));
  EXPECT_EQ(book.find("fw", "op"), nullptr);
  EXPECT_TRUE(book.onAgent("agent").empty());
}

TEST(OperationBook, IndexesFollowReplacementAndFrameworkRemoval) {
  OperationBook book;
  book.add("fw1", "a1", info("x"), status("x", v1::OPERATION_PENDING, ""), kUuid1);
  book.add("fw1", "a2", info("y"), status("y", v1::OPERATION_PENDING, ""), kUuid1);
  book.add("fw2", "a1", info("x"), status("x", v1::OPERATION_PENDING, ""), kUuid1);
  // The same id again, now on another agent: replaced, and indexed there only.
  book.add("fw1", "a2", info("x"), status("x", v1::OPERATION_PENDING, ""), kUuid2);
  EXPECT_EQ(book.size(), 3u);
  EXPECT_EQ(book.onAgent("a1").size(), 1u);
  EXPECT_EQ(book.onAgent("a2").size(), 2u);
  EXPECT_EQ(book.ofFramework("fw1").size(), 2u);
  book.forgetFramework("fw1");
  EXPECT_EQ(book.size(), 1u);
  EXPECT_TRUE(book.onAgent("a2").empty());
  ASSERT_EQ(book.onAgent("a1").size(), 1u);
  EXPECT_EQ(book.onAgent("a1")[0]->framework_id().value(), "fw2");
  EXPECT_TRUE(book.ofFramework("fw1").empty());
}

TEST(OperationBook, KeepsWhatAPendingOperationConsumedUntilItIsReported) {
  OperationBook book;
  OperationBook::ResourceList consumed;
  auto* disk = consumed.Add();
  disk->set_name("disk");
  disk->set_type(v1::Value::SCALAR);
  disk->mutable_scalar()->set_value(64);
  const auto& pending = book.add("fw", "agent", info("op"), status("op", v1::OPERATION_PENDING, ""),
                                 kUuid1, consumed);
  ASSERT_NE(book.consumed("fw", "op"), nullptr);
  EXPECT_EQ(book.consumed("fw", "op")->Get(0).scalar().value(), 64);
  EXPECT_EQ(book.consumed("fw", "other"), nullptr);

  // Reported by the agent (failed or finished): the record is the agent's, nothing consumed.
  v1::Operation reported = pending;
  *reported.mutable_latest_status() = status("op", v1::OPERATION_FAILED, kUuid2);
  book.put(reported);
  EXPECT_EQ(book.consumed("fw", "op"), nullptr);

  book.add("fw", "agent", info("again"), status("again", v1::OPERATION_PENDING, ""), kUuid1,
           consumed);
  book.forgetFramework("fw");
  EXPECT_EQ(book.consumed("fw", "again"), nullptr);
}

}  // namespace
}  // namespace plateau::master
