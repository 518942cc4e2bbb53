// The master's maintenance books in virtual time: schedule validation, DRAINING -> DOWN -> UP
// and the refusals on the way, agents on DOWN machines, and inverse offers once per window and
// again after an answer's refuse_seconds.

#include "master/maintenance_book.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes/virtual_time.h"

namespace plateau::master {
namespace {

using namespace std::chrono_literals;
using plateau::testing::VirtualTime;
namespace v1 = mesos::v1;
namespace maintenance = mesos::v1::maintenance;
using Machines = google::protobuf::RepeatedPtrField<v1::MachineID>;

v1::MachineID machine(const std::string& hostname, const std::string& ip = "") {
  v1::MachineID id;
  if (!hostname.empty()) id.set_hostname(hostname);
  if (!ip.empty()) id.set_ip(ip);
  return id;
}

maintenance::Window window(std::vector<v1::MachineID> ids, int64_t start_s, int64_t duration_s) {
  maintenance::Window w;
  for (auto& id : ids) *w.add_machine_ids() = std::move(id);
  w.mutable_unavailability()->mutable_start()->set_nanoseconds(start_s * 1'000'000'000);
  w.mutable_unavailability()->mutable_duration()->set_nanoseconds(duration_s * 1'000'000'000);
  return w;
}

maintenance::Schedule schedule(std::vector<maintenance::Window> windows) {
  maintenance::Schedule s;
  for (auto& w : windows) *s.add_windows() = std::move(w);
  return s;
}

Machines machines(std::vector<v1::MachineID> ids) {
  Machines list;
  for (auto& id : ids) *list.Add() = std::move(id);
  return list;
}

// The error message of a refused plan ("" when it was not refused), checking its code.
std::string refusal(const Result<MaintenancePlan>& plan) {
  if (plan) return "";
  EXPECT_EQ(plan.error().code(), StatusCode::kInvalidArgument) << plan.error().message();
  return plan.error().message();
}

// Plans and applies a schedule that must be valid.
MaintenanceBook::ScheduleApplied applySchedule(MaintenanceBook& book, maintenance::Schedule s) {
  auto plan = book.planSchedule(std::move(s));
  EXPECT_TRUE(plan) << plan.error().message();
  return plan ? book.applySchedule(*plan) : MaintenanceBook::ScheduleApplied{};
}

void bringDown(MaintenanceBook& book, std::vector<v1::MachineID> ids) {
  auto plan = book.planDown(machines(std::move(ids)));
  ASSERT_TRUE(plan) << plan.error().message();
  book.applyModes(*plan);
}

TEST(MaintenanceBook, RefusesInvalidSchedulesAndLeavesTheBookUnchanged) {
  VirtualTime time;
  MaintenanceBook book(time);
  EXPECT_NE(refusal(book.planSchedule(schedule({window({}, 0, 60)}))).find("window is empty"),
            std::string::npos);
  EXPECT_NE(refusal(book.planSchedule(schedule({window({machine("a")}, 0, -1)})))
                .find("'duration' is negative"),
            std::string::npos);
  EXPECT_NE(refusal(book.planSchedule(schedule({window({v1::MachineID()}, 0, 60)})))
                .find("non-empty 'hostname' or 'ip'"),
            std::string::npos);
  EXPECT_NE(refusal(book.planSchedule(schedule({window({machine("a", "10.0.0.300")}, 0, 60)})))
                .find("not an IPv4 address"),
            std::string::npos);
  // Hostnames compare without case, across windows too.
  EXPECT_NE(refusal(book.planSchedule(schedule(
                        {window({machine("Node-A")}, 0, 60), window({machine("node-a")}, 99, 60)})))
                .find("appears more than once in the schedule"),
            std::string::npos);
  EXPECT_EQ(book.schedule().windows_size(), 0);
  EXPECT_EQ(book.machineCount(), 0u);
}

TEST(MaintenanceBook, NewMachinesStartDrainingUnderNormalizedNames) {
  VirtualTime time;
  MaintenanceBook book(time);
  auto plan = book.planSchedule(
      schedule({window({machine("Node-A", "10.0.0.1"), machine("", "10.0.0.2")}, 100, 60)}));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->machineCount(), 2u);
  maintenance::Schedule stored;
  ASSERT_TRUE(stored.ParseFromString(plan->scheduleBlob()));
  EXPECT_EQ(stored.windows(0).machine_ids(0).hostname(), "node-a");
  EXPECT_EQ(book.machineCount(), 0u);  // nothing applies before the plan is stored
  book.applySchedule(*plan);
  EXPECT_EQ(book.modeOf(machine("NODE-A", "10.0.0.1")), v1::MachineInfo::DRAINING);
  EXPECT_EQ(book.modeOf(machine("", "10.0.0.2")), v1::MachineInfo::DRAINING);
  EXPECT_EQ(book.modeOf(machine("node-b")), std::nullopt);
  EXPECT_EQ(book.status().draining_machines_size(), 2);
  EXPECT_EQ(book.status().down_machines_size(), 0);
}

TEST(MaintenanceBook, MachinesGoDrainingToDownToUpAndNoOtherWay) {
  VirtualTime time;
  MaintenanceBook book(time);
  EXPECT_NE(refusal(book.planDown(machines({machine("a")}))).find("not part of a maintenance"),
            std::string::npos);
  applySchedule(book, schedule({window({machine("a"), machine("b")}, 0, 3600)}));
  EXPECT_NE(refusal(book.planUp(machines({machine("a")}))).find("not in DOWN mode"),
            std::string::npos);
  EXPECT_NE(refusal(book.planDown(machines({}))).find("List of machines is empty"),
            std::string::npos);
  EXPECT_NE(refusal(book.planDown(machines({machine("a"), machine("A")})))
                .find("appears more than once in the list"),
            std::string::npos);

  auto down = book.planDown(machines({machine("A")}));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->hostnamesChanging(), std::vector<std::string>{"a"});
  EXPECT_EQ(book.modeOf(machine("a")), v1::MachineInfo::DRAINING);  // not before it is applied
  book.applyModes(*down);
  EXPECT_EQ(book.modeOf(machine("a")), v1::MachineInfo::DOWN);
  EXPECT_NE(refusal(book.planDown(machines({machine("a")}))).find("not in DRAINING mode"),
            std::string::npos);
  // A DOWN machine stays DOWN in a new schedule, and may not leave it.
  applySchedule(book, schedule({window({machine("a")}, 0, 7200), window({machine("b")}, 0, 60)}));
  EXPECT_EQ(book.modeOf(machine("a")), v1::MachineInfo::DOWN);
  EXPECT_NE(refusal(book.planSchedule(schedule({window({machine("b")}, 0, 60)})))
                .find("is DOWN and cannot be removed"),
            std::string::npos);

  auto up = book.planUp(machines({machine("a")}));
  ASSERT_TRUE(up);
  book.applyModes(*up);
  EXPECT_EQ(book.modeOf(machine("a")), std::nullopt);  // UP: out of the schedule
  ASSERT_EQ(book.schedule().windows_size(), 1);
  EXPECT_EQ(book.schedule().windows(0).machine_ids(0).hostname(), "b");
  EXPECT_EQ(book.modeOf(machine("b")), v1::MachineInfo::DRAINING);
}

TEST(MaintenanceBook, AgentsOnDownMachinesAreNamedAndRefused) {
  VirtualTime time;
  MaintenanceBook book(time);
  book.agentAdded("a1", "node-a", "10.0.0.1");
  book.agentAdded("a2", "node-b", "10.0.0.2");
  book.agentAdded("a3", "node-c", "10.0.0.3");
  // Scheduled by hostname alone and by ip alone.
  applySchedule(book, schedule({window({machine("NODE-A")}, 0, 60),
                                window({machine("", "10.0.0.2")}, 0, 60)}));
  EXPECT_NE(book.unavailabilityOf("a1"), nullptr);
  EXPECT_NE(book.unavailabilityOf("a2"), nullptr);
  EXPECT_EQ(book.unavailabilityOf("a3"), nullptr);
  EXPECT_FALSE(book.refusesAgent("node-a", "10.0.0.1"));  // DRAINING agents may register

  auto down = book.planDown(machines({machine("node-a"), machine("", "10.0.0.2")}));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->agentsDown(), (std::vector<std::string>{"a1", "a2"}));
  book.applyModes(*down);
  EXPECT_TRUE(book.refusesAgent("node-a", "10.0.0.9"));
  EXPECT_TRUE(book.refusesAgent("Node-A", ""));
  EXPECT_TRUE(book.refusesAgent("elsewhere", "10.0.0.2"));
  EXPECT_FALSE(book.refusesAgent("node-c", "10.0.0.3"));

