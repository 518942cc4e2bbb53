// Shell commands without shell syntax run without /bin/sh (common/plain_command.h): the task
// sees the same argv, environment, working directory and exit status as under `sh -c`, and a
// missing or non-executable program is still the shell's 127 or 126 with its message.

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/plain_command.h"
#include "harness.h"
#include "images_helpers.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

class PlainCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:4;mem:1024");
    progs_ = cluster_.dir() + "/progs";
    fs::create_directories(progs_);
    // Writes what it was given and where it ran, then exits 3.
    write("record", 0755,
          "#!/bin/sh\n"
          "{ printf 'arg:%s\\n' \"$@\"; echo \"parent:$(cat /proc/$PPID/comm)\";\n"
          "  echo \"pwd:$PWD\"; echo \"physical:$(pwd -P)\"; echo \"foo:$FOO\";\n"
          "  echo \"sandbox:$MESOS_SANDBOX\"; } > \"$OUT_DIR/$1\"\nexit 3\n");
    write("noexec", 0644, "#!/bin/sh\nexit 0\n");
    // No `#!`: the exec fails (ENOEXEC) and the shell runs it as a script, as before.
    write("noshebang", 0755, "echo \"arg:$1\" > \"$OUT_DIR/noshebang\"\nexit 5\n");
    scheduler_ = std::make_unique<Scheduler>(cluster_.master(), http::ContentType::kJson);
    v1::FrameworkInfo info;
    info.set_user("root");
    info.set_name("plain-command");
    ASSERT_TRUE(scheduler_->subscribe(info));
  }

  void write(const std::string& name, mode_t mode, const std::string& text) {
    std::string path = progs_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }

  // Runs the shell commands (task id → command) and returns their terminal statuses.
  std::map<std::string, v1::TaskStatus> run(const std::map<std::string, std::string>& commands) {
    auto offers = scheduler_->next(scheduler::Event::OFFERS);
    if (!offers || offers->offers().offers_size() == 0) {
      ADD_FAILURE() << "no offer";
      return {};
    }
    const v1::Offer& offer = offers->offers().offers(0);
    scheduler::Call accept;
    accept.set_type(scheduler::Call::ACCEPT);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* op = accept.mutable_accept()->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (const auto& [id, command] : commands) {
      auto* task = op->mutable_launch()->add_task_infos();
      task->set_name(id);
      task->mutable_task_id()->set_value(id);
      *task->mutable_agent_id() = offer.agent_id();
      *task->mutable_resources() = resources("cpus:0.1;mem:16");
      task->mutable_command()->set_value(command);
      auto* env = task->mutable_command()->mutable_environment();
      auto* path = env->add_variables();
      path->set_name("PATH");
      path->set_value(progs_ + ":/usr/local/bin:/usr/bin:/bin");
      auto* out = env->add_variables();
      out->set_name("OUT_DIR");
      out->set_value(cluster_.dir());
      auto* foo = env->add_variables();
      foo->set_name("FOO");
      foo->set_value("bar baz");
    }
    EXPECT_EQ(scheduler_->call(accept), 202) << scheduler_->lastResponse().body;
    std::map<std::string, v1::TaskStatus> out;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (out.size() < commands.size() && std::chrono::steady_clock::now() < deadline) {
      auto update = scheduler_->nextUpdate(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!update) {
        break;
      }
      auto state = update->state();
      if (state != v1::TASK_STARTING && state != v1::TASK_RUNNING && state != v1::TASK_STAGING) {
        out[update->task_id().value()] = *update;
      }
    }
    return out;
  }

  std::map<std::string, std::string> recorded(const std::string& name) {
    std::map<std::string, std::string> fields;
    std::ifstream in(cluster_.dir() + "/" + name);
    for (std::string line; std::getline(in, line);) {
      size_t colon = line.find(':');
      std::string key = line.substr(0, colon);
      std::string value = line.substr(colon + 1);
      fields[key] = fields.count(key) ? fields[key] + "|" + value : value;
    }
    return fields;
  }

  Cluster cluster_;
  std::string progs_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(PlainCommandTest, PlainAndShellCommandsSeeTheSameArgvEnvironmentAndStatus) {
  auto ends = run({{"plain", "record plain x/y --z"},
                   {"syntax", "record syntax 'x y' \"$FOO\"; exit $?"},
                   {"missing", "no-such-program-xyz a b"},
                   {"noexec", "noexec"},
                   {"noexec-path", progs_ + "/noexec"},
                   {"noshebang", "noshebang x"}});
  ASSERT_EQ(ends.size(), 6u);
  for (const char* id : {"plain", "syntax"}) {
    EXPECT_EQ(ends[id].state(), v1::TASK_FAILED) << id;
    EXPECT_EQ(ends[id].message(), "Command exited with status 3") << id;
  }
  auto plain = recorded("plain");
  auto syntax = recorded("syntax");
  EXPECT_EQ(plain["arg"], "plain|x/y|--z");
  EXPECT_EQ(syntax["arg"], "syntax|x y|bar baz");
  for (auto* seen : {&plain, &syntax}) {
    EXPECT_EQ((*seen)["foo"], "bar baz");
    EXPECT_FALSE((*seen)["sandbox"].empty());
    EXPECT_NE((*seen)["sandbox"].find("/runs/"), std::string::npos);
    EXPECT_EQ(fs::canonical((*seen)["sandbox"]).string(), (*seen)["physical"])
        << "the working directory is the sandbox";
    EXPECT_EQ((*seen)["pwd"], (*seen)["physical"]) << "PWD as dash exports it";
  }
  // Only the plain command skipped the shell (where /bin/sh is dash, whose behaviour is kept).
  EXPECT_EQ(syntax["parent"], "sh");
  if (shellIsDash()) {
    EXPECT_EQ(plain["parent"].rfind("plateau-exec", 0), 0u) << plain["parent"];
  } else {
    EXPECT_EQ(plain["parent"], "sh");
  }

  EXPECT_EQ(ends["missing"].state(), v1::TASK_FAILED);
  EXPECT_EQ(ends["missing"].message(), "Command exited with status 127");
  EXPECT_NE(sandboxFile(cluster_.dir(), "missing", "stderr").find("no-such-program-xyz: not found"),
            std::string::npos)
      << sandboxFile(cluster_.dir(), "missing", "stderr");
  // dash answers 127 for a file found on PATH that it may not execute, 126 for a path.
  EXPECT_EQ(ends["noexec"].state(), v1::TASK_FAILED);
  EXPECT_EQ(ends["noexec"].message(),
            shellIsDash() ? "Command exited with status 127" : "Command exited with status 126");
  EXPECT_NE(sandboxFile(cluster_.dir(), "noexec", "stderr").find("noexec: Permission denied"),
            std::string::npos)
      << sandboxFile(cluster_.dir(), "noexec", "stderr");
  EXPECT_EQ(ends["noexec-path"].message(), "Command exited with status 126");
  EXPECT_NE(sandboxFile(cluster_.dir(), "noexec-path", "stderr")
                .find(progs_ + "/noexec: Permission denied"),
            std::string::npos)
      << sandboxFile(cluster_.dir(), "noexec-path", "stderr");
  EXPECT_EQ(ends["noshebang"].message(), "Command exited with status 5");
  EXPECT_EQ(recorded("noshebang")["arg"], "x");
}

TEST_F(PlainCommandTest, LoneTrueFinishes) {
  auto ends = run({{"true", "true"}, {"false", "false"}});
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends["true"].state(), v1::TASK_FINISHED) << ends["true"].message();
  EXPECT_EQ(ends["false"].state(), v1::TASK_FAILED);
  EXPECT_EQ(ends["false"].message(), "Command exited with status 1");
}

}  // namespace
}  // namespace plateau::testing
