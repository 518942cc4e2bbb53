// The fetcher: CommandInfo.uris land in the sandbox before the task runs (local paths, file://,
// relative paths under --frameworks_home, http), made executable, extracted, renamed, cached;
// a URI that cannot be fetched fails the task with REASON_CONTAINER_LAUNCH_FAILED.

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/json.h"
#include "harness.h"

namespace plateau::testing {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `name` (stdout, stderr, ...) in the sandbox of the executor named after `task_id`.
std::string sandboxFile(const std::string& root, const std::string& task_id,
                        const std::string& name) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string path = it->path().string();
    if (it->path().filename() == name &&
        path.find("/executors/" + task_id + "/runs/") != std::string::npos) {
      return readFile(it->path());
    }
  }
  return {};
}

v1::CommandInfo::URI uri(const std::string& value, bool cache = false) {
  v1::CommandInfo::URI u;
  u.set_value(value);
  u.set_cache(cache);
  return u;
}

void launchWithUris(Scheduler& s, const v1::Offer& offer, const std::string& task_id,
                    const std::string& command, const std::vector<v1::CommandInfo::URI>& uris,
                    const std::string& res = "cpus:0.1;mem:32") {
  scheduler::Call accept;
  accept.set_type(scheduler::Call::ACCEPT);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  accept.mutable_accept()->mutable_filters()->set_refuse_seconds(0);
  auto* task = accept.mutable_accept()->add_operations();
  task->set_type(v1::Offer::Operation::LAUNCH);
  auto* info = task->mutable_launch()->add_task_infos();
  info->set_name(task_id);
  info->mutable_task_id()->set_value(task_id);
  *info->mutable_agent_id() = offer.agent_id();
  *info->mutable_resources() = resources(res);
  info->mutable_command()->set_value(command);
  for (const auto& u : uris) {
    *info->mutable_command()->add_uris() = u;
  }
  ASSERT_EQ(s.call(accept), 202) << s.lastResponse().body;
}

// The next update for `task_id` in a terminal state (others skipped).
std::optional<v1::TaskStatus> terminalUpdate(Scheduler& s, const std::string& task_id) {
  for (int i = 0; i < 10; i++) {
    auto update = s.nextUpdate(30s);
    if (!update) {
      return std::nullopt;
    }
    if (update->task_id().value() == task_id &&
        (update->state() == v1::TASK_FINISHED || update->state() == v1::TASK_FAILED ||
         update->state() == v1::TASK_KILLED || update->state() == v1::TASK_ERROR ||
         update->state() == v1::TASK_LOST)) {
      return update;
    }
  }
  return std::nullopt;
}

v1::FrameworkInfo framework(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_user("fetch-user");
  info.set_name(name);
  return info;
}

TEST(Fetcher, LocalFilesExecutablesArchivesAndOutputFile) {
  Cluster cluster;
  fs::path files = fs::path(cluster.dir()) / "files";
  fs::create_directories(files / "bundle" / "dir");
  writeFile(files / "data.txt", "data-contents\n");
  writeFile(files / "run.sh", "#!/bin/sh\necho script-ran\n");
  writeFile(files / "bundle" / "dir" / "inner.txt", "inner-contents\n");
  ASSERT_EQ(std::system(fmt::format("tar -C '{}' -czf '{}' dir", (files / "bundle").string(),
                                    (files / "bundle.tar.gz").string())
                            .c_str()),
            0);
  writeFile(files / "home.txt", "home-contents\n");
  cluster.addAgent("cpus:2;mem:512", {"--frameworks_home=" + files.string()});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fetch-local")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);

  auto executable = uri((files / "run.sh").string());
  executable.set_executable(true);
  auto renamed = uri("file://" + (files / "data.txt").string());
  renamed.set_output_file("renamed.txt");
  auto kept = uri((files / "bundle.tar.gz").string());
  kept.set_extract(false);
  kept.set_output_file("kept/bundle.tar.gz");
  launchWithUris(s, offers->offers().offers(0), "local-1",
                 "cat data.txt && ./run.sh && cat dir/inner.txt && cat renamed.txt && "
                 "cat home.txt && test -f kept/bundle.tar.gz && test ! -e kept/dir && "
                 "test -f bundle.tar.gz && echo all-checks-passed",
                 {uri((files / "data.txt").string()), executable,
                  uri((files / "bundle.tar.gz").string()), renamed, uri("home.txt"), kept});
  auto done = terminalUpdate(s, "local-1");
  ASSERT_TRUE(done);
  std::string out = sandboxFile(cluster.dir(), "local-1", "stdout");
  EXPECT_EQ(done->state(), v1::TASK_FINISHED) << done->message() << "\nstdout:\n"
                                              << out << "\nstderr:\n"
                                              << sandboxFile(cluster.dir(), "local-1", "stderr");
  EXPECT_NE(out.find("data-contents"), std::string::npos) << out;
  EXPECT_NE(out.find("script-ran"), std::string::npos) << out;
  EXPECT_NE(out.find("inner-contents"), std::string::npos) << out;
  EXPECT_NE(out.find("home-contents"), std::string::npos) << out;
  EXPECT_NE(out.find("all-checks-passed"), std::string::npos) << out;
  // The fetcher logs each URI to the sandbox's stderr.
  std::string err = sandboxFile(cluster.dir(), "local-1", "stderr");
  EXPECT_NE(err.find("fetched '" + (files / "run.sh").string() + "'"), std::string::npos) << err;
}

