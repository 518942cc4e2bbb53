// ATTACH_CONTAINER_INPUT as Mesos's clients make it (one long-lived chunked request whose records
// reach the container as they arrive), HEARTBEAT records on the output streams
// (--http_heartbeat_interval), containers nested under nested containers, and `plateau task exec
// -i` streaming its stdin, against real processes.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>

#include "http/upload.h"
#include "nested_fixture.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;
constexpr auto kHeartbeat = std::chrono::milliseconds(300);

// Follows an output stream of ProcessIO records (JSON): what came on stdout, and the heartbeats.
class OutputReader {
 public:
  explicit OutputReader(std::unique_ptr<http::BlockingStream> stream)
      : stream_(std::move(stream)) {}
  http::BlockingStream& stream() { return *stream_; }
  // Reads what arrived within `wait`.
  void poll(std::chrono::milliseconds wait = std::chrono::milliseconds(100)) {
    auto data = stream_->read(wait);
    auto records = data ? decoder_.decode(*data) : std::vector<std::string>{};
    for (const auto& r : records ? *records : std::vector<std::string>{}) {
      agent_api::ProcessIO io;
      EXPECT_TRUE(http::decode(r, http::ContentType::kJson, &io).isOk()) << r;
      if (io.type() == agent_api::ProcessIO::DATA) {
        out_ += io.data().data();
      } else if (io.control().type() == agent_api::ProcessIO::Control::HEARTBEAT) {
        EXPECT_EQ(io.control().heartbeat().interval().nanoseconds(),
                  std::chrono::nanoseconds(kHeartbeat).count());
        heartbeats_++;
      }
    }
  }
  bool outputIs(const std::string& expected) {
    poll();
    return out_ == expected;
  }
  // Reads until the stream ends.
  bool drained() {
    poll();
    return stream_->ended();
  }
  const std::string& out() const { return out_; }
  int heartbeats() const { return heartbeats_; }

 private:
  std::unique_ptr<http::BlockingStream> stream_;
  recordio::Decoder decoder_;
  std::string out_;
  int heartbeats_ = 0;
};

class NestedStream : public SleeperTask {
 protected:
  std::vector<std::string> agentFlags() const override {
    return {fmt::format("--http_heartbeat_interval={}ms", kHeartbeat.count())};
  }
  // An ATTACH_CONTAINER_INPUT request opened for `id` (its first record sent).
  std::unique_ptr<http::BlockingUpload> attachInput(const v1::ContainerID& id) {
    auto upload =
        http::BlockingUpload::open(agent(),
                                   {.method = "POST",
                                    .path = "/api/v1",
                                    .headers = {{"content-type", http::kRecordioMediaType},
                                                {"message-content-type", http::kJsonMediaType},
                                                {"accept", http::kJsonMediaType}},
                                    .body = {}},
                                   10s);
    EXPECT_TRUE(upload) << (upload ? "" : upload.error().message());
    if (!upload) {
      return nullptr;
    }
    EXPECT_TRUE((*upload)->write(inputRecord(id, true, ""), 10s).isOk());
    return std::move(*upload);
  }
  OutputReader session(const v1::ContainerID& id, const std::string& shell) {
    auto stream = open(SleeperTask::session(id, shell), http::ContentType::kJson);
    EXPECT_TRUE(stream && stream->head().status == 200);
    return OutputReader(std::move(stream));
  }
};

TEST_F(NestedStream, OneLongInputRequestFeedsCatPieceByPiece) {
  auto id = child("cat");
  OutputReader output = session(id, "cat; echo done");
  auto input = attachInput(id);
  ASSERT_TRUE(input);
  std::string sent;
  for (const std::string piece : {"alpha\n", "beta\n", "gamma\n"}) {
    ASSERT_TRUE(input->write(inputRecord(id, false, piece), 10s).isOk());
    sent += piece;
    // Each piece comes back through cat while the input request is still open.
    ASSERT_TRUE(eventually([&] { return output.outputIs(sent); })) << output.out();
    EXPECT_FALSE(input->answer().has_value());
    // The request stays open across heartbeat periods (the output stream's keep coming).
    int seen = output.heartbeats();
    ASSERT_TRUE(eventually([&] { return output.outputIs(sent) && output.heartbeats() > seen; }));
  }
  // An empty DATA record ends cat's input; the end of the body answers the request.
  ASSERT_TRUE(input->write(inputRecord(id, false, ""), 10s).isOk());
  auto answer = input->finish(10s);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status, 200) << answer->body;
  ASSERT_TRUE(eventually([&] { return output.drained(); }));
  EXPECT_EQ(output.out(), sent + "done\n");
  EXPECT_EQ(WEXITSTATUS(waitFor(id, false).wait_container().exit_status()), 0);
}

