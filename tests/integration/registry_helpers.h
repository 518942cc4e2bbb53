#pragma once

// The image tests' registry (tests/integration/registry_server.py), started in the cluster's
// folder and stopped with it, and the fixture that starts an agent pulling from it.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"
#include "http/client.h"
#include "images_helpers.h"

namespace plateau::testing {

// The test registry, started in the cluster's folder and stopped with it.
class TestRegistry {
 public:
  TestRegistry(const std::string& dir, std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {
        "/usr/bin/env", "python3", "-u",
        std::string(PLATEAU_SOURCE_DIR) + "/tests/integration/registry_server.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    https_ = std::find(args.begin(), args.end(), "--tls") != args.end();
    process_ = std::make_unique<Process>("registry", argv, dir + "/registry.log");
    port_ = process_->reportedPort("registry_listening", 60s);
  }
  uint16_t port() const { return port_; }
  std::string url() const {
    return fmt::format("{}://127.0.0.1:{}", https_ ? "https" : "http", port_);
  }
  std::string log() const { return process_->log(); }

  // Requests served whose path contains `part`.
  int requests(const std::string& part) {
    auto answer = http::fetchSync({"127.0.0.1", port_}, {.method = "GET", .path = "/_stats"}, 5s);
    if (!answer) {
      return -1;
    }
    auto doc = json::parse(answer->body);
    int total = 0;
    for (const auto& [path, count] : (*doc)["paths"].asObject()) {
      if (path.find(part) != std::string::npos) {
        total += static_cast<int>(count.asDouble());
      }
    }
    return total;
  }

  bool retag(const std::string& repo, const std::string& tag, const std::string& to) {
    return post(fmt::format("/_retag?repo={}&tag={}&to={}", repo, tag, to));
  }

  // The next download of blob `digest` sends `bytes` bytes, then stalls until release()
  // (mode "stall") or closes the connection ("close").
  bool cut(const std::string& digest, size_t bytes, const std::string& mode) {
    return post(fmt::format("/_cut?digest={}&bytes={}&mode={}", digest, bytes, mode));
  }
  bool release() { return post("/_release"); }

  // An image's layer digests (bottom first), and the Range headers blob downloads sent.
  std::vector<std::string> layers(const std::string& repo, const std::string& tag) {
    return strings(fmt::format("/_layers?repo={}&tag={}", repo, tag), "");
  }
  std::vector<std::string> ranges() { return strings("/_stats", "ranges"); }

 private:
  bool post(const std::string& path) {
    auto answer = http::fetchSync({"127.0.0.1", port_}, {.method = "POST", .path = path}, 5s);
    return answer && answer->status == 200;
  }
  std::vector<std::string> strings(const std::string& path, const std::string& key) {
    std::vector<std::string> out;
    auto answer = http::fetchSync({"127.0.0.1", port_}, {.method = "GET", .path = path}, 5s);
    if (!answer) {
      return out;
    }
    auto doc = json::parse(answer->body);
    if (!doc) {
      return out;
    }
    const json::Value* list = key.empty() ? &*doc : doc->find(key);
    for (size_t i = 0; list != nullptr && list->isArray() && i < list->size(); i++) {
      out.push_back((*list)[i].asString());
    }
    return out;
  }

  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  bool https_ = false;
};

class ImagesRegistryTest : public ImageTest {
 protected:
  // Starts the agent on the registry and a subscribed scheduler (null on failure).
  std::unique_ptr<Scheduler> startAgent(Cluster& cluster, const TestRegistry& registry,
                                        std::vector<std::string> extra = {},
                                        const std::string& resources = "cpus:4;mem:2048") {
    if (registry.port() == 0) {
      ADD_FAILURE() << "the test registry did not start:\n" << registry.log();
      return nullptr;
    }
    std::vector<std::string> flags = {"--image_providers=docker",
                                      "--docker_registry=" + registry.url(),
                                      "--docker_store_dir=" + cluster.dir() + "/store",
                                      "--isolation=filesystem/linux,docker/runtime"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    cluster.addAgent(resources, flags);
    auto s = std::make_unique<Scheduler>(cluster.master(), http::ContentType::kJson);
    if (!s->subscribe(framework("images-registry"))) {
      ADD_FAILURE() << "the scheduler did not subscribe";
      return nullptr;
    }
    return s;
  }

  // Runs one task of `image` (shell false), again on a fresh offer while the launch is refused
  // for an offer made before an agent restart; its terminal status (its id in `id`).
  static v1::TaskStatus runAfterRestart(Scheduler& s, const std::string& prefix,
                                        const std::string& image, std::string* id) {
    std::map<std::string, v1::TaskStatus> done;
    for (int attempt = 0; attempt < 3; attempt++) {
      *id = fmt::format("{}-{}", prefix, attempt);
      done = runTasks(s, {{.id = *id, .image = image, .shell = false}});
      if (done[*id].message().find("no longer valid") == std::string::npos &&
          done[*id].state() != v1::TASK_LOST && done[*id].state() != v1::TASK_DROPPED) {
        break;
      }
    }
    return done[*id];
  }
};

}  // namespace plateau::testing
