// `plateau task exec`, nested containers launched without a session, the calls' bad input as Mesos
// answers it, and `Accept: application/recordio` on the master's streams, against real processes.

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mesos/v1/agent/agent.pb.h>
#include <mesos/v1/master/master.pb.h>

#include "api_call.h"
#include "common/json_codec.h"
#include "harness.h"
#include "http/stream_accept.h"
#include "nested_fixture.h"

namespace plateau::testing {
namespace {

namespace agent_api = mesos::v1::agent;
namespace operator_api = mesos::v1::master;

// A POST /api/v1 of `body` (JSON) with extra headers; the raw answer.
http::Response post(const http::Endpoint& endpoint, const std::string& body, http::Headers headers,
                    const std::string& path = "/api/v1") {
  headers.emplace("content-type", http::kJsonMediaType);
  auto r = http::fetchSync(endpoint,
                           {.method = "POST", .path = path, .headers = headers, .body = body}, 10s);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? *r : http::Response{};
}

class NestedCli : public SleeperTask {
 protected:
  std::string master() const { return "--master=" + cluster_.master().toString(); }
  CliRun plateau(std::vector<std::string> args) { return runPlateau(cluster_, std::move(args)); }
};

TEST_F(NestedCli, TaskExecReturnsOutputAndExitStatus) {
  auto hi = plateau({"task", "exec", master(), "sleeper", "--", "echo", "hi"});
  EXPECT_EQ(hi.exit_code, 0) << hi.output;
  EXPECT_EQ(hi.output, "hi\n");
  auto three = plateau({"task", "exec", master(), "sleeper", "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(three.exit_code, 3) << three.output;
  // -i: this terminal's input (here a pipe) reaches the command, and its end ends the input.
  std::string log = cluster_.dir() + "/piped.out";
  Process piped("sh",
                {"/bin/sh", "-c",
                 fmt::format("printf 'one\\ntwo\\n' | {}/plateau task exec -i {} sleeper -- "
                             "sh -c 'cat; echo end'",
                             PLATEAU_BIN_DIR, master())},
                log);
  int status = piped.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << piped.log();
  EXPECT_EQ(piped.log(), "one\ntwo\nend\n");
  auto missing = plateau({"task", "exec", master(), "sleeper", "--", "/no/such/program"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("/no/such/program"), std::string::npos) << missing.output;
  auto unknown = plateau({"task", "exec", master(), "nobody", "--", "true"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("no task 'nobody'"), std::string::npos) << unknown.output;
}

TEST_F(NestedCli, TaskAttachFollowsTheRunningCommand) {
  // A session that talks until the test lets it finish.
  std::string go = cluster_.dir() + "/go";
  agent_api::Call launch;
  launch.set_type(agent_api::Call::LAUNCH_NESTED_CONTAINER_SESSION);
  auto* l = launch.mutable_launch_nested_container_session();
  l->mutable_container_id()->set_value("talker");
  *l->mutable_container_id()->mutable_parent() = parent_;
  l->mutable_command()->set_value(fmt::format(
      "while [ ! -f {} ]; do echo waiting; sleep 0.2; done; echo late-output; exit 4", go));
  auto session = http::BlockingStream::open(
      agent(),
      {.method = "POST",
       .path = "/api/v1",
       .headers = {{"content-type", http::kJsonMediaType}, {"accept", http::kRecordioMediaType}},
       .body = toJson(launch)},
      10s);
  ASSERT_TRUE(session);
  ASSERT_EQ((*session)->head().status, 200);
  // No --container: the one command running in the task.
  std::string log = cluster_.dir() + "/attach.out";
  Process attach("plateau",
                 {std::string(PLATEAU_BIN_DIR) + "/plateau", "task", "attach", master(), "sleeper"},
                 log);
  ASSERT_TRUE(eventually([&] { return attach.log().find("waiting") != std::string::npos; }));
  std::ofstream(go) << "go";
  int status = attach.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4) << attach.log();
  EXPECT_NE(attach.log().find("late-output"), std::string::npos) << attach.log();
  // Nothing left to attach to.
  auto none = plateau({"task", "attach", master(), "sleeper"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.output.find("nothing runs in task 'sleeper'"), std::string::npos) << none.output;
}

TEST_F(NestedCli, LaunchWithoutSessionWritesItsSandboxAndWaits) {
  agent_api::Call launch;
  launch.set_type(agent_api::Call::LAUNCH_NESTED_CONTAINER);
  auto* l = launch.mutable_launch_nested_container();
  l->mutable_container_id()->set_value("batch");
  *l->mutable_container_id()->mutable_parent() = parent_;
  l->mutable_command()->set_value("echo to-the-file; sleep 0.2");
  auto launched = callApi<agent_api::Response>(agent(), launch, http::ContentType::kProtobuf);
  ASSERT_EQ(launched.status, 200) << launched.body;
  // The same id again: accepted, not launched twice.
  EXPECT_EQ(callApi<agent_api::Response>(agent(), launch, http::ContentType::kJson).status, 202);
  agent_api::Call wait;
  wait.set_type(agent_api::Call::WAIT_NESTED_CONTAINER);
  *wait.mutable_wait_nested_container()->mutable_container_id() = l->container_id();
  auto waited = callApi<agent_api::Response>(agent(), wait, http::ContentType::kProtobuf);
  ASSERT_EQ(waited.status, 200) << waited.body;
  EXPECT_EQ(waited.response.wait_nested_container().exit_status(), 0);
  // Its output is in containers/<id>/stdout under the task's sandbox.
  EXPECT_EQ(stdoutOf("batch"), "to-the-file\n");
}

TEST_F(NestedCli, BadInputIsAnsweredAsMesosAnswersIt) {
  auto body = [&](const std::string& parent, const std::string& child) {
    return fmt::format(R"({{"type":"LAUNCH_NESTED_CONTAINER_SESSION",
        "launch_nested_container_session":{{"container_id":{{"value":"{}"{}}},
        "command":{{"value":"true"}}}}}})",
                       child,
                       parent.empty() ? "" : fmt::format(R"(,"parent":{{"value":"{}"}})", parent));
  };
  http::Headers streaming{{"accept", http::kRecordioMediaType},
                          {"message-accept", http::kJsonMediaType}};
  auto unknown = post(agent(), body("no-such-container", "x"), streaming);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("Parent container no-such-container does not exist"),
            std::string::npos)
      << unknown.body;
  auto no_parent = post(agent(), body("", "x"), streaming);
  EXPECT_EQ(no_parent.status, 400);
  EXPECT_NE(no_parent.body.find("container_id.parent' to be present"), std::string::npos)
      << no_parent.body;
  auto dotted = post(agent(), body(parent_.value(), "a.b"), streaming);
  EXPECT_EQ(dotted.status, 400) << dotted.body;
  // A non-streaming call cannot be answered as a stream, nor with Message-Accept.
  auto state = post(agent(), R"({"type":"GET_STATE"})", streaming);
  EXPECT_EQ(state.status, 406);
  EXPECT_EQ(state.body, "Streaming response is not supported for GET_STATE call");
  auto message_accept =
      post(agent(), R"({"type":"GET_STATE"})", {{"message-accept", http::kJsonMediaType}});
  EXPECT_EQ(message_accept.status, 406) << message_accept.body;
  // ATTACH_CONTAINER_INPUT must stream its request.
  auto input = post(agent(), R"({"type":"ATTACH_CONTAINER_INPUT"})", {});
  EXPECT_EQ(input.status, 415) << input.body;
  auto wait = post(agent(),
                   R"({"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"x",
                       "parent":{"value":"y"}}}})",
                   {});
  EXPECT_EQ(wait.status, 404) << wait.body;
  auto standalone = post(agent(),
                         R"({"type":"LAUNCH_CONTAINER","launch_container":{"container_id":
                             {"value":"alone"},"command":{"value":"true"},"resources":[{"name":
                             "cpus","type":"SCALAR","scalar":{"value":1},"reservations":[{"type":
                             "STATIC","role":"eng"}]}]}})",
                         {});
  EXPECT_EQ(standalone.status, 400);
  EXPECT_EQ(standalone.body, "'launch_container.resources' must be unreserved");
  // The task ends: a session in its container is refused.
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("sleeper");
  ASSERT_EQ(scheduler_->call(kill), 202);
  ASSERT_TRUE(eventually([&] {
    auto status = scheduler_->nextUpdate(1s);
    return status && status->state() == v1::TASK_KILLED;
  }));
  ASSERT_TRUE(eventually(
      [&] { return post(agent(), body(parent_.value(), "late"), streaming).status == 400; }));
  auto finished = plateau({"task", "exec", master(), "sleeper", "--", "true"});
  EXPECT_EQ(finished.exit_code, 1);
  EXPECT_NE(finished.output.find("TASK_KILLED"), std::string::npos) << finished.output;
}