TEST_F(NestedStream, OneInputConnectionAtATime) {
  auto id = child("single");
  OutputReader output = session(id, "cat");
  auto first = attachInput(id);
  ASSERT_TRUE(first);
  auto second = attachInput(id);
  ASSERT_TRUE(second);
  auto refused = second->finish(10s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409);
  EXPECT_EQ(refused->body, "Multiple input connections are not allowed");
  // The first one ends without ending stdin: a later connection carries on.
  ASSERT_TRUE(first->write(inputRecord(id, false, "one\n"), 10s).isOk());
  auto ended = first->finish(10s);
  ASSERT_TRUE(ended && ended->status == 200);
  auto third = attachInput(id);
  ASSERT_TRUE(third);
  ASSERT_TRUE(third->write(inputRecord(id, false, "two\n"), 10s).isOk());
  ASSERT_TRUE(third->write(inputRecord(id, false, ""), 10s).isOk());
  auto last = third->finish(10s);
  ASSERT_TRUE(last && last->status == 200);
  ASSERT_TRUE(eventually([&] { return output.drained(); }));
  EXPECT_EQ(output.out(), "one\ntwo\n");
  // A bad record is answered 400 with Mesos's reason.
  auto other = child("bad");
  OutputReader bad_output = session(other, "cat");
  auto bad = attachInput(other);
  ASSERT_TRUE(bad);
  ASSERT_TRUE(bad->write(recordio::encode(R"({"type":"ATTACH_CONTAINER_INPUT",
      "attach_container_input":{"type":"PROCESS_IO","process_io":{"type":"DATA",
      "data":{"type":"STDOUT","data":"eA=="}}}})"),
                         10s)
                  .isOk());
  std::optional<Result<http::Response>> answer;
  ASSERT_TRUE(eventually([&] { return (answer = bad->answer()).has_value(); }));
  ASSERT_TRUE(*answer);
  EXPECT_EQ((*answer)->status, 400);
  EXPECT_EQ((*answer)->body, "Expecting 'process_io.data.type' to be 'STDIN'");
}

TEST_F(NestedStream, AttachedOutputGetsHeartbeatsToo) {
  auto id = child("quiet");
  OutputReader session_output = session(id, "cat");
  agent_api::Call attach;
  attach.set_type(agent_api::Call::ATTACH_CONTAINER_OUTPUT);
  *attach.mutable_attach_container_output()->mutable_container_id() = id;
  OutputReader attached(open(attach, http::ContentType::kJson));
  ASSERT_TRUE(eventually([&] {
    session_output.poll();
    attached.poll();
    return session_output.heartbeats() >= 2 && attached.heartbeats() >= 2;
  }));
}

TEST_F(NestedStream, InputIsReadNoFasterThanTheProcessTakesIt) {
  auto id = child("deaf");
  OutputReader output = session(id, "sleep 1000");  // never reads its stdin
  auto input = attachInput(id);
  ASSERT_TRUE(input);
  const std::string piece(1 << 20, 'z');
  size_t sent = 0;
  // The agent holds at most 1 MiB for the process; the sockets' buffers fill behind it.
  while (sent < (64u << 20) && input->write(inputRecord(id, false, piece), 3s).isOk()) {
    sent += piece.size();
  }
  EXPECT_LT(sent, 32u << 20);
  output.stream().close();  // ends the session's container
}

