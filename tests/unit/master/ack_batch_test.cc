#include "master/ack_batch.h"

#include <gtest/gtest.h>

namespace plateau::master {
namespace {

internal::AgentEvent::Acknowledge ack(const std::string& task, const std::string& uuid) {
  internal::AgentEvent::Acknowledge a;
  a.mutable_framework_id()->set_value("fw");
  a.mutable_task_id()->set_value(task);
  a.set_uuid(uuid);
  return a;
}

TEST(AckBatchTest, GathersAnAgentsAcknowledgementsInOrderIntoOneEvent) {
  AckBatch batch;
  EXPECT_TRUE(batch.add("a1", ack("t1", "u1"))) << "the first asks for a flush";
  EXPECT_FALSE(batch.add("a1", ack("t2", "u2")));
  EXPECT_FALSE(batch.add("a1", ack("t1", "u3")));
  EXPECT_TRUE(batch.pending("a1"));

  auto event = batch.take("a1");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type(), internal::AgentEvent::ACKNOWLEDGE);
  EXPECT_FALSE(event->has_acknowledge());
  ASSERT_EQ(event->acknowledgements_size(), 3);
  EXPECT_EQ(event->acknowledgements(0).uuid(), "u1");
  EXPECT_EQ(event->acknowledgements(1).uuid(), "u2");
  EXPECT_EQ(event->acknowledgements(2).task_id().value(), "t1");
  EXPECT_EQ(event->acknowledgements(2).uuid(), "u3");

  EXPECT_FALSE(batch.pending("a1"));
  EXPECT_FALSE(batch.take("a1").has_value()) << "each acknowledgement goes once";
  EXPECT_TRUE(batch.add("a1", ack("t3", "u4"))) << "a new turn asks for a new flush";
}

TEST(AckBatchTest, OneAloneGoesAsASingleAcknowledgement) {
  AckBatch batch;
  batch.add("a1", ack("t1", "u1"));
  auto event = batch.take("a1");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->acknowledgements_size(), 0);
  EXPECT_EQ(event->acknowledge().task_id().value(), "t1");
  EXPECT_EQ(event->acknowledge().uuid(), "u1");
}

TEST(AckBatchTest, KeepsAgentsApartAndForgetsADroppedOne) {
  AckBatch batch;
  EXPECT_TRUE(batch.add("a1", ack("t1", "u1")));
  EXPECT_TRUE(batch.add("a2", ack("t2", "u2")));
  EXPECT_EQ(batch.agents(), 2u);
  batch.drop("a1");
  EXPECT_FALSE(batch.take("a1").has_value());
  auto other = batch.take("a2");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->acknowledge().uuid(), "u2");
  EXPECT_EQ(batch.agents(), 0u);
}

}  // namespace
}  // namespace plateau::master
