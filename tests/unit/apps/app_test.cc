#include "apps/app.h"

#include <gtest/gtest.h>

namespace plateau::apps {
namespace {

std::expected<App, Invalid> parse(std::string_view text, const App& base = App{},
                                  const std::string& id = "") {
  auto body = parseBody(text);
  if (!body) {
    return std::unexpected(body.error());
  }
  return applyJson(base, *body, id);
}

bool hasPath(const Invalid& invalid, const std::string& path) {
  for (const auto& d : invalid.details) {
    if (d.path == path && !d.errors.empty()) {
      return true;
    }
  }
  return false;
}

TEST(AppJsonTest, ReadsMarathonFieldsAndIgnoresUnknownOnes) {
  auto app = parse(R"({"id": "shop/web/", "cmd": "run", "cpus": 0.5, "mem": 64, "instances": 3,
    "env": {"A": "1"}, "labels": {"team": "x"}, "constraints": [["rack", "GROUP_BY", "2"]],
    "portDefinitions": [{"port": 0, "name": "http"}], "unknownField": {"deep": [1]},
    "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.2},
    "killSelection": "OLDEST_FIRST", "uris": ["http://x/a.tgz"]})");
  ASSERT_TRUE(app.has_value()) << app.error().toJson();
  EXPECT_EQ(app->id, "/shop/web");
  EXPECT_EQ(*app->cmd, "run");
  EXPECT_EQ(app->instances, 3);
  EXPECT_EQ(app->env.at("A"), "1");
  ASSERT_EQ(app->constraints.size(), 1u);
  EXPECT_EQ(app->constraints[0].op, "GROUP_BY");
  EXPECT_EQ(app->port_definitions[0].name, "http");
  EXPECT_DOUBLE_EQ(app->minimum_health_capacity, 0.5);
  EXPECT_EQ(app->kill_selection, "OLDEST_FIRST");
  ASSERT_EQ(app->fetch.size(), 1u);
  EXPECT_TRUE(app->fetch[0].extract);
}

TEST(AppJsonTest, MalformedJsonIs400InvalidJson) {
  auto app = parse(R"({"id": )");
  ASSERT_FALSE(app.has_value());
  EXPECT_EQ(app.error().status, 400);
  EXPECT_EQ(app.error().message, "Invalid JSON");
}

TEST(AppJsonTest, WrongTypesAre400WithTheExpectedType) {
  auto app = parse(R"({"id": "/a", "cmd": "x", "cpus": "lots"})");
  ASSERT_FALSE(app.has_value());
  EXPECT_EQ(app.error().status, 400);
  ASSERT_TRUE(hasPath(app.error(), "/cpus"));
  EXPECT_EQ(app.error().details[0].errors[0], "error.expected.jsnumber");
}

TEST(AppJsonTest, InvalidValuesAre422PerField) {
  struct Case {
    const char* body;
    const char* path;
  };
  for (auto c : {
           Case{R"({"id": "/a", "cmd": "x", "instances": -1})", "/instances"},
           Case{R"({"id": "/a", "cmd": "x", "cpus": -0.5})", "/cpus"},
           Case{R"({"id": "/a", "cmd": "x", "mem": 1e15})", "/mem"},
           Case{R"({"id": "/A_b", "cmd": "x"})", "/id"},
           Case{R"({"id": "/a-", "cmd": "x"})", "/id"},
           Case{R"({"id": "/a", "cmd": "x", "constraints": [["hostname", "NEAR"]]})",
                "/constraints(0)"},
           Case{R"({"id": "/a", "cmd": "x", "constraints": [["hostname", "LIKE"]]})",
                "/constraints(0)"},
           Case{R"({"id": "/a", "cmd": "x", "constraints": [["h", "MAX_PER", "two"]]})",
                "/constraints(0)"},
           Case{R"({"id": "/a", "cmd": "x", "constraints": [["rack", "LIKE", "r[0-9"]]})",
                "/constraints(0)"},
           Case{R"({"id": "/a", "cmd": "x", "constraints": [["rack", "UNLIKE", "(r)\\1"]]})",
                "/constraints(0)"},
           Case{R"({"id": "/a", "cmd": "x", "upgradeStrategy": {"minimumHealthCapacity": 2}})",
                "/upgradeStrategy/minimumHealthCapacity"},
           Case{R"({"id": "/a", "cmd": "x", "healthChecks": [{"portIndex": 1}]})",
                "/healthChecks(0)"},
           Case{R"({"id": "/a", "cmd": "x", "killSelection": "RANDOM"})", "/killSelection"},
           Case{R"({"id": "/a", "cmd": "x", "args": ["y"]})", "/"},
           Case{R"({"id": "/a"})", "/"},
       }) {
    auto app = parse(c.body);
    ASSERT_FALSE(app.has_value()) << c.body;
    EXPECT_EQ(app.error().status, 422) << c.body;
    EXPECT_EQ(app.error().message, "Object is not valid");
    EXPECT_TRUE(hasPath(app.error(), c.path)) << c.body << " -> " << app.error().toJson();
  }
}

TEST(AppJsonTest, PartialUpdateKeepsWhatTheBodyLeavesOut) {
  auto base = parse(R"({"id": "/a", "cmd": "x", "cpus": 2, "labels": {"k": "v"}})");
  ASSERT_TRUE(base.has_value());
  auto updated = parse(R"({"instances": 5})", *base, "/a");
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->instances, 5);
  EXPECT_DOUBLE_EQ(updated->cpus, 2);
  EXPECT_EQ(updated->labels.at("k"), "v");
  EXPECT_TRUE(updated->sameConfig(*base));
  auto changed = parse(R"({"cmd": "y"})", *base, "/a");
  ASSERT_TRUE(changed.has_value());
  EXPECT_FALSE(changed->sameConfig(*base));
  auto mismatch = parse(R"({"id": "/b"})", *base, "/a");
  EXPECT_FALSE(mismatch.has_value());
}

TEST(AppJsonTest, CanonicalIdsResolveRelativeSegments) {
  EXPECT_EQ(canonicalId("a/b"), "/a/b");
  EXPECT_EQ(canonicalId("/a/./c/../b/"), "/a/b");
  EXPECT_EQ(canonicalId("web.v2"), "/web.v2");
  EXPECT_FALSE(canonicalId("/a b").has_value());
  EXPECT_FALSE(canonicalId("/UPPER").has_value());
  EXPECT_FALSE(canonicalId("/a..b").has_value());
}

TEST(AppJsonTest, WrittenAppReadsBackTheSame) {
  auto app = parse(R"({"id": "/a", "args": ["sleep", "1"], "healthChecks": [{"protocol": "TCP"}],
    "unreachableStrategy": "disabled", "taskKillGracePeriodSeconds": 3})");
  ASSERT_TRUE(app.has_value()) << app.error().toJson();
  std::string text;
  json::Writer w(&text);
  w.beginObject();
  writeAppFields(w, *app);
  w.endObject();
  auto again = parse(text);
  ASSERT_TRUE(again.has_value()) << again.error().toJson() << "\n" << text;
  EXPECT_TRUE(again->sameConfig(*app));
  EXPECT_TRUE(again->unreachable_disabled);
  EXPECT_EQ(again->task_kill_grace_period_seconds, 3);
}

