// The executor zygote: its wire format, and its server on real processes (the test process
// plays the agent: the processes the zygote clones are its children).

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/containerizer/zygote_server.h"
#include "agent/containerizer/zygote_wire.h"

namespace plateau::agent::zygote {
namespace {

namespace fs = std::filesystem;

TEST(ZygoteWireTest, RequestAndReplyRoundTrip) {
  Request r;
  r.argv = {"plateau-executor", "--default"};
  r.env = {"A=1", "B="};
  r.working_dir = "/sandbox";
  r.stdout_path = "/sandbox/stdout";
  r.stderr_path = "/sandbox/stderr";
  r.cgroups = {"/sys/fs/cgroup/cpu/plateau/c1/cgroup.procs"};
  r.switch_user = true;
  r.uid = 1000;
  r.gid = 100;
  r.groups = {100, 27};
  auto back = decodeRequest(encode(r));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->argv, r.argv);
  EXPECT_EQ(back->env, r.env);
  EXPECT_EQ(back->working_dir, r.working_dir);
  EXPECT_EQ(back->stdout_path, r.stdout_path);
  EXPECT_EQ(back->stderr_path, r.stderr_path);
  EXPECT_EQ(back->cgroups, r.cgroups);
  EXPECT_TRUE(back->switch_user);
  EXPECT_EQ(back->uid, 1000u);
  EXPECT_EQ(back->gid, 100u);
  EXPECT_EQ(back->groups, r.groups);

  auto reply = decodeReply(encode(Reply{.pid = 0, .error = "Failed to open stdout: nope"}));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->pid, 0);
  EXPECT_EQ(reply->error, "Failed to open stdout: nope");
}

TEST(ZygoteWireTest, MalformedInputIsRefused) {
  Request r;
  r.argv = {"x"};
  std::string bytes = encode(r);
  EXPECT_FALSE(decodeRequest(bytes.substr(0, bytes.size() - 1)).has_value());
  EXPECT_FALSE(decodeRequest(bytes + "extra").has_value());
  EXPECT_FALSE(decodeRequest(encode(Request{})).has_value());  // no argv
  // A count far larger than the input.
  std::string huge("\xff\xff\xff\x7f", 4);
  EXPECT_FALSE(decodeRequest(huge).has_value());
  EXPECT_FALSE(decodeReply(encode(Reply{.pid = 0, .error = ""})).has_value());
  EXPECT_FALSE(decodeReply("").has_value());
}

TEST(ZygoteWireTest, FramesCrossAPipe) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_TRUE(writeFrame(p[1], "hello"));
  ASSERT_TRUE(writeFrame(p[1], ""));
  ::close(p[1]);
  EXPECT_EQ(readFrame(p[0]), "hello");
  EXPECT_EQ(readFrame(p[0]), "");
  EXPECT_FALSE(readFrame(p[0]).has_value());  // end of file
  ::close(p[0]);
}

// What the cloned processes run: reports its argv, environment and directory, exits 7.
int fakeExecutor(int argc, char** argv) {
  const char* mark = std::getenv("MARK");
  std::ifstream in("/proc/self/environ", std::ios::binary);
  std::string proc(std::istreambuf_iterator<char>(in), {});
  std::printf(
      "argc=%d arg1=%s mark=%s inherited=%s proc=%s cwd=%s\n", argc, argc > 1 ? argv[1] : "",
      mark != nullptr ? mark : "(none)", std::getenv("ZYGOTE_ONLY") ? "yes" : "no",
      proc == std::string("MARK=ok\0", 8) ? "MARK=ok" : proc.c_str(), fs::current_path().c_str());
  std::fflush(stdout);
  return 7;
}

class ZygoteServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plateau-zygote-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    zygote_ = ::fork();
    ASSERT_GE(zygote_, 0);
    if (zygote_ == 0) {
      ::close(pair[0]);
      ::setenv("ZYGOTE_ONLY", "1", 1);
      ::_exit(serve(pair[1], fakeExecutor));
    }
    ::close(pair[1]);
    socket_ = pair[0];
  }
  void TearDown() override {
    ::close(socket_);
    int status = 0;
    ::waitpid(zygote_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Reply ask(const Request& r) {
    EXPECT_TRUE(writeFrame(socket_, encode(r)));
    auto frame = readFrame(socket_);
    EXPECT_TRUE(frame.has_value());
    auto reply = decodeReply(frame.value_or(""));
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(Reply{});
  }
  Request request() const {
    Request r;
    r.argv = {"plateau-executor", "--default"};
    r.env = {"MARK=ok"};
    r.working_dir = dir_;
    r.stdout_path = dir_ + "/stdout";
    r.stderr_path = dir_ + "/stderr";
    return r;
  }
  std::string dir_;
  pid_t zygote_ = 0;
  int socket_ = -1;
};

TEST_F(ZygoteServerTest, ClonesAChildOfOursThatRunsWithTheRequestedSetUp) {
  Reply reply = ask(request());
  ASSERT_GT(reply.pid, 0) << reply.error;
  // A sibling of the zygote: this process is its parent and reaps it.
  int status = 0;
  ASSERT_EQ(::waitpid(reply.pid, &status, 0), reply.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  std::ifstream in(dir_ + "/stdout");
  std::string out(std::istreambuf_iterator<char>(in), {});
  // /proc shows its own environment too (the agent reads it back on recovery).
  EXPECT_EQ(out, "argc=2 arg1=--default mark=ok inherited=no proc=MARK=ok cwd=" + dir_ + "\n");
}

TEST_F(ZygoteServerTest, ASetUpThatFailsIsNamedAndTheZygoteServesOn) {
  // What can fail is opened before the clone: no process is started for it.
  Request bad = request();
  bad.working_dir = dir_ + "/missing";
  Reply reply = ask(bad);
  EXPECT_EQ(reply.pid, 0);
  EXPECT_EQ(reply.error, "Failed to enter the working directory: No such file or directory");
  Request unwritable = request();
  unwritable.stdout_path = dir_ + "/missing/stdout";
  reply = ask(unwritable);
  EXPECT_EQ(reply.pid, 0);
  EXPECT_EQ(reply.error, "Failed to open stdout: No such file or directory");
  Request no_cgroup = request();
  no_cgroup.cgroups = {dir_ + "/missing/cgroup.procs"};
  reply = ask(no_cgroup);
  EXPECT_EQ(reply.pid, 0);
  EXPECT_EQ(reply.error, "Failed to join its cgroup: No such file or directory");

  Reply good = ask(request());
  ASSERT_GT(good.pid, 0) << good.error;
  int status = 0;
  ASSERT_EQ(::waitpid(-1, &status, 0), good.pid);  // the only process started
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST_F(ZygoteServerTest, TheZygoteWritesTheNewPidIntoItsCgroups) {
  // A plain file stands in for cgroup.procs: the zygote, not the clone, writes the pid.
  Request r = request();
  r.cgroups = {dir_ + "/cgroup.procs"};
  std::ofstream(dir_ + "/cgroup.procs").flush();
  Reply reply = ask(r);
  ASSERT_GT(reply.pid, 0) << reply.error;
  int status = 0;
  ASSERT_EQ(::waitpid(reply.pid, &status, 0), reply.pid);
  EXPECT_EQ(WEXITSTATUS(status), 7);
  std::ifstream in(dir_ + "/cgroup.procs");
  std::string written(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(written, std::to_string(reply.pid));
}

TEST_F(ZygoteServerTest, AMalformedRequestIsAnsweredWithAnError) {
  ASSERT_TRUE(writeFrame(socket_, "garbage"));
  auto frame = readFrame(socket_);
  ASSERT_TRUE(frame.has_value());
  auto reply = decodeReply(*frame);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->pid, 0);
  EXPECT_EQ(reply->error, "Malformed zygote request");
}

}  // namespace
}  // namespace plateau::agent::zygote
