#include "common/plain_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace plateau {
namespace {

using Words = std::vector<std::string>;

TEST(PlainCommandTest, SplitsPlainWordListsOnSpacesAndTabs) {
  EXPECT_EQ(plainWords("sleep 100"), (Words{"sleep", "100"}));
  EXPECT_EQ(plainWords("  /usr/bin/env\t-u  FOO  python3 -m http.server 8080 "),
            (Words{"/usr/bin/env", "-u", "FOO", "python3", "-m", "http.server", "8080"}));
  EXPECT_EQ(plainWords("./run.sh --port=x"), std::nullopt) << "'=' is left to the shell";
  EXPECT_EQ(plainWords("java -Xmx512m -cp a.jar:b.jar,c@d+e%f Main"),
            (Words{"java", "-Xmx512m", "-cp", "a.jar:b.jar,c@d+e%f", "Main"}));
  EXPECT_EQ(plainWords("bin/app"), (Words{"bin/app"}));
}

TEST(PlainCommandTest, LoneTrueAndFalseRunAsPrograms) {
  EXPECT_EQ(plainWords("true"), (Words{"true"}));
  EXPECT_EQ(plainWords(" false "), (Words{"false"}));
  // /bin/true answers --help and --version; the builtin ignores its arguments.
  EXPECT_EQ(plainWords("true --help"), std::nullopt);
  EXPECT_EQ(plainWords("false x"), std::nullopt);
}

TEST(PlainCommandTest, EmptyCommandIsTheShells) {
  EXPECT_EQ(plainWords(""), std::nullopt);
  EXPECT_EQ(plainWords("   \t "), std::nullopt);
}

TEST(PlainCommandTest, AnyShellSyntaxIsTheShells) {
  for (const char* command :
       {"echo $HOME", "sleep ${T}",  "a `b`",   "a $(b)", "a 'b c'", "a \"b\"", "a\\ b",
        "a;b",        "a && b",      "a || b",  "a | b",  "a & ",    "a > out", "a < in",
        "a 2>&1",     "(a)",         "{ a; }",  "a *",    "a ?",     "a [ab]",  "a ~",
        "~/bin/a",    "a #comment",  "FOO=1 a", "a\nb",   "a\rb",    "a !",     "a^b",
        "a\x01",      "caf\xc3\xa9", "a\x7f"}) {
    EXPECT_EQ(plainWords(command), std::nullopt) << command;
  }
}

TEST(PlainCommandTest, ReservedWordsAndBuiltinsAreTheShells) {
  for (const char* command : {"exit 3",         "cd /tmp",  "echo hi",    "printf x",
                              "exec sleep 1",   "kill 1",   "pwd",        "test -f x",
                              "[ -f x ]",       "export A", "set -e",     "ulimit -n",
                              "umask 022",      "wait",     "read x",     "trap x",
                              "eval x",         ". x",      ": x",        "source x",
                              "time sleep 1",   "if x",     "while x",    "for x",
                              "case x",         "until x",  "do",         "done",
                              "then",           "fi",       "type sleep", "command sleep 1",
                              "alias x",        "hash",     "times",      "shift",
                              "getopts a",      "local x",  "readonly x", "return",
                              "break",          "continue", "unset x",    "true x",
                              "false --version"}) {
    EXPECT_EQ(plainWords(command), std::nullopt) << command;
  }
  // Only the first word counts: later words are arguments.
  EXPECT_EQ(plainWords("sudo -n echo hi"), (Words{"sudo", "-n", "echo", "hi"}));
}

TEST(PlainCommandTest, EnvironmentMustBeShellNamesOnceEach) {
  EXPECT_TRUE(shellEnvironment({}));
  EXPECT_TRUE(shellEnvironment({"PATH=/bin", "_X1=", "a=b=c"}));
  EXPECT_FALSE(shellEnvironment({"A-B=1"}));
  EXPECT_FALSE(shellEnvironment({"1X=1"}));
  EXPECT_FALSE(shellEnvironment({"=x"}));
  EXPECT_FALSE(shellEnvironment({"NOEQUALS"}));
  EXPECT_FALSE(shellEnvironment({"A.B=1"}));
  EXPECT_FALSE(shellEnvironment({"A=1", "B=2", "A=3"}));
  // dash resets these for its children: left to it.
  EXPECT_FALSE(shellEnvironment({"IFS=:"}));
  EXPECT_FALSE(shellEnvironment({"OPTIND=3"}));
  EXPECT_FALSE(shellEnvironment({"PPID=1"}));
  EXPECT_TRUE(shellEnvironment({"IFSX=:", "PS1=$ ", "ENV=/etc/shrc", "LINENO=3"}));
}

TEST(PlainCommandTest, PathCandidatesInOrderAbsoluteOnly) {
  EXPECT_EQ(pathCandidates("app", "/usr/local/bin:/usr/bin/:/bin"),
            (Words{"/usr/local/bin/app", "/usr/bin/app", "/bin/app"}));
  EXPECT_EQ(pathCandidates("./app", "/bin"), (Words{"./app"}));
  EXPECT_EQ(pathCandidates("/opt/app", ""), (Words{"/opt/app"}));
  // Empty or relative entries mean the working directory: left to the shell.
  EXPECT_TRUE(pathCandidates("app", "/bin::/usr/bin").empty());
  EXPECT_TRUE(pathCandidates("app", "/bin:").empty());
  EXPECT_TRUE(pathCandidates("app", "bin:/bin").empty());
  EXPECT_TRUE(pathCandidates("app", "").empty());
  EXPECT_TRUE(pathCandidates("app", "/bin:/opt/fns%func").empty());
}

TEST(PlainCommandTest, FindVariableMatchesWholeNames) {
  Words env{"PATHX=1", "PATH=/bin:/usr/bin", "PWD="};
  EXPECT_EQ(findVariable(env, "PATH"), "/bin:/usr/bin");
  EXPECT_EQ(findVariable(env, "PWD"), "");
  EXPECT_EQ(findVariable(env, "PAT"), std::nullopt);
}

class DirectSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!shellIsDash()) {
      GTEST_SKIP() << "/bin/sh is not dash: commands always run through the shell";
    }
    char name[] = "/tmp/plain-command-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    dir_ = name;
    std::filesystem::create_directories(dir_ + "/bin");
    std::filesystem::create_directories(dir_ + "/first");
    std::filesystem::create_directories(dir_ + "/work");
    write(dir_ + "/bin/app", 0755);
    write(dir_ + "/first/app", 0644);  // not executable: skipped, as the shell does
    std::filesystem::create_directories(dir_ + "/first/tool");  // a folder: skipped
    write(dir_ + "/bin/tool", 0755);
    write(dir_ + "/work/local", 0755);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }
  static void write(const std::string& path, mode_t mode) {
    std::ofstream(path) << "#!/bin/sh\n";
    ::chmod(path.c_str(), mode);
  }
  LaunchSpec shell(const std::string& command, Words env = {}) const {
    LaunchSpec spec;
    spec.path = "/bin/sh";
    spec.argv = {"sh", "-c", command};
    spec.env = env.empty() ? Words{"PATH=" + dir_ + "/first:" + dir_ + "/bin", "FOO=bar"} : env;
    spec.working_dir = dir_ + "/work";
    return spec;
  }
  std::string dir_;
};