TEST(Fetcher, UnfetchableUrisFailTheTaskWithTheReason) {
  Cluster cluster;
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fetch-bad")));
  struct Case {
    std::string uri;
    std::string expected;  // in the message
  };
  std::vector<Case> cases = {
      {"/definitely/not/here.txt", "not a readable regular file"},
      {"file:///nowhere/at/all.tgz", "not a readable regular file"},
      {"relative/needs/home.txt", "--frameworks_home"},
      {"ftp://127.0.0.1/x", "Unsupported URI scheme 'ftp'"},
      {fmt::format("http://127.0.0.1:{}/x.txt", freePort()), "Failed to fetch"},
  };
  for (size_t i = 0; i < cases.size(); i++) {
    auto offers = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    std::string task_id = fmt::format("bad-{}", i);
    launchWithUris(s, offers->offers().offers(0), task_id, "echo should-not-run",
                   {uri(cases[i].uri)});
    auto done = terminalUpdate(s, task_id);
    ASSERT_TRUE(done) << cases[i].uri;
    EXPECT_EQ(done->state(), v1::TASK_FAILED) << cases[i].uri;
    EXPECT_EQ(done->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED) << cases[i].uri;
    EXPECT_EQ(done->source(), v1::TaskStatus::SOURCE_AGENT);
    EXPECT_NE(done->message().find(cases[i].uri), std::string::npos) << done->message();
    EXPECT_NE(done->message().find(cases[i].expected), std::string::npos) << done->message();
    EXPECT_EQ(sandboxFile(cluster.dir(), task_id, "stdout").find("should-not-run"),
              std::string::npos);
  }
}

// A python3 http.server on a free loopback port serving `dir`.
std::unique_ptr<Process> httpServer(const std::string& dir, const std::string& log, uint16_t port) {
  auto server = std::make_unique<Process>(
      "http.server",
      std::vector<std::string>{"/usr/bin/env", "python3", "-m", "http.server", "--bind",
                               "127.0.0.1", "--directory", dir, std::to_string(port)},
      log);
  bool up = eventually([&] {
    auto r = http::fetchSync({"127.0.0.1", port}, {.method = "GET", .path = "/"}, 2s);
    return r.has_value() && r->status == 200;
  });
  EXPECT_TRUE(up) << server->log();
  return server;
}

