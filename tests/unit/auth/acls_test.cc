#include "auth/acls.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace plateau::auth {
namespace {

Authorizer parsed(std::string_view text, std::vector<std::string>* warnings = nullptr) {
  auto acls = Authorizer::parse(text, "test", warnings);
  EXPECT_TRUE(acls) << acls.error().message();
  return acls ? std::move(*acls) : Authorizer();
}

struct Case {
  const char* name;
  const char* acls;
  Action action;
  const char* principal;  // "" : anonymous
  std::optional<std::string_view> object;
  bool allowed;
};

// Mesos's local authorizer, case by case: first match decides, NONE refuses what it matches,
// ANY matches anonymous requests and objectless actions, SOME does not, permissive otherwise.
const Case kCases[] = {
    {"no acls: permissive by default", "{}", Action::kRunTask, "fw", "root", true},
    {"no acls, permissive false", R"({"permissive": false})", Action::kRunTask, "fw", "root",
     false},
    {"listed principal and user", R"({"run_tasks": [{"principals": {"values": ["fw"]},
      "users": {"values": ["alice"]}}]})",
     Action::kRunTask, "fw", "alice", true},
    {"user not listed: no match, permissive", R"({"run_tasks": [{"principals": {"values":
      ["fw"]}, "users": {"values": ["alice"]}}]})",
     Action::kRunTask, "fw", "root", true},
    {"user not listed: no match, not permissive", R"({"permissive": false, "run_tasks":
      [{"principals": {"values": ["fw"]}, "users": {"values": ["alice"]}}]})",
     Action::kRunTask, "fw", "root", false},
    {"objects NONE refuses the principal", R"({"run_tasks": [{"principals": {"values":
      ["fw"]}, "users": {"type": "NONE"}}]})",
     Action::kRunTask, "fw", "alice", false},
    {"objects NONE does not touch other principals", R"({"permissive": true, "run_tasks":
      [{"principals": {"values": ["fw"]}, "users": {"type": "NONE"}}]})",
     Action::kRunTask, "other", "alice", true},
    {"principals NONE matches everyone and refuses", R"({"register_frameworks": [
      {"principals": {"type": "NONE"}, "roles": {"values": ["analytics"]}}]})",
     Action::kRegisterFramework, "anyone", "analytics", false},
    {"first match wins (allow before deny)", R"({"register_frameworks": [
      {"principals": {"values": ["foo"]}, "roles": {"values": ["analytics"]}},
      {"principals": {"type": "NONE"}, "roles": {"values": ["analytics"]}}]})",
     Action::kRegisterFramework, "foo", "analytics", true},
    {"first match wins (deny before allow)", R"({"register_frameworks": [
      {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}},
      {"principals": {"values": ["foo"]}, "roles": {"type": "ANY"}}]})",
     Action::kRegisterFramework, "foo", "analytics", false},
    {"anonymous matches only ANY subjects", R"({"permissive": false, "run_tasks": [
      {"principals": {"values": ["fw"]}, "users": {"type": "ANY"}}]})",
     Action::kRunTask, "", "alice", false},
    {"anonymous allowed by ANY", R"({"permissive": false, "run_tasks": [
      {"principals": {"type": "ANY"}, "users": {"type": "ANY"}}]})",
     Action::kRunTask, "", "alice", true},
    {"objectless action: ANY allows", R"({"permissive": false, "view_flags": [
      {"principals": {"values": ["ops"]}, "flags": {"type": "ANY"}}]})",
     Action::kViewFlags, "ops", kAnyObject, true},
    {"objectless action: NONE refuses", R"({"view_flags": [
      {"principals": {"values": ["ops"]}, "flags": {"type": "NONE"}}]})",
     Action::kViewFlags, "ops", kAnyObject, false},
    {"objectless action: a value list never matches", R"({"permissive": false, "view_flags": [
      {"principals": {"values": ["ops"]}, "flags": {"values": ["x"]}}]})",
     Action::kViewFlags, "ops", kAnyObject, false},
    {"kinds are separate lists", R"({"run_tasks": [{"principals": {"type": "ANY"},
      "users": {"type": "NONE"}}]})",
     Action::kViewTask, "ops", "root", true},
    {"hierarchical role: nested role allowed", R"({"permissive": false, "reserve_resources": [
      {"principals": {"values": ["ops"]}, "roles": {"values": ["eng/%"]}}]})",
     Action::kReserveResources, "ops", "eng/web/a", true},
    {"hierarchical role: the parent itself is not covered", R"({"permissive": false,
      "reserve_resources": [{"principals": {"values": ["ops"]}, "roles": {"values":
      ["eng/%"]}}]})",
     Action::kReserveResources, "ops", "eng", false},
    {"hierarchical role: a sibling prefix is not nested", R"({"permissive": false,
      "reserve_resources": [{"principals": {"values": ["ops"]}, "roles": {"values":
      ["eng/%"]}}]})",
     Action::kReserveResources, "ops", "engineering", false},
    {"'/%' is literal for users", R"({"permissive": false, "run_tasks": [
      {"principals": {"values": ["fw"]}, "users": {"values": ["a/%"]}}]})",
     Action::kRunTask, "fw", "a/b", false},
    {"teardown by framework principal", R"({"teardown_frameworks": [
      {"principals": {"values": ["ops"]}, "framework_principals": {"values": ["marathon"]}},
      {"principals": {"values": ["ops"]}, "framework_principals": {"type": "NONE"}}]})",
     Action::kTeardownFramework, "ops", "chronos", false},
    {"an empty value list matches nothing", R"({"permissive": false, "run_tasks": [
      {"principals": {"values": []}, "users": {"type": "ANY"}}]})",
     Action::kRunTask, "fw", "root", false},
};