  auto up = book.planUp(machines({machine("node-a")}));
  ASSERT_TRUE(up);
  book.applyModes(*up);
  EXPECT_FALSE(book.refusesAgent("node-a", "10.0.0.1"));
  EXPECT_EQ(book.unavailabilityOf("a1"), nullptr);  // a plain agent again
  EXPECT_TRUE(book.refusesAgent("node-b", "10.0.0.2"));
}

TEST(MaintenanceBook, InverseOffersAreDueOncePerWindowAndAgainAfterRefuseSeconds) {
  VirtualTime time;
  MaintenanceBook book(time);
  book.agentAdded("a1", "node-a", "10.0.0.1");
  book.agentAdded("a2", "node-b", "10.0.0.2");
  EXPECT_FALSE(book.inverseOfferDue("a1", "f1"));  // not scheduled
  applySchedule(book, schedule({window({machine("node-a")}, 500, 60)}));
  EXPECT_EQ(book.drainingAgents(), std::vector<std::string>{"a1"});

  auto due = book.inverseOfferDue("a1", "f1");
  ASSERT_TRUE(due);
  EXPECT_EQ(due->start().nanoseconds(), 500'000'000'000);
  book.inverseOfferSent("i1", "a1", "f1");
  EXPECT_FALSE(book.inverseOfferDue("a1", "f1"));  // one outstanding per (agent, framework)
  EXPECT_TRUE(book.inverseOfferDue("a1", "f2"));
  EXPECT_FALSE(book.inverseOfferDue("a2", "f1"));
  time.advance(24h);
  EXPECT_FALSE(book.inverseOfferDue("a1", "f1"));  // unanswered: never asked twice

  ASSERT_TRUE(book.answerInverseOffer("f1", "i1", /*accept=*/false, 60).isOk());
  EXPECT_EQ(book.outstandingInverseOffers(), 0u);
  time.advance(59s);
  EXPECT_FALSE(book.inverseOfferDue("a1", "f1"));
  time.advance(1s);
  ASSERT_TRUE(book.inverseOfferDue("a1", "f1"));
  book.inverseOfferSent("i2", "a1", "f1");
  // Without refuse_seconds (or with a nonsensical one) the framework is due again at once.
  ASSERT_TRUE(book.answerInverseOffer("f1", "i2", /*accept=*/true, -5).isOk());
  EXPECT_TRUE(book.inverseOfferDue("a1", "f1"));
}

TEST(MaintenanceBook, OnlyTheOutstandingInverseOfferOfTheFrameworkCanBeAnswered) {
  VirtualTime time;
  MaintenanceBook book(time);
  book.agentAdded("a1", "node-a", "");
  applySchedule(book, schedule({window({machine("node-a")}, 0, 60)}));
  book.inverseOfferSent("i1", "a1", "f1");
  EXPECT_EQ(book.answerInverseOffer("f2", "i1", true, 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(book.answerInverseOffer("f1", "nope", true, 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(book.outstandingInverseOffers(), 1u);
  ASSERT_TRUE(book.answerInverseOffer("f1", "i1", true, 3600).isOk());
  EXPECT_EQ(book.answerInverseOffer("f1", "i1", true, 3600).code(), StatusCode::kNotFound);
}

TEST(MaintenanceBook, AnswersShowInTheStatusUntilTheWindowChanges) {
  VirtualTime time;
  MaintenanceBook book(time);
  book.agentAdded("a1", "node-a", "");
  book.agentAdded("a2", "node-b", "");
  applySchedule(book,
                schedule({window({machine("node-a")}, 0, 60), window({machine("node-b")}, 0, 60)}));
  book.inverseOfferSent("i1", "a1", "f1");
  book.inverseOfferSent("i2", "a2", "f1");
  book.inverseOfferSent("i3", "a1", "f2");
  time.advance(10s);
  ASSERT_TRUE(book.answerInverseOffer("f1", "i1", /*accept=*/true, 3600).isOk());
  auto status = book.status();
  ASSERT_EQ(status.draining_machines_size(), 2);
  ASSERT_EQ(status.draining_machines(0).statuses_size(), 1);
  const auto& answer = status.draining_machines(0).statuses(0);
  EXPECT_EQ(answer.status(), v1::allocator::InverseOfferStatus::ACCEPT);
  EXPECT_EQ(answer.framework_id().value(), "f1");
  EXPECT_EQ(answer.timestamp().nanoseconds(), static_cast<int64_t>(time.wallSeconds() * 1e9));

  // node-a's window moves; node-b's stays: only node-a's agent is asked again.
  auto applied = applySchedule(
      book, schedule({window({machine("node-a")}, 900, 60), window({machine("node-b")}, 0, 60)}));
  EXPECT_EQ(applied.reoffer, std::set<std::string>{"a1"});
  using Rescinded = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(applied.rescinded, (Rescinded{{"i3", "f2"}}));
  EXPECT_EQ(book.status().draining_machines(0).statuses_size(), 0);
  EXPECT_TRUE(book.inverseOfferDue("a1", "f1"));  // its refusal went with the old window
  EXPECT_TRUE(book.inverseOfferDue("a1", "f2"));
  EXPECT_FALSE(book.inverseOfferDue("a2", "f1"));  // still outstanding
  EXPECT_EQ(book.unavailabilityOf("a1")->start().nanoseconds(), 900'000'000'000);

  // Leaving the schedule: its agents' offers are made again, without an unavailability.
  applied = applySchedule(book, schedule({window({machine("node-a")}, 900, 60)}));
  EXPECT_EQ(applied.reoffer, std::set<std::string>{"a2"});
  EXPECT_EQ(applied.rescinded, (Rescinded{{"i2", "f1"}}));
  EXPECT_EQ(book.unavailabilityOf("a2"), nullptr);
}

TEST(MaintenanceBook, NoInverseOffersForDownMachinesOrGoneAgentsAndFrameworks) {
  VirtualTime time;
  MaintenanceBook book(time);
  book.agentAdded("a1", "node-a", "");
  book.agentAdded("a2", "node-b", "");
  applySchedule(book, schedule({window({machine("node-a"), machine("node-b")}, 0, 60)}));
  book.inverseOfferSent("i1", "a1", "f1");
  book.inverseOfferSent("i2", "a2", "f1");
  book.inverseOfferSent("i3", "a2", "f2");
  book.frameworkRemoved("f1");
  EXPECT_EQ(book.outstandingInverseOffers(), 1u);
  EXPECT_EQ(book.answerInverseOffer("f1", "i1", true, 0).code(), StatusCode::kNotFound);
  book.agentRemoved("a2");
  EXPECT_EQ(book.outstandingInverseOffers(), 0u);
  EXPECT_EQ(book.drainingAgents(), std::vector<std::string>{"a1"});

  bringDown(book, {machine("node-a")});
  EXPECT_TRUE(book.drainingAgents().empty());
  EXPECT_FALSE(book.inverseOfferDue("a1", "f2"));
}

TEST(MaintenanceBook, RecoversTheScheduleAndTheDownMachinesFromTheirBlobs) {
  VirtualTime time;
  MaintenanceBook book(time);
  auto plan = book.planSchedule(schedule({window({machine("node-a"), machine("node-b")}, 0, 60)}));
  ASSERT_TRUE(plan);
  book.applySchedule(*plan);
  auto down = book.planDown(machines({machine("node-b")}));
  ASSERT_TRUE(down);
  book.applyModes(*down);

  MaintenanceBook recovered(time);
  recovered.agentAdded("a1", "node-b", "");  // known before the registry was read
  ASSERT_TRUE(recovered.recover(down->scheduleBlob(), down->modesBlob()).isOk());
  EXPECT_EQ(recovered.modeOf(machine("node-a")), v1::MachineInfo::DRAINING);
  EXPECT_EQ(recovered.modeOf(machine("node-b")), v1::MachineInfo::DOWN);
  EXPECT_TRUE(recovered.refusesAgent("node-b", ""));
  EXPECT_NE(recovered.unavailabilityOf("a1"), nullptr);

  EXPECT_TRUE(recovered.recover(std::nullopt, std::nullopt).isOk());
  EXPECT_EQ(recovered.machineCount(), 0u);
  EXPECT_EQ(recovered.unavailabilityOf("a1"), nullptr);
  EXPECT_EQ(recovered.recover(std::string("\xff\xff garbage"), std::nullopt).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(recovered.machineCount(), 0u);
}

}  // namespace
}  // namespace plateau::master
