// Nested containers on the agent's operator API (LAUNCH_NESTED_CONTAINER_SESSION,
// ATTACH_CONTAINER_INPUT/OUTPUT, LAUNCH/WAIT/KILL/REMOVE_(NESTED_)CONTAINER) inside a running
// task's container, and `Accept: application/recordio` with `Message-Accept`, against real
// processes.

#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "api_call.h"
#include "common/json_codec.h"
#include "common/recordio.h"
#include "harness.h"
#include "http/stream_accept.h"
#include "nested_fixture.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;

class Nested : public SleeperTask {
 protected:
  // Reads ProcessIO records until the stream ends: (stdout, stderr).
  static std::pair<std::string, std::string> drain(http::BlockingStream& stream,
                                                   http::ContentType message) {
    std::pair<std::string, std::string> out;
    recordio::Decoder decoder;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!stream.ended() && std::chrono::steady_clock::now() < deadline) {
      auto data = stream.read(1s);
      if (!data) {
        continue;
      }
      auto records = decoder.decode(*data);
      EXPECT_TRUE(records);
      for (const auto& r : records ? *records : std::vector<std::string>{}) {
        agent_api::ProcessIO io;
        EXPECT_TRUE(http::decode(r, message, &io).isOk());
        EXPECT_EQ(io.type(), agent_api::ProcessIO::DATA);
        (io.data().type() == agent_api::ProcessIO::Data::STDERR ? out.second : out.first) +=
            io.data().data();
      }
    }
    EXPECT_TRUE(stream.ended());
    return out;
  }
};

TEST_F(Nested, SessionStreamsOutputAsRecordioAndKeepsTheExitStatus) {
  for (auto message : {http::ContentType::kJson, http::ContentType::kProtobuf}) {
    auto id = child(message == http::ContentType::kJson ? "json" : "protobuf");
    auto stream = open(
        session(id, "echo hi; echo oops >&2; test -f stdout && echo sandbox; exit 3"), message);
    ASSERT_TRUE(stream);
    ASSERT_EQ(stream->head().status, 200);
    EXPECT_EQ(stream->head().header("content-type"), http::kRecordioMediaType);
    EXPECT_EQ(stream->head().header("message-content-type"), http::mediaType(message));
    auto [out, err] = drain(*stream, message);
    // It ran in the task's sandbox (where the executor's stdout file is).
    EXPECT_EQ(out, "hi\nsandbox\n");
    EXPECT_EQ(err, "oops\n");
    auto nested = waitFor(id, true);
    EXPECT_EQ(nested.type(), agent_api::Response::WAIT_NESTED_CONTAINER);
    ASSERT_TRUE(WIFEXITED(nested.wait_nested_container().exit_status()));
    EXPECT_EQ(WEXITSTATUS(nested.wait_nested_container().exit_status()), 3);
    auto plain = waitFor(id, false);
    EXPECT_EQ(plain.type(), agent_api::Response::WAIT_CONTAINER);
    EXPECT_EQ(plain.wait_container().exit_status(), nested.wait_nested_container().exit_status());
    // Removed, it is gone.
    removeAndCheckGone(id, true);
  }
}

TEST_F(Nested, InputReachesTheSessionAndItsEndEndsTheCommand) {
  auto id = child("reader");
  auto stream =
      open(session(id, "read line; echo got:$line; cat; echo done"), http::ContentType::kJson);
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream->head().status, 200);
  auto record = [&](bool first, const std::string& data) { return inputRecord(id, first, data); };
  auto input = [&](const std::string& body) {
    return http::fetchSync(agent(),
                           {.method = "POST",
                            .path = "/api/v1",
                            .headers = {{"content-type", http::kRecordioMediaType},
                                        {"message-content-type", http::kJsonMediaType},
                                        {"accept", http::kJsonMediaType}},
                            .body = body},
                           10s);
  };
  auto first = input(record(true, "") + record(false, "hello\n"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  auto second = input(record(true, "") + record(false, "more\n") + record(false, ""));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200) << second->body;
  auto [out, err] = drain(*stream, http::ContentType::kJson);
  EXPECT_EQ(out, "got:hello\nmore\ndone\n");
  EXPECT_EQ(WEXITSTATUS(waitFor(id, false).wait_container().exit_status()), 0);
  // Input for a container that ended is refused with a reason.
  auto late = input(record(true, "") + record(false, "x"));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 400);
  EXPECT_NE(late->body.find("terminated"), std::string::npos) << late->body;
}

