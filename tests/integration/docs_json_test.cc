// A scheduler written only from Mesos's scheduler HTTP API docs: hand-written JSON bodies,
// RecordIO parsed by hand, base64 uuids echoed back.

#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

class JsonScheduler {
 public:
  explicit JsonScheduler(http::Endpoint master) : master_(std::move(master)) {}

  bool subscribe(const std::string& body) {
    auto s = http::BlockingStream::open(
        master_,
        {.method = "POST",
         .path = "/api/v1/scheduler",
         .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
         .body = body},
        10s);
    if (!s || (*s)->head().status != 200) return false;
    stream_ = std::move(*s);
    stream_id_ = stream_->head().header("mesos-stream-id");
    return true;
  }

  // The next event of this type, parsing "<length>\n<json>" records by hand.
  std::optional<json::Value> next(const std::string& type,
                                  std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        size_t length = std::stoul(buffer_.substr(0, newline));
        if (buffer_.size() >= newline + 1 + length) {
          auto event = json::parse(buffer_.substr(newline + 1, length));
          buffer_.erase(0, newline + 1 + length);
          EXPECT_TRUE(event.has_value());
          if (event && (*event)["type"].asString() == type) return *event;
          continue;
        }
      }
      auto data = stream_->read(200ms);
      if (data) buffer_ += *data;
    }
    return std::nullopt;
  }

  int post(const std::string& body) {
    auto r = http::fetchSync(
        master_,
        {.method = "POST",
         .path = "/api/v1/scheduler",
         .headers = {{"content-type", "application/json"}, {"mesos-stream-id", stream_id_}},
         .body = body},
        5s);
    return r ? r->status : 0;
  }

 private:
  http::Endpoint master_;
  std::unique_ptr<http::BlockingStream> stream_;
  std::string stream_id_;
  std::string buffer_;
};

TEST(DocsJson, SubscribeLaunchAcknowledgeReconcileTeardown) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:1024;disk:1024;ports:[31000-32000]");
  JsonScheduler s(cluster.master());
  ASSERT_TRUE(s.subscribe(R"({
    "type": "SUBSCRIBE",
    "subscribe": {
      "framework_info": {
        "user": "foo",
        "name": "Example HTTP Framework",
        "roles": ["test"],
        "capabilities": [{"type": "MULTI_ROLE"}]
      }
    }
  })"));
  auto subscribed = s.next("SUBSCRIBED");
  ASSERT_TRUE(subscribed);
  std::string fw = (*subscribed)["subscribed"]["framework_id"]["value"].asString();
  EXPECT_GT((*subscribed)["subscribed"]["heartbeat_interval_seconds"].asDouble(), 0);

  auto offers = s.next("OFFERS");
  ASSERT_TRUE(offers);
  const auto& offer = (*offers)["offers"]["offers"][0];
  std::string offer_id = offer["id"]["value"].asString();
  std::string agent_id = offer["agent_id"]["value"].asString();
  EXPECT_EQ(offer["framework_id"]["value"].asString(), fw);
  EXPECT_EQ(offer["allocation_info"]["role"].asString(), "test");

  ASSERT_EQ(s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "ACCEPT",
    "accept": {{
      "offer_ids": [{{"value": "{}"}}],
      "operations": [{{
        "type": "LAUNCH",
        "launch": {{"task_infos": [{{
          "name": "My Task",
          "task_id": {{"value": "12220-3440-12532-my-task"}},
          "agent_id": {{"value": "{}"}},
          "resources": [
            {{"name": "cpus", "type": "SCALAR", "scalar": {{"value": 1.0}}, "role": "*",
              "allocation_info": {{"role": "test"}}}},
            {{"name": "mem", "type": "SCALAR", "scalar": {{"value": 128.0}}, "role": "*",
              "allocation_info": {{"role": "test"}}}}
          ],
          "command": {{"shell": true, "value": "sleep 0.2; echo done"}}
        }}]}}
      }}],
      "filters": {{"refuse_seconds": 5.0}}
    }}
  }})",
                               fw, offer_id, agent_id)),
            202);

  // The built-in command executor's conversation, as Mesos's since 1.5: STARTING, RUNNING,
  // FINISHED, in that order.
  const std::vector<std::string> expected = {"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"};
  std::vector<std::string> states;
  while (states.size() < expected.size()) {
    auto update = s.next("UPDATE");
    ASSERT_TRUE(update) << "stuck after " << fmt::format("{}", fmt::join(states, ", "));
    const auto& status = (*update)["update"]["status"];
    states.push_back(status["state"].asString());
    ASSERT_EQ(states.back(), expected[states.size() - 1])
        << fmt::format("{}", fmt::join(states, ", "));
    ASSERT_TRUE(status.find("uuid") != nullptr);
    ASSERT_EQ(s.post(fmt::format(R"({{
      "framework_id": {{"value": "{}"}},
      "type": "ACKNOWLEDGE",
      "acknowledge": {{
        "agent_id": {{"value": "{}"}},
        "task_id": {{"value": "{}"}},
        "uuid": "{}"
      }}
    }})",
                                 fw, status["agent_id"]["value"].asString(),
                                 status["task_id"]["value"].asString(), status["uuid"].asString())),
              202);
  }

  ASSERT_EQ(s.post(fmt::format(R"({{
    "framework_id": {{"value": "{}"}},
    "type": "RECONCILE",
    "reconcile": {{"tasks": [{{"task_id": {{"value": "12220-3440-12532-my-task"}},
                              "agent_id": {{"value": "{}"}}}}]}}
  }})",
                               fw, agent_id)),
            202);
  auto reconciled = s.next("UPDATE");
  ASSERT_TRUE(reconciled);
  EXPECT_EQ((*reconciled)["update"]["status"]["task_id"]["value"].asString(),
            "12220-3440-12532-my-task");
  EXPECT_EQ((*reconciled)["update"]["status"]["reason"].asString(), "REASON_RECONCILIATION");

  ASSERT_EQ(s.post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "TEARDOWN"}})", fw)),
            202);
  EXPECT_TRUE(eventually([&] {
    auto state = json::parse(cluster.get("/master/state"));
    return state && (*state)["frameworks"].asArray().empty() &&
           (*state)["completed_frameworks"].asArray().size() == 1;
  }));
}

}  // namespace
}  // namespace plateau::testing