TEST(AuthorizerTest, FollowsMesosLocalAuthorizerSemantics) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Authorizer acls = parsed(c.acls);
    EXPECT_EQ(acls.allowed(c.action, c.principal, c.object), c.allowed);
  }
}

TEST(AuthorizerTest, KnowsEveryAclKindOfMesosWithItsObjectField) {
  EXPECT_EQ(aclKey(Action::kRegisterFramework), "register_frameworks");
  EXPECT_EQ(aclObjectField(Action::kUnreserveResources), "reserver_principals");
  EXPECT_EQ(aclObjectField(Action::kDestroyVolume), "creator_principals");
  EXPECT_EQ(aclObjectField(Action::kTeardownFramework), "framework_principals");
  EXPECT_EQ(aclKey(Action::kMarkAgentGone), "mark_agents_gone");
  EXPECT_EQ(aclObjectField(Action::kMarkAgentGone), "agents");
  EXPECT_EQ(aclKey(Action::kGetMaintenanceStatus), "get_maintenance_statuses");
  EXPECT_EQ(aclKey(Action::kSetLogLevel), "set_log_level");
  EXPECT_EQ(aclObjectField(Action::kSetLogLevel), "level");
  EXPECT_EQ(aclKey(Action::kDestroyRawDisk), "destroy_raw_disks");
  // The standalone containers' ACLs, with Mesos's spellings and their (implicit) `users`.
  for (auto [action, key] :
       {std::pair{Action::kLaunchStandaloneContainer, "launch_standalone_containers"},
        std::pair{Action::kKillStandaloneContainer, "kill_standalone_containers"},
        std::pair{Action::kWaitStandaloneContainer, "wait_standalone_containers"},
        std::pair{Action::kRemoveStandaloneContainer, "remove_standalone_containers"},
        std::pair{Action::kViewStandaloneContainer, "view_standalone_containers"}}) {
    EXPECT_EQ(aclKey(action), key);
    EXPECT_EQ(aclObjectField(action), "users") << key;
  }
  // Every kind parses under its own key with its own object field.
  for (size_t i = 0; i < kActionCount; ++i) {
    auto action = static_cast<Action>(i);
    std::string text = "{\"" + std::string(aclKey(action)) +
                       "\": [{\"principals\": {\"type\": \"ANY\"}, \"" +
                       std::string(aclObjectField(action)) + "\": {\"type\": \"NONE\"}}]}";
    std::vector<std::string> warnings;
    auto acls = Authorizer::parse(text, "t", &warnings);
    ASSERT_TRUE(acls) << aclKey(action);
    EXPECT_TRUE(warnings.empty()) << aclKey(action);
    EXPECT_EQ(acls->entries(action).size(), 1u);
    EXPECT_FALSE(acls->allowed(action, "p", "x")) << aclKey(action);
  }
}

