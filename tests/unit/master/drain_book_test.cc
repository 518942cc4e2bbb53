#include "master/drain_book.h"

#include <gtest/gtest.h>

namespace plateau::master {
namespace {

mesos::v1::DrainConfig graceOf(int64_t nanos, bool mark_gone) {
  mesos::v1::DrainConfig config;
  config.mutable_max_grace_period()->set_nanoseconds(nanos);
  config.set_mark_gone(mark_gone);
  return config;
}

TEST(DrainBook, DeactivationThenDrainThenDrainedNeverGoesBack) {
  DrainBook book;
  EXPECT_FALSE(book.deactivated("a"));
  book.set("a", DrainBook::deactivation(book.find("a")));
  EXPECT_TRUE(book.deactivated("a"));
  EXPECT_FALSE(book.draining("a"));

  book.set("a", DrainBook::drain(book.find("a"), graceOf(5, false)));
  EXPECT_TRUE(book.draining("a"));
  book.set("a", DrainBook::drained(*book.find("a")));
  EXPECT_FALSE(book.draining("a"));
  EXPECT_EQ(book.find("a")->drain->state(), mesos::v1::DRAINED);

  // A new drain of a drained agent keeps it drained, with the new configuration.
  book.set("a", DrainBook::drain(book.find("a"), graceOf(7, true)));
  EXPECT_EQ(book.find("a")->drain->state(), mesos::v1::DRAINED);
  EXPECT_TRUE(book.find("a")->drain->config().mark_gone());
  // Deactivating a drained agent keeps its drain.
  book.set("a", DrainBook::deactivation(book.find("a")));
  EXPECT_TRUE(book.find("a")->drain.has_value());

  book.forget("a");
  EXPECT_FALSE(book.deactivated("a"));
}

TEST(DrainBook, EncodedHoldsRecoverFromMaintenanceEntries) {
  DrainBook::Hold drained = DrainBook::drained(DrainBook::drain(nullptr, graceOf(0, false)));
  std::map<std::string, std::string> maintenance = {
      {"schedule", "not a hold"},
      {DrainBook::registryKey("a"), DrainBook::encode(DrainBook::deactivation(nullptr))},
      {DrainBook::registryKey("b"), DrainBook::encode(drained)},
  };
  DrainBook book;
  ASSERT_TRUE(book.recover(maintenance).isOk());
  EXPECT_EQ(book.all().size(), 2u);
  EXPECT_TRUE(book.deactivated("a"));
  EXPECT_FALSE(book.find("a")->drain.has_value());
  ASSERT_TRUE(book.find("b")->drain.has_value());
  EXPECT_EQ(book.find("b")->drain->state(), mesos::v1::DRAINED);
  // mark_gone=false serializes a zero byte: the durable form keeps it.
  EXPECT_TRUE(book.find("b")->drain->config().has_mark_gone());

  maintenance[DrainBook::registryKey("c")] = "x";
  Status status = book.recover(maintenance);
  EXPECT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("agent/c"), std::string::npos) << status.message();
  EXPECT_TRUE(book.deactivated("a"));  // the readable ones still load
}

}  // namespace
}  // namespace plateau::master