TEST_F(DirectSpecTest, PlainCommandRunsTheProgramTheShellWouldFind) {
  auto spec = directSpec(shell("app a b"), "app a b");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->path, dir_ + "/bin/app");
  EXPECT_EQ(spec->argv, (Words{"app", "a", "b"})) << "argv[0] is the word, as the shell gives it";
  EXPECT_EQ(spec->working_dir, dir_ + "/work");
  EXPECT_EQ(findVariable(spec->env, "FOO"), "bar");
  EXPECT_EQ(findVariable(spec->env, "PWD"), dir_ + "/work") << "dash exports PWD";
  auto tool = directSpec(shell("tool"), "tool");
  ASSERT_TRUE(tool);
  EXPECT_EQ(tool->path, dir_ + "/bin/tool");
}

TEST_F(DirectSpecTest, PwdIsKeptWhenItNamesTheWorkingDirectory) {
  std::filesystem::create_directory_symlink(dir_ + "/work", dir_ + "/link");
  std::string path = "PATH=" + dir_ + "/bin";
  auto kept = directSpec(shell("app", {path, "PWD=" + dir_ + "/link"}), "app");
  ASSERT_TRUE(kept);
  EXPECT_EQ(findVariable(kept->env, "PWD"), dir_ + "/link");
  auto replaced = directSpec(shell("app", {path, "PWD=/"}), "app");
  ASSERT_TRUE(replaced);
  EXPECT_EQ(findVariable(replaced->env, "PWD"), dir_ + "/work");
  EXPECT_EQ(std::count_if(replaced->env.begin(), replaced->env.end(),
                          [](const std::string& e) { return e.starts_with("PWD="); }),
            1);
}

TEST_F(DirectSpecTest, RelativeProgramIsTheWorkingDirectorys) {
  auto spec = directSpec(shell("./local x"), "./local x");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->path, "./local");
  EXPECT_EQ(directSpec(shell("./missing"), "./missing"), std::nullopt);
}

TEST_F(DirectSpecTest, WhatTheShellMustAnswerStaysTheShells) {
  EXPECT_EQ(directSpec(shell("no-such-program"), "no-such-program"), std::nullopt);      // 127
  EXPECT_EQ(directSpec(shell(dir_ + "/first/app"), dir_ + "/first/app"), std::nullopt);  // 126
  EXPECT_EQ(directSpec(shell(dir_ + "/first/tool"), dir_ + "/first/tool"), std::nullopt);
  EXPECT_EQ(directSpec(shell("app | cat"), "app | cat"), std::nullopt);
  EXPECT_EQ(directSpec(shell("app", {"FOO=1"}), "app"), std::nullopt) << "no PATH";
  EXPECT_EQ(directSpec(shell("app", {"PATH=" + dir_ + "/bin", "A-B=1"}), "app"), std::nullopt);
  EXPECT_EQ(directSpec(shell("app", {"PATH=" + dir_ + "/bin:"}), "app"), std::nullopt);
  LaunchSpec not_shell = shell("app");
  not_shell.path = "/bin/bash";
  EXPECT_EQ(directSpec(not_shell, "app"), std::nullopt);
  LaunchSpec no_dir = shell("app");
  no_dir.working_dir.clear();
  EXPECT_EQ(directSpec(no_dir, "app"), std::nullopt);
}

}  // namespace
}  // namespace plateau