TEST_F(NestedStream, ContainersNestUnderNestedContainers) {
  auto middle = child("middle");
  agent_api::Call launch;
  launch.set_type(agent_api::Call::LAUNCH_NESTED_CONTAINER);
  *launch.mutable_launch_nested_container()->mutable_container_id() = middle;
  launch.mutable_launch_nested_container()->mutable_command()->set_value("sleep 1000");
  ASSERT_EQ(call(launch).status, 200);
  auto deep = child("deep", &middle);
  OutputReader output = session(deep, "echo deep; exit 5");
  ASSERT_TRUE(eventually([&] { return output.drained(); }));
  EXPECT_EQ(output.out(), "deep\n");
  EXPECT_EQ(WEXITSTATUS(waitFor(deep, false).wait_container().exit_status()), 5);
  auto inner = child("inner", &middle);
  *launch.mutable_launch_nested_container()->mutable_container_id() = inner;
  ASSERT_EQ(call(launch).status, 200);
  agent_api::Call list;
  list.set_type(agent_api::Call::GET_CONTAINERS);
  list.mutable_get_containers()->set_show_nested(true);
  auto listed = call(list);
  EXPECT_NE(listed.body.find("inner"), std::string::npos) << listed.body;
  // The middle one ends: the one nested under it goes too.
  agent_api::Call kill;
  kill.set_type(agent_api::Call::KILL_NESTED_CONTAINER);
  *kill.mutable_kill_nested_container()->mutable_container_id() = middle;
  ASSERT_EQ(call(kill).status, 200);
  auto waited = waitFor(inner, true).wait_nested_container();
  ASSERT_TRUE(WIFSIGNALED(waited.exit_status()));
  EXPECT_EQ(WTERMSIG(waited.exit_status()), SIGKILL);
  EXPECT_EQ(waited.message(), "Its parent container ended");
  // Under an ended container nothing launches.
  auto late = open(SleeperTask::session(child("late", &middle), "true"), http::ContentType::kJson);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->head().status, 400);
}

TEST_F(NestedStream, TaskExecStreamsItsStdinAsItIsTyped) {
  std::string fifo = cluster_.dir() + "/stdin";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string log = cluster_.dir() + "/exec.out";
  Process exec("sh",
               {"/bin/sh", "-c",
                fmt::format("{}/plateau task exec -i --master={} sleeper -- cat < {}",
                            PLATEAU_BIN_DIR, cluster_.master().toString(), fifo)},
               log);
  int fd = ::open(fifo.c_str(), O_WRONLY);  // once the shell opened it for reading
  ASSERT_GE(fd, 0);
  std::string typed;
  for (const std::string line : {"first line\n", "second line\n"}) {
    ASSERT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    typed += line;
    // It is back through the container's cat while stdin is still open.
    ASSERT_TRUE(eventually([&] { return exec.log() == typed; })) << exec.log();
  }
  ::close(fd);
  int status = exec.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << exec.log();
  EXPECT_EQ(exec.log(), typed);
}

TEST_F(NestedStream, StandaloneContainersRunOnTheirOwn) {
  v1::ContainerID alone;
  alone.set_value("alone");
  auto body = R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"alone"},
      "command":{"value":"echo hi; exec sleep 1000"},"resources":[{"name":"cpus","type":"SCALAR",
      "scalar":{"value":0.1}},{"name":"mem","type":"SCALAR","scalar":{"value":32}}]}})";
  auto launched = http::fetchSync(
      agent(),
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", http::kJsonMediaType}, {"accept", http::kJsonMediaType}},
       .body = body},
      10s);
  ASSERT_TRUE(launched);
  ASSERT_EQ(launched->status, 200) << launched->body;
  // It can be a parent too.
  auto under = child("under", &alone);
  OutputReader output = session(under, "echo under");
  ASSERT_TRUE(eventually([&] { return output.drained(); }));
  EXPECT_EQ(output.out(), "under\n");
  agent_api::Call kill;
  kill.set_type(agent_api::Call::KILL_CONTAINER);
  *kill.mutable_kill_container()->mutable_container_id() = alone;
  kill.mutable_kill_container()->set_signal(SIGTERM);
  ASSERT_EQ(call(kill).status, 200);
  auto waited = waitFor(alone, false).wait_container().exit_status();
  ASSERT_TRUE(WIFSIGNALED(waited));
  EXPECT_EQ(WTERMSIG(waited), SIGTERM);
  // Its output went to its own sandbox, containers/alone under the agent's work directory.
  EXPECT_EQ(stdoutOf("alone"), "hi\n");
  removeAndCheckGone(alone);
}

}  // namespace
}  // namespace plateau::testing