TEST_F(Nested, TtySessionRunsOnAPseudoTerminal) {
  auto id = child("tty");
  auto c = session(id, "test -t 0 && test -t 1 && stty size");
  auto* tty = c.mutable_launch_nested_container_session()->mutable_container()->mutable_tty_info();
  c.mutable_launch_nested_container_session()->mutable_container()->set_type(
      v1::ContainerInfo::MESOS);
  tty->mutable_window_size()->set_rows(33);
  tty->mutable_window_size()->set_columns(101);
  auto stream = open(c, http::ContentType::kJson);
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream->head().status, 200);
  auto [out, err] = drain(*stream, http::ContentType::kJson);
  EXPECT_EQ(out, "33 101\r\n");  // a terminal translates "\n"
  EXPECT_EQ(WEXITSTATUS(waitFor(id, true).wait_nested_container().exit_status()), 0);
}

TEST_F(Nested, ClosingTheSessionKillsItsContainer) {
  auto id = child("dropped");
  auto stream = open(session(id, "echo started; sleep 1000"), http::ContentType::kJson);
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream->head().status, 200);
  recordio::Decoder decoder;
  std::string out;
  ASSERT_TRUE(eventually([&] {
    auto data = stream->read(1s);
    auto records = data ? decoder.decode(*data) : std::vector<std::string>{};
    for (const auto& r : records ? *records : std::vector<std::string>{}) {
      agent_api::ProcessIO io;
      EXPECT_TRUE(http::decode(r, http::ContentType::kJson, &io).isOk());
      out += io.data().data();
    }
    return out == "started\n";
  }));
  stream->close();
  auto waited = waitFor(id, false);
  ASSERT_TRUE(WIFSIGNALED(waited.wait_container().exit_status()));
  EXPECT_EQ(WTERMSIG(waited.wait_container().exit_status()), SIGKILL);
}

// The task's container has its own pid and mount namespaces (and /proc): the nested container
// joins them, and its exit status and signals come through the process that waits for it there.
class NestedInNamespaces : public Nested {
 protected:
  std::vector<std::string> agentFlags() const override {
    return {"--isolation=posix/cpu,posix/mem,namespaces/pid", "--launcher=linux"};
  }
};

TEST_F(NestedInNamespaces, JoinsTheTasksPidNamespace) {
  auto id = child("inside");
  auto stream =
      open(session(id, "tr '\\0' ' ' < /proc/1/cmdline; echo; exit 7"), http::ContentType::kJson);
  ASSERT_TRUE(stream);
  ASSERT_EQ(stream->head().status, 200);
  auto [out, err] = drain(*stream, http::ContentType::kJson);
  // Its pid 1 is the task's executor, not the host's init.
  EXPECT_NE(out.find("plateau-executor"), std::string::npos) << out << err;
  auto waited = waitFor(id, false).wait_container().exit_status();
  ASSERT_TRUE(WIFEXITED(waited));
  EXPECT_EQ(WEXITSTATUS(waited), 7);

  auto killed = child("killed");
  auto self_kill = open(session(killed, "kill -9 $$"), http::ContentType::kJson);
  ASSERT_TRUE(self_kill);
  drain(*self_kill, http::ContentType::kJson);
  auto status = waitFor(killed, true).wait_nested_container().exit_status();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

}  // namespace
}  // namespace plateau::testing
