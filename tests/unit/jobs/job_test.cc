#include "jobs/job.h"

#include <gtest/gtest.h>

namespace plateau::jobs {
namespace {

constexpr double kNow = 1767225600.0;

Result<Job> parse(std::string_view body, JobKind kind = JobKind::kEither) {
  return parseJob(body, kind, JobDefaults{.cpus = 0.1, .mem = 128, .disk = 256}, kNow);
}

TEST(JobTest, ReadsChronosFieldsWithDefaults) {
  auto job = parse(R"({"name": "camus_kafka2hdfs", "command": "/srv/job.bash",
    "arguments": ["-verbose", "-debug"], "shell": false, "epsilon": "PT30M", "retries": 3,
    "owner": "bofh@example.com", "async": false, "cpus": "0.5", "mem": 1024,
    "fetch": [{"uri": "https://example.com/x", "cache": false, "extract": false,
               "executable": true}],
    "schedule": "R/2026-03-08T20:00:00.000Z/PT2H",
    "environmentVariables": [{"name": "JVMOPTS", "value": "-Xmx1000m"}],
    "constraints": [["rack", "EQUALS", "rack-1"]], "container": {"type": "MESOS"},
    "unknownField": 1})");
  ASSERT_TRUE(job.has_value()) << job.error().message();
  EXPECT_EQ(job->name, "camus_kafka2hdfs");
  EXPECT_FALSE(job->shell);
  EXPECT_EQ(job->arguments.size(), 2u);
  EXPECT_EQ(job->retries, 3);
  EXPECT_DOUBLE_EQ(job->cpus, 0.5);
  EXPECT_DOUBLE_EQ(job->mem, 1024);
  EXPECT_DOUBLE_EQ(job->disk, 256);
  EXPECT_EQ(job->fetch.at(0).uri, "https://example.com/x");
  EXPECT_TRUE(job->fetch.at(0).executable);
  EXPECT_EQ(job->environment.at(0).name, "JVMOPTS");
  EXPECT_EQ(job->constraints.at(0).at(2), "rack-1");
  EXPECT_EQ(job->container.type, "MESOS");
  EXPECT_TRUE(job->container.image.empty());
  EXPECT_EQ(epsilonSeconds(*job, 60), 1800);
}

TEST(JobTest, RefusesBadInputWithAMessage) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"{", "malformed JSON"},
           {"[]", "JSON object"},
           {R"({"name": "a/b", "command": "x", "schedule": "R//PT1S"})", "invalid"},
           {R"({"name": "a b", "command": "x", "schedule": "R//PT1S"})", "invalid"},
           {R"({"name": "", "command": "x", "schedule": "R//PT1S"})", "invalid"},
           {R"({"name": "a", "schedule": "R//PT1S"})", "'command'"},
           {R"({"name": "a", "command": "x", "schedule": "tomorrow"})", "schedule"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S", "parents": ["b"]})",
            "not both"},
           {R"({"name": "a", "command": "x"})", "'schedule' or 'parents'"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S", "retries": -1})", "retries"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S", "cpus": "lots"})", "cpus"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S", "epsilon": "5m"})", "epsilon"},
           {R"({"name": "a", "command": "x", "parents": ["a"]})", "own parent"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S",
               "constraints": [["rack", "NEAR", "x"]]})",
            "NEAR"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S",
               "container": {"type": "DOCKER"}})",
            "container.image"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S",
               "container": {"type": "LXC", "image": "x"}})",
            "container.type"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S",
               "container": {"image": "x", "network": "BRIDGE"}})",
            "container.network"},
           {R"({"name": "a", "command": "x", "schedule": "R//PT1S",
               "container": {"image": "x", "volumes": [{"hostPath": "/x", "mode": "RW"}]}})",
            "container.volumes"},
       }) {
    auto job = parse(c.body);
    ASSERT_FALSE(job.has_value()) << c.body;
    EXPECT_NE(job.error().message().find(c.message), std::string::npos)
        << c.body << " -> " << job.error().message();
  }
  EXPECT_FALSE(parse(R"({"name": "a", "command": "x", "parents": ["b"]})", JobKind::kScheduled));
  EXPECT_FALSE(
      parse(R"({"name": "a", "command": "x", "schedule": "R//PT1S"})", JobKind::kDependent));
}

TEST(JobTest, ContainersInImagesWithVolumesAsChronosWritesThem) {
  auto job = parse(R"({"name": "img", "command": "cat /etc/os-release", "schedule": "R//PT1H",
    "container": {"type": "docker", "image": "busybox", "forcePullImage": true,
                  "volumes": [{"containerPath": "/data", "hostPath": "/srv/data", "mode": "RO"}]}})");
  ASSERT_TRUE(job.has_value()) << job.error().message();
  EXPECT_EQ(job->container.type, "DOCKER");
  EXPECT_EQ(job->container.image, "busybox");
  EXPECT_EQ(job->container.network, "HOST");
  EXPECT_TRUE(job->container.force_pull_image);
  ASSERT_EQ(job->container.volumes.size(), 1u);
  EXPECT_EQ(job->container.volumes[0].mode, "RO");
  auto stored = loadJob(storeJob(*job));
  ASSERT_TRUE(stored.has_value()) << stored.error().message();
  EXPECT_EQ(stored->container.image, "busybox");
  EXPECT_EQ(stored->container.volumes.at(0).host_path, "/srv/data");
  auto mesos = parse(R"({"name": "m", "command": "x", "schedule": "R//PT1H",
    "container": {"type": "MESOS", "image": "alpine:3"}})");
  ASSERT_TRUE(mesos.has_value());
  EXPECT_EQ(mesos->container.image, "alpine:3");
}

TEST(JobTest, StoredFormKeepsCountersAndProgress) {
  auto job = parse(R"({"name": "n", "command": "true", "schedule": "R3//PT5S"})");
  ASSERT_TRUE(job.has_value());
  job->success_count = 4;
  job->last_error = "2026-01-01T00:00:00.000Z";
  job->next_due = kNow + 5;
  job->runs_left = 2;
  auto back = loadJob(storeJob(*job));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->success_count, 4);
  EXPECT_EQ(back->last_error, job->last_error);
  EXPECT_DOUBLE_EQ(back->next_due, kNow + 5);
  EXPECT_EQ(back->runs_left, 2);

  std::string out;
  json::Writer w(&out);
  writeJob(w, *back, 60);
  auto v = json::parse(out);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ((*v)["schedule"].asString(), "R2/2026-01-01T00:00:05.000Z/PT5S");
  EXPECT_EQ((*v)["successCount"].toInt64(), 4);
  EXPECT_EQ((*v)["epsilon"].asString(), "PT60S");
}

}  // namespace
}  // namespace plateau::jobs
