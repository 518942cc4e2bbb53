#include "auth/credentials.h"

#include <gtest/gtest.h>

#include "auth/authenticator.h"

namespace plateau::auth {
namespace {

TEST(CredentialsTest, ParsesMesosJsonAndTheDeprecatedTextForm) {
  auto json = parseCredentials(
      R"({"credentials": [{"principal": "a", "secret": "s1"}, {"principal": "b", "secret": "s2"}]})",
      "f");
  ASSERT_TRUE(json) << json.error().message();
  EXPECT_EQ(*json, (std::vector<Credential>{{"a", "s1"}, {"b", "s2"}}));
  auto text = parseCredentials("a s1\n\nb   s2\n", "f");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, (std::vector<Credential>{{"a", "s1"}, {"b", "s2"}}));
  auto one = parseCredential(R"({"principal": "agent", "secret": "x"})", "f");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, (Credential{"agent", "x"}));
}

TEST(CredentialsTest, ErrorsNameTheFileAndThePlace) {
  auto broken = parseCredentials("{\"credentials\": [\n  {\"principal\": }]}", "/etc/creds");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("'/etc/creds'"), std::string::npos);
  EXPECT_NE(broken.error().message().find("line 2"), std::string::npos);
  auto entry = parseCredentials(R"({"credentials": [{"principal": "a"}, {"secret": "s"}]})", "f");
  ASSERT_FALSE(entry);
  EXPECT_NE(entry.error().message().find("entry 2"), std::string::npos);
  EXPECT_FALSE(parseCredentials(R"({"credentials": []})", "f"));
  EXPECT_FALSE(parseCredentials(R"({"creds": []})", "f"));
  auto line = parseCredentials("a s1\nlonely\n", "f");
  ASSERT_FALSE(line);
  EXPECT_NE(line.error().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(parseCredential("a s\nb t\n", "f"));
  EXPECT_FALSE(readSecretFile("credentials", "file:///nonexistent/creds"));
}

TEST(HttpAuthenticatorTest, BasicCredentialsAndTheRefusals) {
  HttpAuthenticator auth(kMasterReadOnlyRealm, {{"ops", "pw"}}, nullptr);
  http::Request request;
  auto missing = auth.authenticate(request, 0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().status, 401);
  EXPECT_EQ(missing.error().header("www-authenticate"), "Basic realm=\"mesos-master-readonly\"");
  request.headers["authorization"] = basicAuthorization({"ops", "pw"});
  auto ok = auth.authenticate(request, 0);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->name, "ops");
  request.headers["authorization"] = basicAuthorization({"ops", "pw2"});
  EXPECT_FALSE(auth.authenticate(request, 0));
  request.headers["authorization"] = "Basic !!!";
  EXPECT_FALSE(auth.authenticate(request, 0));
  request.headers["authorization"] = "Bearer x.y.z";  // no token keys in this realm
  EXPECT_FALSE(auth.authenticate(request, 0));
}

TEST(GuardTest, OpenRealmsAreAnonymous) {
  Guard guard;
  guard.protect(Realm::kReadWrite, HttpAuthenticator(kMasterReadWriteRealm, {{"a", "b"}}, nullptr));
  http::Request request;
  auto open = guard.check(Realm::kReadOnly, request, 0);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->name, "");
  EXPECT_FALSE(guard.check(Realm::kReadWrite, request, 0));
  EXPECT_NE(randomSecret(), randomSecret());
}

}  // namespace
}  // namespace plateau::auth