TEST(Fetcher, HttpDownloadsAndTheCacheServesRepeats) {
  if (std::system("python3 -c 'import http.server' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with http.server is needed to serve files over HTTP";
  }
  Cluster cluster;
  fs::path served = fs::path(cluster.dir()) / "served";
  fs::create_directories(served / "pkg");
  writeFile(served / "payload.txt", "payload-over-http\n");
  writeFile(served / "pkg" / "tool.txt", "tool-from-zip\n");
  writeFile(served / "big.bin", std::string(3 << 20, 'x'));  // many reads, streamed to disk
  bool have_zip = std::system("command -v zip >/dev/null 2>&1") == 0;
  if (have_zip) {
    ASSERT_EQ(std::system(fmt::format("cd '{}' && zip -q -r pkg.zip pkg", served.string()).c_str()),
              0);
  }
  uint16_t port = freePort();
  auto server = httpServer(served.string(), cluster.dir() + "/http.log", port);
  std::string cache_dir = cluster.dir() + "/cache";
  cluster.addAgent("cpus:2;mem:512",
                   {"--fetcher_cache_dir=" + cache_dir, "--fetcher_cache_size=1MB"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fetch-http")));
  std::string url = fmt::format("http://127.0.0.1:{}/payload.txt", port);

  // First: downloaded over HTTP into the cache and the sandbox.
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  std::vector<v1::CommandInfo::URI> uris = {uri(url, true),
                                            uri(fmt::format("http://127.0.0.1:{}/big.bin", port))};
  if (have_zip) {
    uris.push_back(uri(fmt::format("http://127.0.0.1:{}/pkg.zip?v=1", port)));
  }
  launchWithUris(s, offers->offers().offers(0), "http-1",
                 std::string("test $(wc -c < big.bin) -eq 3145728 && cat payload.txt") +
                     (have_zip ? " pkg/tool.txt" : ""),
                 uris);
  auto first = terminalUpdate(s, "http-1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->state(), v1::TASK_FINISHED)
      << first->message() << sandboxFile(cluster.dir(), "http-1", "stderr");
  std::string out = sandboxFile(cluster.dir(), "http-1", "stdout");
  EXPECT_NE(out.find("payload-over-http"), std::string::npos) << out;
  if (have_zip) {
    EXPECT_NE(out.find("tool-from-zip"), std::string::npos) << out;
  }

  // The file leaves the server: a cached URI still arrives, from the cache.
  fs::remove(served / "payload.txt");
  offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchWithUris(s, offers->offers().offers(0), "http-2", "cat payload.txt", {uri(url, true)});
  auto second = terminalUpdate(s, "http-2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->state(), v1::TASK_FINISHED) << second->message();
  EXPECT_NE(sandboxFile(cluster.dir(), "http-2", "stdout").find("payload-over-http"),
            std::string::npos);
  EXPECT_NE(cluster.agent(0).log().find("action=cache_hit"), std::string::npos);
  auto metrics =
      http::fetchSync(cluster.agentEndpoint(0), {.method = "GET", .path = "/metrics/snapshot"}, 5s);
  ASSERT_TRUE(metrics);
  auto parsed = json::parse(metrics->body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)["containerizer/fetcher/task_fetches_succeeded"].asDouble(), 2);
  EXPECT_EQ((*parsed)["containerizer/fetcher/cache_size_total_bytes"].asDouble(), 1024 * 1024);
  EXPECT_EQ((*parsed)["containerizer/fetcher/cache_size_used_bytes"].asDouble(),
            std::string("payload-over-http\n").size());

  // Without the cache it is fetched again, and the server's 404 fails the task.
  offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchWithUris(s, offers->offers().offers(0), "http-3", "cat payload.txt", {uri(url, false)});
  auto third = terminalUpdate(s, "http-3");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->state(), v1::TASK_FAILED);
  EXPECT_EQ(third->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(third->message().find(url), std::string::npos) << third->message();
  EXPECT_NE(third->message().find("404"), std::string::npos) << third->message();
}

// https goes through curl; the test's certificate authority reaches it as CURL_CA_BUNDLE, which
// the agent and its fetcher inherit.
TEST(Fetcher, HttpsThroughCurl) {
  if (std::system("command -v curl >/dev/null && command -v openssl >/dev/null && "
                  "python3 -c 'import ssl, http.server' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "curl, openssl and python3 (ssl, http.server) are needed for an https server";
  }
  Cluster cluster;
  fs::path served = fs::path(cluster.dir()) / "tls";
  fs::create_directories(served);
  writeFile(served / "secret.txt", "over-tls\n");
  std::string cert = (served / "cert.pem").string();
  std::string key = (served / "key.pem").string();
  ASSERT_EQ(std::system(fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                                    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                                    "-keyout '{}' -out '{}' >/dev/null 2>&1",
                                    key, cert)
                            .c_str()),
            0);
  uint16_t port = freePort();
  Process server("https",
                 {"/usr/bin/env", "python3", "-c",
                  fmt::format("import http.server, ssl, functools\n"
                              "h = functools.partial(http.server.SimpleHTTPRequestHandler, "
                              "directory='{}')\n"
                              "s = http.server.HTTPServer(('127.0.0.1', {}), h)\n"
                              "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
                              "c.load_cert_chain('{}', '{}')\n"
                              "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
                              "print('listening', flush=True)\n"
                              "s.serve_forever()\n",
                              served.string(), port, cert, key)},
                 cluster.dir() + "/https.log");
  ASSERT_TRUE(eventually([&] { return server.log().find("listening") != std::string::npos; }))
      << server.log();
  setenv("CURL_CA_BUNDLE", cert.c_str(), 1);
  cluster.addAgent("cpus:2;mem:512");
  unsetenv("CURL_CA_BUNDLE");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fetch-https")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchWithUris(s, offers->offers().offers(0), "https-1", "cat secret.txt",
                 {uri(fmt::format("https://127.0.0.1:{}/secret.txt", port))});
  auto done = terminalUpdate(s, "https-1");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state(), v1::TASK_FINISHED)
      << done->message() << sandboxFile(cluster.dir(), "https-1", "stderr");
  EXPECT_NE(sandboxFile(cluster.dir(), "https-1", "stdout").find("over-tls"), std::string::npos);

  // A missing file is curl's error, named with the URI.
  offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  std::string missing = fmt::format("https://127.0.0.1:{}/missing.txt", port);
  launchWithUris(s, offers->offers().offers(0), "https-2", "true", {uri(missing)});
  auto failed = terminalUpdate(s, "https-2");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state(), v1::TASK_FAILED);
  EXPECT_NE(failed->message().find(missing), std::string::npos) << failed->message();
  EXPECT_NE(failed->message().find("404"), std::string::npos) << failed->message();
}

TEST(Fetcher, TaskKilledWhileFetchingIsNeverLaunched) {
  if (std::system("python3 -c 'import socket' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is needed for a server that never answers";
  }
  Cluster cluster;
  uint16_t port = freePort();
  // Accepts connections and never answers: the fetch hangs until it is cancelled.
  Process stall("stall",
                {"/usr/bin/env", "python3", "-c",
                 fmt::format("import socket,time\n"
                             "s=socket.socket()\n"
                             "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                             "s.bind(('127.0.0.1',{}))\n"
                             "s.listen(8)\n"
                             "print('listening', flush=True)\n"
                             "conns=[]\n"
                             "while True:\n"
                             "  c,_=s.accept(); conns.append(c)\n",
                             port)},
                cluster.dir() + "/stall.log");
  ASSERT_TRUE(eventually([&] { return stall.log().find("listening") != std::string::npos; }))
      << stall.log();
  cluster.addAgent("cpus:2;mem:512");
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fetch-kill")));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  launchWithUris(s, offers->offers().offers(0), "slow-1", "echo launched-anyway",
                 {uri(fmt::format("http://127.0.0.1:{}/never.txt", port))});
  ASSERT_TRUE(eventually([&] {
    return cluster.agent(0).log().find("fetch_started") != std::string::npos;
  })) << cluster.agent(0).log();
  scheduler::Call kill;
  kill.set_type(scheduler::Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("slow-1");
  *kill.mutable_kill()->mutable_agent_id() = offers->offers().offers(0).agent_id();
  ASSERT_EQ(s.call(kill), 202);
  auto done = terminalUpdate(s, "slow-1");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state(), v1::TASK_KILLED) << done->message();
  ASSERT_TRUE(eventually([&] {
    return cluster.agent(0).log().find("executor_terminated") != std::string::npos;
  })) << cluster.agent(0).log();
  EXPECT_NE(cluster.agent(0).log().find("fetch_cancelled"), std::string::npos);
  EXPECT_EQ(cluster.agent(0).log().find("executor_launched"), std::string::npos)
      << cluster.agent(0).log();
  EXPECT_EQ(sandboxFile(cluster.dir(), "slow-1", "stdout").find("launched-anyway"),
            std::string::npos);
}

TEST(Fetcher, StalledDownloadsFailAfterTheStallTimeout) {
  if (std::system("python3 -c 'import socket' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is needed for a server that stops sending";
  }
  Cluster cluster;
  uint16_t port = freePort();
  // Answers "/head" with a head and 3 of 100 body bytes, anything else with nothing; then waits.
  Process stall(
      "stall",
      {"/usr/bin/env", "python3", "-c",
       fmt::format("import socket\n"
                   "s=socket.socket()\n"
                   "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                   "s.bind(('127.0.0.1',{}))\n"
                   "s.listen(8)\n"
                   "print('listening', flush=True)\n"
                   "conns=[]\n"
                   "while True:\n"
                   "  c,_=s.accept(); conns.append(c)\n"
                   "  if b'/head' in c.recv(4096):\n"
                   "    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\nabc')\n",
                   port)},
      cluster.dir() + "/stall.log");
  ASSERT_TRUE(eventually([&] { return stall.log().find("listening") != std::string::npos; }))
      << stall.log();
  cluster.addAgent("cpus:2;mem:512", {"--fetcher_stall_timeout=1secs"});
  Scheduler s(cluster.master(), http::ContentType::kJson);
  ASSERT_TRUE(s.subscribe(framework("fetch-stall")));
  struct Case {
    std::string path;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{{"/nothing", "timeout"}, {"/head", "stalled"}}) {
    auto offers = s.next(scheduler::Event::OFFERS);
    ASSERT_TRUE(offers);
    std::string id = "stall" + c.path.substr(1);
    std::string url = fmt::format("http://127.0.0.1:{}{}", port, c.path);
    auto started = std::chrono::steady_clock::now();
    launchWithUris(s, offers->offers().offers(0), id, "echo launched-anyway", {uri(url)});
    auto done = terminalUpdate(s, id);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->state(), v1::TASK_FAILED);
    EXPECT_EQ(done->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
    EXPECT_NE(done->message().find(url), std::string::npos) << done->message();
    EXPECT_NE(done->message().find(c.expected), std::string::npos) << done->message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
  }
}

}  // namespace
}  // namespace plateau::testing
