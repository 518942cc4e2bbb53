// FlagSet: Mesos's spellings, deprecated names, environment variables, file:// values and
// flags accepted without effect.

#include "common/flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace plateau::flags {
namespace {

using namespace std::chrono_literals;

Status parseArgs(FlagSet& set, std::vector<std::string> args) {
  std::vector<const char*> argv = {"prog"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  return set.parse(static_cast<int>(argv.size()), argv.data());
}

std::map<std::string, std::string> valueMap(const FlagSet& set) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : set.values()) {
    out[name] = value;
  }
  return out;
}

// Sets environment variables for one test and removes them afterwards.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {
    for (const auto& [name, value] : vars_) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : vars_) {
      ::unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::string> vars_;
};

class TempFile {
 public:
  explicit TempFile(const std::string& contents)
      : path_(std::filesystem::temp_directory_path() /
              ("plateau-flags-test-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter_++))) {
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

struct Sample {
  std::string ip = "127.0.0.1";
  uint16_t port = 5050;
  std::chrono::nanoseconds ping = 15s;
  bool auth = false;
  std::string zk;
  std::string rules;
};

void registerSample(FlagSet& set, Sample& s) {
  set.add("ip", &s.ip, "IP", {.env = {"LIBPROCESS_IP"}});
  set.add("port", &s.port, "port", {.env = {"LIBPROCESS_PORT"}});
  set.addDuration("agent_ping_timeout", &s.ping, "ping", {.aliases = {"slave_ping_timeout"}});
  set.add("authenticate_agents", &s.auth, "auth", {.aliases = {"authenticate_slaves"}});
  set.add("zk", &s.zk, "zk", {.file = FileValue::kUrl});
  set.add("firewall_rules", &s.rules, "rules", {.file = FileValue::kUrlOrPath});
  set.addInert("registry_gc_interval", FlagSet::Kind::kDuration, "15mins", "gc", "not yet");
  set.addInert("log_auto_initialize", FlagSet::Kind::kBool, "true", "log", "no log",
               {.aliases = {"old_log_auto_initialize"}});
}

TEST(FlagSetTest, DeprecatedNamesSetTheFlagAndAreReported) {
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(parseArgs(set, {"--slave_ping_timeout=20secs", "--no-authenticate_slaves"}).isOk());
  EXPECT_EQ(s.ping, 20s);
  EXPECT_FALSE(s.auth);
  EXPECT_TRUE(set.given("agent_ping_timeout"));
  auto used = set.deprecatedUsed();
  ASSERT_EQ(used.size(), 2u);
  EXPECT_EQ(used[0],
            (std::pair<std::string, std::string>{"slave_ping_timeout", "agent_ping_timeout"}));
  EXPECT_EQ(used[1],
            (std::pair<std::string, std::string>{"authenticate_slaves", "authenticate_agents"}));

  Sample t;
  FlagSet again("prog", "test");
  registerSample(again, t);
  ASSERT_TRUE(parseArgs(again, {"--authenticate_slaves"}).isOk());
  EXPECT_TRUE(t.auth);
}

TEST(FlagSetTest, EnvironmentUnderEveryNameWithTheCommandLineWinning) {
  ScopedEnv env({{"MESOS_SLAVE_PING_TIMEOUT", "30secs"},
                 {"LIBPROCESS_IP", "10.0.0.1"},
                 {"LIBPROCESS_PORT", "6060"},
                 {"MESOS_PORT", "7070"},
                 {"PLATEAU_AUTHENTICATE_AGENTS", "true"}});
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(parseArgs(set, {"--ip=10.0.0.2"}).isOk());
  EXPECT_EQ(s.ip, "10.0.0.2");  // the command line beats LIBPROCESS_IP
  EXPECT_EQ(s.port, 7070);      // MESOS_PORT beats LIBPROCESS_PORT
  EXPECT_EQ(s.ping, 30s);       // a deprecated name's variable still counts
  EXPECT_TRUE(s.auth);
  ASSERT_EQ(set.deprecatedUsed().size(), 1u);
  EXPECT_EQ(set.deprecatedUsed()[0].first, "slave_ping_timeout");
}

TEST(FlagSetTest, LibprocessVariablesApplyWhenNothingElseIsGiven) {
  ScopedEnv env({{"LIBPROCESS_IP", "10.0.0.3"}, {"LIBPROCESS_PORT", "6061"}});
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(parseArgs(set, {}).isOk());
  EXPECT_EQ(s.ip, "10.0.0.3");
  EXPECT_EQ(s.port, 6061);
}

TEST(FlagSetTest, FileValuesAreReadAndShownAsGiven) {
  TempFile zk("zk://10.0.0.1:2181,10.0.0.2:2181/mesos\n");
  TempFile rules(R"({"disabled_endpoints": {"paths": ["/files/browse"]}})");
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(
      parseArgs(set, {"--zk=file://" + zk.path(), "--firewall_rules=" + rules.path()}).isOk());
  EXPECT_EQ(s.zk, "zk://10.0.0.1:2181,10.0.0.2:2181/mesos");  // trailing newline dropped
  EXPECT_EQ(s.rules, R"({"disabled_endpoints": {"paths": ["/files/browse"]}})");
  EXPECT_EQ(valueMap(set)["zk"], "file://" + zk.path());
}

TEST(FlagSetTest, PlainPathsAreValuesWhereOnlyFileUrlsAreFiles) {
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(parseArgs(set, {"--zk=/not/read", "--firewall_rules={\"a\": 1}"}).isOk());
  EXPECT_EQ(s.zk, "/not/read");
  EXPECT_EQ(s.rules, "{\"a\": 1}");
}

TEST(FlagSetTest, UnreadableFileNamesTheFlagAndThePath) {
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  Status status = parseArgs(set, {"--zk=file:///no/such/plateau/file"});
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'--zk'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("/no/such/plateau/file"), std::string::npos);
  EXPECT_NE(status.message().find("No such file"), std::string::npos);
}

TEST(FlagSetTest, InertFlagsAreTypeCheckedListedAndReportedOnlyWhenGiven) {
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(parseArgs(set, {"--registry_gc_interval=5mins"}).isOk());
  EXPECT_EQ(valueMap(set)["registry_gc_interval"], "5mins");
  EXPECT_EQ(valueMap(set)["log_auto_initialize"], "true");
  auto ignored = set.ignoredGiven();
  ASSERT_EQ(ignored.size(), 1u);
  EXPECT_EQ(ignored[0], (std::pair<std::string, std::string>{"registry_gc_interval", "not yet"}));

  Sample t;
  FlagSet bad("prog", "test");
  registerSample(bad, t);
  Status status = parseArgs(bad, {"--registry_gc_interval=often"});
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("'--registry_gc_interval'"), std::string::npos)
      << status.message();
}

TEST(FlagSetTest, WarningsNameEachDeprecatedAndIneffectiveFlag) {
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  ASSERT_TRUE(
      parseArgs(set, {"--no-old_log_auto_initialize", "--slave_ping_timeout=1secs"}).isOk());
  std::vector<std::string> lines;
  reportFlagWarnings(set, [&](std::string line) { lines.push_back(std::move(line)); });
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "flag_deprecated name=old_log_auto_initialize use=log_auto_initialize",
                       "flag_deprecated name=slave_ping_timeout use=agent_ping_timeout",
                       "flag_without_effect name=log_auto_initialize reason=\"no log\""}));
  EXPECT_EQ(valueMap(set)["log_auto_initialize"], "false");
}

