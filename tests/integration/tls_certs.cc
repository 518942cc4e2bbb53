#include "tls_certs.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace plateau::testing {

namespace {

bool run(const std::string& command) {
  int rc = std::system((command + " >/dev/null 2>&1").c_str());
  if (rc != 0) {
    ADD_FAILURE() << "command failed (" << rc << "): " << command;
    return false;
  }
  return true;
}

// A P-256 key and a self-signed CA certificate.
void makeCa(const std::string& dir, const std::string& name) {
  run(
      fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                  "-days 2 -subj '/CN=Plateau test {0}' -keyout {1}/{0}.key -out {1}/{0}.pem",
                  name, dir));
}

// A P-256 key and a certificate for 127.0.0.1 and localhost signed by `ca`.
void makeLeaf(const std::string& dir, const std::string& name, const std::string& ca) {
  std::ofstream(fmt::format("{}/{}.ext", dir, name))
      << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
      << "extendedKeyUsage=serverAuth,clientAuth\n";
  run(
      fmt::format("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                  "-subj '/CN=127.0.0.1' -keyout {1}/{0}.key -out {1}/{0}.csr",
                  name, dir));
  run(
      fmt::format("openssl x509 -req -days 2 -in {1}/{0}.csr -CA {1}/{2}.pem -CAkey {1}/{2}.key "
                  "-CAcreateserial -extfile {1}/{0}.ext -out {1}/{0}.pem",
                  name, dir, ca));
}

}  // namespace

TestPki TestPki::create(const std::string& dir) {
  std::filesystem::create_directories(dir);
  makeCa(dir, "ca");
  makeLeaf(dir, "node", "ca");
  makeLeaf(dir, "client", "ca");
  makeCa(dir, "stranger-ca");
  makeLeaf(dir, "stranger", "stranger-ca");
  auto at = [&](const std::string& file) { return dir + "/" + file; };
  return {.dir = dir,
          .ca = at("ca.pem"),
          .node_cert = at("node.pem"),
          .node_key = at("node.key"),
          .client_cert = at("client.pem"),
          .client_key = at("client.key"),
          .stranger_ca = at("stranger-ca.pem"),
          .stranger_cert = at("stranger.pem"),
          .stranger_key = at("stranger.key")};
}

std::map<std::string, std::string> TestPki::daemonEnv(
    std::map<std::string, std::string> extra) const {
  std::map<std::string, std::string> env = {
      {"LIBPROCESS_SSL_ENABLED", "true"},
      {"LIBPROCESS_SSL_CERT_FILE", node_cert},
      {"LIBPROCESS_SSL_KEY_FILE", node_key},
      {"LIBPROCESS_SSL_CA_FILE", ca},
      {"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "true"},
      {"LIBPROCESS_SSL_VERIFY_IPADD", "true"},
      {"LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME", "openssl"},
  };
  for (auto& [k, v] : extra) {
    env[k] = v;
  }
  return env;
}

std::shared_ptr<const http::TlsContext> TestPki::client(const std::string& ca_file,
                                                        const std::string& cert,
                                                        const std::string& key) {
  http::TlsConfig config;
  config.enabled = true;
  config.ca_file = ca_file;
  config.cert_file = cert;
  config.key_file = key;
  config.verify_server_cert = true;
  config.verify_ipadd = true;
  auto tls = http::TlsContext::create(config, http::TlsContext::Role::kClient);
  EXPECT_TRUE(tls.has_value()) << tls.error().message();
  return tls ? *tls : nullptr;
}

ScopedEnv::ScopedEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {
  (void)http::processClientTls();
  for (const auto& [name, value] : vars_) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
}

ScopedEnv::~ScopedEnv() {
  for (const auto& [name, value] : vars_) {
    ::unsetenv(name.c_str());
  }
}

}  // namespace plateau::testing