TEST_F(NestedCli, MasterStreamsAnswerAsRecordioWhenAskedTo) {
  // The operator API's SUBSCRIBE.
  auto stream =
      http::BlockingStream::open(cluster_.master(),
                                 {.method = "POST",
                                  .path = "/api/v1",
                                  .headers = {{"content-type", http::kJsonMediaType},
                                              {"accept", http::kRecordioMediaType},
                                              {"message-accept", http::kProtobufMediaType}},
                                  .body = R"({"type":"SUBSCRIBE"})"},
                                 10s);
  ASSERT_TRUE(stream);
  EXPECT_EQ((*stream)->head().status, 200);
  EXPECT_EQ((*stream)->head().header("content-type"), http::kRecordioMediaType);
  EXPECT_EQ((*stream)->head().header("message-content-type"), http::kProtobufMediaType);
  (*stream)->close();
  // Other calls are not streams.
  auto state =
      post(cluster_.master(), R"({"type":"GET_STATE"})", {{"accept", http::kRecordioMediaType}});
  EXPECT_EQ(state.status, 406) << state.body;
  // The scheduler API's SUBSCRIBE.
  auto subscribed = http::BlockingStream::open(
      cluster_.master(),
      {.method = "POST",
       .path = "/api/v1/scheduler",
       .headers = {{"content-type", http::kJsonMediaType},
                   {"accept", http::kRecordioMediaType},
                   {"message-accept", http::kJsonMediaType}},
       .body = R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"r"}}})"},
      10s);
  ASSERT_TRUE(subscribed);
  EXPECT_EQ((*subscribed)->head().status, 200);
  EXPECT_EQ((*subscribed)->head().header("content-type"), http::kRecordioMediaType);
  EXPECT_EQ((*subscribed)->head().header("message-content-type"), http::kJsonMediaType);
  auto first = (*subscribed)->read(10s);
  ASSERT_TRUE(first);
  EXPECT_NE(first->find("SUBSCRIBED"), std::string::npos) << *first;
  // Accept that allows none of the three is refused.
  auto refused = post(cluster_.master(),
                      R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u",
                          "name":"r"}}})",
                      {{"accept", "text/html"}}, "/api/v1/scheduler");
  EXPECT_EQ(refused.status, 406);
}

}  // namespace
}  // namespace plateau::testing