TEST(FlagSetTest, BadValuesAndUnknownFlagsNameTheFlag) {
  for (const auto& [arg, name] : std::vector<std::pair<std::string, std::string>>{
           {"--port=http", "--port"},
           {"--agent_ping_timeout=15", "--agent_ping_timeout"},
           {"--no_such_flag=1", "--no_such_flag"}}) {
    Sample s;
    FlagSet set("prog", "test");
    registerSample(set, s);
    Status status = parseArgs(set, {arg});
    ASSERT_FALSE(status.isOk()) << arg;
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(name), std::string::npos) << status.message();
  }
}

// As in Mesos, "--name=" gives the flag the empty string: it never takes the next argument as
// its value (CLI11 alone read "--weights= --work_dir=/x" as weights "--work_dir=/x"), from the
// command line or the environment, and a flag whose type has no empty value names itself.
TEST(FlagSetTest, EmptyValuesAreEmptyAndNeverTakeTheNextArgument) {
  {
    Sample s;
    FlagSet set("prog", "test");
    registerSample(set, s);
    ScopedEnv env(std::map<std::string, std::string>{{"MESOS_FIREWALL_RULES", ""}});
    ASSERT_TRUE(parseArgs(set, {"--ip=", "--port=6000", "--zk="}).isOk());
    EXPECT_EQ(s.ip, "");
    EXPECT_EQ(s.port, 6000);
    EXPECT_EQ(s.zk, "");
    EXPECT_EQ(s.rules, "");
    EXPECT_TRUE(set.given("firewall_rules"));
  }
  for (const std::string name : {"port", "agent_ping_timeout"}) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--" + name + "="}, {"--" + name + "=", "--ip=10.0.0.1"}}) {
      Sample s;
      FlagSet set("prog", "test");
      registerSample(set, s);
      Status status = parseArgs(set, args);
      ASSERT_FALSE(status.isOk()) << name;
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(status.message().find("--" + name), std::string::npos) << status.message();
      EXPECT_EQ(status.message().find("--ip"), std::string::npos) << status.message();
    }
  }
}

TEST(FlagSetTest, DescribeListsNamesAliasesAndReasons) {
  Sample s;
  FlagSet set("prog", "test");
  registerSample(set, s);
  auto infos = set.describe();
  ASSERT_EQ(infos.size(), 8u);
  EXPECT_EQ(infos[2].name, "agent_ping_timeout");
  EXPECT_EQ(infos[2].aliases, std::vector<std::string>{"slave_ping_timeout"});
  EXPECT_TRUE(infos[2].no_effect.empty());
  EXPECT_EQ(infos[6].no_effect, "not yet");
}

}  // namespace
}  // namespace plateau::flags