TEST(AuthorizerTest, UnknownKeysAreIgnoredWithAWarningNamingThem) {
  std::vector<std::string> warnings;
  Authorizer acls = parsed(R"({"launch_rockets": [], "run_tasks": [{"principals":
      {"type": "ANY"}, "users": {"type": "NONE", "colour": "red"}, "comment": "x"}]})",
                           &warnings);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("'launch_rockets'"), std::string::npos);
  EXPECT_NE(warnings[1].find("'colour'"), std::string::npos);
  EXPECT_NE(warnings[1].find("run_tasks[0].users"), std::string::npos);
  EXPECT_NE(warnings[2].find("'comment'"), std::string::npos);
  EXPECT_FALSE(acls.allowed(Action::kRunTask, "fw", "root"));
}

struct BadCase {
  const char* text;
  const char* expected;  // in the message
};

TEST(AuthorizerTest, RefusesWhatDoesNotParseNamingTheSourceAndThePlace) {
  const BadCase kBad[] = {
      {"{\"run_tasks\": [\n  {\"principals\": }]}", "line 2"},
      {"[]", "not a JSON object"},
      {R"({"permissive": "no"})", "'permissive'"},
      {R"({"run_tasks": {}})", "'run_tasks' is not an array"},
      {R"({"run_tasks": [{"principals": {"type": "ANY"}}]})",
       "run_tasks[0] lacks its required "
       "'users'"},
      {R"({"run_tasks": [{"users": {"type": "ANY"}}]})", "'principals'"},
      {R"({"run_tasks": [{"principals": {"type": "ALL"}, "users": {}}]})", "\"ALL\""},
      {R"({"run_tasks": [{"principals": {"values": [1]}, "users": {}}]})", "values[0]"},
      {R"({"view_roles": [{"principals": {}, "users": {}}]})", "'roles'"},
  };
  for (const BadCase& bad : kBad) {
    auto acls = Authorizer::parse(bad.text, "/etc/acls.json", nullptr);
    ASSERT_FALSE(acls) << bad.text;
    EXPECT_NE(acls.error().message().find("'/etc/acls.json'"), std::string::npos)
        << acls.error().message();
    EXPECT_NE(acls.error().message().find(bad.expected), std::string::npos)
        << acls.error().message();
  }
}

TEST(AuthorizerTest, LoadsInlineJsonOrAFile) {
  auto inline_acls = Authorizer::load(R"({"permissive": false})", nullptr);
  ASSERT_TRUE(inline_acls);
  EXPECT_FALSE(inline_acls->permissive());
  std::string path = ::testing::TempDir() + "acls_test.json";
  std::ofstream(path) << R"({"view_flags": [{"principals": {"type": "ANY"}, "flags": {"type":
      "NONE"}}]})";
  for (const std::string& value : {path, "file://" + path}) {
    auto from_file = Authorizer::load(value, nullptr);
    ASSERT_TRUE(from_file) << from_file.error().message();
    EXPECT_FALSE(from_file->allowed(Action::kViewFlags, "ops", kAnyObject));
  }
  std::ofstream(path) << "{\"run_tasks\": [";
  auto broken = Authorizer::load("file://" + path, nullptr);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find(path), std::string::npos);
  auto missing = Authorizer::load("file:///nonexistent/acls.json", nullptr);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/acls.json"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ApproverTest, RemembersAnswersAndAllowsAllWithoutAnAuthorizer) {
  Approver open;
  EXPECT_TRUE(open.allowsAll());
  EXPECT_TRUE(open.approves("root"));
  auto acls = std::make_shared<const Authorizer>(parsed(R"({"view_tasks": [
      {"principals": {"values": ["ops"]}, "users": {"values": ["alice"]}},
      {"principals": {"values": ["ops"]}, "users": {"type": "NONE"}}]})"));
  Approver ops(acls, Action::kViewTask, "ops");
  EXPECT_FALSE(ops.allowsAll());
  EXPECT_TRUE(ops.approves("alice"));
  EXPECT_FALSE(ops.approves("bob"));
  EXPECT_FALSE(ops.approves("bob"));
  EXPECT_TRUE(ops.approves("alice"));
  Approver other(acls, Action::kViewTask, "dev");
  EXPECT_TRUE(other.approves("bob"));
}

}  // namespace
}  // namespace plateau::auth
