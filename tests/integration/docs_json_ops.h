#pragma once

// Helpers for the tests that replay the JSON conversations of Mesos's docs (docs_json_*_test.cc):
// operator and scheduler calls sent as hand-written JSON over HTTP, with the answer's status,
// Content-Type and parsed JSON kept for the checks.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  json::Value json;
  bool parsed = false;
};

inline Reply send(const http::Endpoint& to, const std::string& method, const std::string& path,
                  const std::string& body, const std::string& content_type = "application/json") {
  http::Headers headers = {{"accept", "application/json"}};
  if (!body.empty()) headers["content-type"] = content_type;
  auto r =
      http::fetchSync(to, {.method = method, .path = path, .headers = headers, .body = body}, 10s);
  Reply reply;
  if (!r) {
    ADD_FAILURE() << method << " " << path << ": " << r.error().message();
    return reply;
  }
  reply.status = r->status;
  reply.content_type = r->header("content-type");
  reply.body = r->body;
  if (!r->body.empty()) {
    auto parsed = json::parse(r->body);
    if (parsed) {
      reply.json = *parsed;
      reply.parsed = true;
    }
  }
  return reply;
}

inline Reply post(const http::Endpoint& to, const std::string& path, const std::string& body) {
  return send(to, "POST", path, body);
}

// A 200 answer whose body is a JSON document.
inline void expectJson200(const Reply& r, const std::string& what) {
  EXPECT_EQ(r.status, 200) << what << ": " << r.body;
  EXPECT_EQ(r.content_type, "application/json") << what;
  EXPECT_TRUE(r.parsed) << what << ": " << r.body;
}

inline bool isString(const json::Value& v, const std::string& expected) {
  return v.isString() && v.asString() == expected;
}

inline bool isNumber(const json::Value& v, double expected) {
  return v.isNumber() && v.asDouble() == expected;
}

// The scalar value of the named resource with the given allocation/reservation role, or -1.
inline double scalarOf(const json::Value& resources, const std::string& name) {
  double total = -1;
  for (const auto& r : resources.asArray()) {
    if (isString(r["name"], name) && r["scalar"]["value"].isNumber()) {
      total = (total < 0 ? 0 : total) + r["scalar"]["value"].asDouble();
    }
  }
  return total;
}

// A scheduler speaking JSON only: RecordIO parsed by hand, events kept until asked for.
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
    if (!s) return false;
    EXPECT_EQ((*s)->head().status, 200);
    if ((*s)->head().status != 200) return false;
    EXPECT_EQ((*s)->head().header("content-type"), "application/json");
    stream_ = std::move(*s);
    stream_id_ = stream_->head().header("mesos-stream-id");
    auto subscribed = next("SUBSCRIBED");
    if (!subscribed) return false;
    framework_id_ = (*subscribed)["subscribed"]["framework_id"]["value"].asString();
    subscribed_ = *subscribed;
    return true;
  }

  // The next event of this type; events of other types stay queued.
  std::optional<json::Value> next(const std::string& type,
                                  std::chrono::milliseconds timeout = 20s) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (isString((*it)["type"], type)) {
        json::Value event = *it;
        kept_.erase(it);
        return event;
      }
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        size_t length = std::stoul(buffer_.substr(0, newline));
        if (buffer_.size() >= newline + 1 + length) {
          auto event = json::parse(buffer_.substr(newline + 1, length));
          buffer_.erase(0, newline + 1 + length);
          EXPECT_TRUE(event.has_value());
          if (!event) continue;
          if (isString((*event)["type"], type)) return *event;
          if (!isString((*event)["type"], "HEARTBEAT")) kept_.push_back(*event);
          continue;
        }
      }
      auto data = stream_->read(200ms);
      if (data) buffer_ += *data;
    }
    return std::nullopt;
  }

  // Drops queued events of this type (offers made before a change).
  void forget(const std::string& type) {
    std::erase_if(kept_, [&](const json::Value& e) { return isString(e["type"], type); });
  }

  Reply post(const std::string& body) {
    auto r = http::fetchSync(master_,
                             {.method = "POST",
                              .path = "/api/v1/scheduler",
                              .headers = {{"content-type", "application/json"},
                                          {"accept", "application/json"},
                                          {"mesos-stream-id", stream_id_}},
                              .body = body},
                             5s);
    Reply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.content_type = r->header("content-type");
    reply.body = r->body;
    return reply;
  }

  // Declines every offer of an OFFERS event for a short while.
  void declineAll(const json::Value& offers) {
    std::string ids;
    for (const auto& offer : offers["offers"]["offers"].asArray()) {
      if (!ids.empty()) ids += ",";
      ids += fmt::format(R"({{"value": "{}"}})", offer["id"]["value"].asString());
    }
    EXPECT_EQ(post(fmt::format(R"({{"framework_id": {{"value": "{}"}}, "type": "DECLINE",
        "decline": {{"offer_ids": [{}], "filters": {{"refuse_seconds": 0.1}}}}}})",
                               framework_id_, ids))
                  .status,
              202);
  }

  // The next offer whose resources satisfy `pred`, declining the others.
  std::optional<json::Value> offerWhere(const std::function<bool(const json::Value&)>& pred) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto offers = next("OFFERS", 5s);
      if (!offers) continue;
      for (const auto& offer : (*offers)["offers"]["offers"].asArray()) {
        if (pred(offer)) return offer;
      }
      declineAll(*offers);
    }
    return std::nullopt;
  }

  const std::string& frameworkId() const { return framework_id_; }
  const json::Value& subscribed() const { return subscribed_; }

 private:
  http::Endpoint master_;
  std::unique_ptr<http::BlockingStream> stream_;
  std::string stream_id_;
  std::string framework_id_;
  json::Value subscribed_;
  std::string buffer_;
  std::deque<json::Value> kept_;
};

inline std::string agentIdOf(Cluster& cluster) {
  auto agents = post(cluster.master(), "/api/v1", R"({"type": "GET_AGENTS"})");
  return agents.json["get_agents"]["agents"][0]["agent_info"]["id"]["value"].asString();
}

// The docs' SUBSCRIBE of a multi-role framework (roles test1 and test2).
inline constexpr const char* kMultiRoleSubscribe = R"({
  "type": "SUBSCRIBE",
  "subscribe": {
    "framework_info": {
      "user": "foo",
      "name": "Example HTTP Framework",
      "roles": ["test1", "test2"],
      "capabilities": [{"type": "MULTI_ROLE"}],
      "principal": "my-principal"
    }
  }
})";

}  // namespace plateau::testing
