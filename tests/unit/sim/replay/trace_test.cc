#include "sim/replay/trace.h"

#include <sstream>

#include <gtest/gtest.h>

namespace plateau::sim::replay {
namespace {

Result<std::vector<TraceJob>> parse(const std::string& text) {
  std::istringstream in(text);
  return parseTrace(in, "t.csv");
}

TEST(ReplayTraceTest, ParsesColumnsInAnyOrderAndSortsByArrival) {
  auto jobs = parse(
      "# a comment\n"
      "\n"
      "role,arrival,tasks,cpus,mem,duration\n"
      "batch,2.5,3,0.5,1024,60\n"
      "service, 1 ,1,2,4096,3600.000001\n");
  ASSERT_TRUE(jobs) << jobs.error().message();
  ASSERT_EQ(jobs->size(), 2u);
  const TraceJob& first = (*jobs)[0];
  EXPECT_EQ(first.role, "service");
  EXPECT_EQ(first.framework, "service");  // one framework per role by default
  EXPECT_EQ(first.arrival_us, 1000000);
  EXPECT_EQ(first.duration_us, 3600000001);
  EXPECT_EQ(first.cpus_milli, 2000);
  EXPECT_EQ(first.mem_milli, 4096000);
  EXPECT_EQ(first.line, 5u);
  EXPECT_EQ((*jobs)[1].tasks, 3);
  EXPECT_EQ((*jobs)[1].cpus_milli, 500);
  EXPECT_EQ((*jobs)[1].line, 4u);
}

TEST(ReplayTraceTest, SkipsAByteOrderMark) {
  auto jobs = parse(
      "\xEF\xBB\xBF"
      "arrival,role,tasks,cpus,mem,duration\n1,a,1,1,1,1\n");
  ASSERT_TRUE(jobs) << jobs.error().message();
  EXPECT_EQ(jobs->size(), 1u);
}

TEST(ReplayTraceTest, WrittenTraceParsesBackTheSame) {
  std::vector<TraceJob> jobs = {{.arrival_us = 1500000,
                                 .role = "a/b",
                                 .framework = "f1",
                                 .job = "j1",
                                 .tasks = 7,
                                 .cpus_milli = 250,
                                 .mem_milli = 128500,
                                 .duration_us = 90000001,
                                 .line = 0}};
  std::ostringstream out;
  writeTrace(out, jobs);
  auto back = parse(out.str());
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->size(), 1u);
  const TraceJob& j = back->front();
  EXPECT_EQ(j.arrival_us, 1500000);
  EXPECT_EQ(j.role, "a/b");
  EXPECT_EQ(j.framework, "f1");
  EXPECT_EQ(j.job, "j1");
  EXPECT_EQ(j.tasks, 7);
  EXPECT_EQ(j.cpus_milli, 250);
  EXPECT_EQ(j.mem_milli, 128500);
  EXPECT_EQ(j.duration_us, 90000001);
  EXPECT_EQ(j.line, 2u);
}

void expectError(const std::string& text, const std::string& part) {
  auto jobs = parse(text);
  ASSERT_FALSE(jobs) << "accepted: " << text;
  EXPECT_NE(jobs.error().message().find(part), std::string::npos) << jobs.error().message();
}

TEST(ReplayTraceTest, ErrorsNameTheLine) {
  const std::string header = "arrival,role,tasks,cpus,mem,duration\n";
  expectError(header + "0,a,1,1,1,1\n0,a,1,x,1,1\n", "t.csv:3: cpus 'x' is not a number");
  expectError(header + "0,a,1,1,1\n", "t.csv:2: 5 fields where the header names 6");
  expectError("arrival,role,tasks,cpus,mem,duration,colour\n", "t.csv:1: unknown column 'colour'");
  expectError("arrival,role,tasks,cpus,mem\n", "lacks the column 'duration'");
  expectError("# only a comment\n", "no header line");
  expectError(header + "0,a b,1,1,1,1\n", "t.csv:2: role 'a b'");
  expectError("arrival,role,framework,tasks,cpus,mem,duration\n0,a,f,1,1,1,1\n1,b,f,1,1,1,1\n",
              "t.csv:3: framework 'f' has role 'b' here but 'a' on line 2");
}

TEST(ReplayTraceTest, RefusesAbsurdValues) {
  const std::string header = "arrival,role,tasks,cpus,mem,duration\n";
  expectError(header + "0,a,0,1,1,1\n", "t.csv:2: tasks must be");
  expectError(header + "0,a,2.5,1,1,1\n", "tasks must be a whole number");
  expectError(header + "0,a,10000001,1,1,1\n", "tasks must be");
  expectError(header + "0,a,1,0,1,1\n", "cpus must be");
  expectError(header + "0,a,1,2e6,1,1\n", "cpus must be");
  expectError(header + "0,a,1,1,-5,1\n", "mem must be");
  expectError(header + "-1,a,1,1,1,1\n", "arrival must be");
  expectError(header + "0,a,1,1,1,0\n", "duration must be");
  expectError(header + "0,a,1,1,1,1e9\n", "duration must be");
  expectError(header + "0,a,1,1,1,nan\n", "duration 'nan' is not a number");
}

TEST(ReplayTraceTest, FormatsExactly) {
  EXPECT_EQ(formatSeconds(0), "0");
  EXPECT_EQ(formatSeconds(1500000), "1.5");
  EXPECT_EQ(formatSeconds(1), "0.000001");
  EXPECT_EQ(formatMilli(2048000), "2048");
  EXPECT_EQ(formatMilli(250), "0.25");
}

}  // namespace
}  // namespace plateau::sim::replay