TEST(AppJsonTest, InvalidBodyShapeIsMarathons) {
  Invalid invalid{422, "Object is not valid", {{"/cpus", {"got -1, expected 0 or more"}}}};
  EXPECT_EQ(invalid.toJson(),
            R"({"message":"Object is not valid","details":[{"path":"/cpus","errors":["got -1, )"
            R"(expected 0 or more"]}]})");
}

TEST(AppJsonTest, ReadinessChecksAreReadCheckedAndWrittenBack) {
  auto app = parse(R"({"id": "/web", "cmd": "run",
    "portDefinitions": [{"port": 0, "name": "http-api"}],
    "readinessChecks": [{"path": "/ready", "intervalSeconds": 2, "timeoutSeconds": 1,
                         "httpStatusCodesForReady": [200, 204]}]})");
  ASSERT_TRUE(app.has_value()) << app.error().toJson();
  ASSERT_EQ(app->readiness_checks.size(), 1u);
  const auto& c = app->readiness_checks[0];
  EXPECT_EQ(c.name, "readinessCheck");
  EXPECT_EQ(c.protocol, "HTTP");
  EXPECT_EQ(c.port_name, "http-api");
  EXPECT_EQ(c.status_codes, (std::vector<int>{200, 204}));
  EXPECT_EQ(readinessPortIndex(*app, c), std::optional<size_t>(0));
  // Written back as Marathon's JSON, and read again the same.
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  writeAppFields(w, *app);
  w.endObject();
  auto again = parse(out);
  ASSERT_TRUE(again.has_value()) << out;
  EXPECT_TRUE(again->sameConfig(*app));
  EXPECT_NE(out.find(R"("httpStatusCodesForReady":[200,204])"), std::string::npos) << out;

  auto unnamed = parse(R"({"id": "/web", "cmd": "run", "readinessChecks": [{"portName": "x"}]})");
  ASSERT_FALSE(unnamed.has_value());
  EXPECT_EQ(unnamed.error().status, 422);
  EXPECT_TRUE(hasPath(unnamed.error(), "/readinessChecks(0)/portName")) << unnamed.error().toJson();
  auto slow = parse(R"({"id": "/web", "cmd": "run", "portDefinitions": [{"name": "http-api"}],
    "readinessChecks": [{"intervalSeconds": 5, "timeoutSeconds": 5, "protocol": "TCP"}]})");
  ASSERT_FALSE(slow.has_value());
  EXPECT_TRUE(hasPath(slow.error(), "/readinessChecks(0)"));
  EXPECT_TRUE(hasPath(slow.error(), "/readinessChecks(0)/protocol"));
}

}  // namespace
}  // namespace plateau::apps
