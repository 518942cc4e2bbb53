#pragma once

// Helpers of the authentication tests (auth_*_test.cc): files of secrets, credentials, requests.

#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/base64.h"
#include "http/content.h"
#include "integration/harness.h"

namespace plateau::testing {

inline std::string basic(const std::string& principal, const std::string& secret) {
  return "Basic " + base64::encode(principal + ":" + secret);
}

// The ACL tests' two operators in Mesos's credentials JSON: ops and viewer, each with the secret
// "<principal>-secret", and the Authorization header of one of them.
inline constexpr const char* kOpsAndViewerCredentials = R"({"credentials": [
  {"principal": "ops", "secret": "ops-secret"},
  {"principal": "viewer", "secret": "viewer-secret"}]})";
inline std::string basicOf(const std::string& principal) {
  return basic(principal, principal + "-secret");
}

// A private folder for the files a master needs before it starts.
class SecretsDir {
 public:
  SecretsDir() {
    char tmpl[] = "/tmp/plateau-auth.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~SecretsDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

inline http::Response send(const http::Endpoint& to, http::ClientRequest request,
                           const std::string& authorization = "") {
  if (!authorization.empty()) {
    request.headers["authorization"] = authorization;
  }
  auto r = http::fetchSync(to, std::move(request), 10s);
  EXPECT_TRUE(r.has_value());
  return r.value_or(http::Response{.status = 0, .headers = {}, .body = {}});
}

// POST /api/v1 (the master's or an agent's operator API) with `call` in JSON.
template <class Call>
http::ClientRequest jsonApiCall(const Call& call) {
  return {.method = "POST",
          .path = "/api/v1",
          .headers = {{"content-type", "application/json"}, {"accept", "application/json"}},
          .body = http::encode(call, http::ContentType::kJson)};
}

// What a master prints when it refuses to start, or "" when it started.
inline std::string startupError(const std::vector<std::string>& flags, const std::string& dir) {
  std::vector<std::string> argv = {std::string(PLATEAU_BIN_DIR) + "/plateau-master",
                                   "--ip=127.0.0.1", "--port=0", "--work_dir=" + dir + "/work"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  Process master("master", argv, dir + "/refused.log");
  if (master.reportedPort("master_started", 5s) != 0) {
    return "";
  }
  int status = master.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  return master.log();
}

}  // namespace plateau::testing
