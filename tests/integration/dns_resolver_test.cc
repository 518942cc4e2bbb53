// plateau-dns through a real resolver library rather than dig: glibc's stub resolver, as any
// program on the machine uses it (getaddrinfo for the A name; res_query and libresolv's ns_*
// parser for the SRV records), pointed at plateau-dns by setting the resolver state's
// nameserver, as an application may. A running task's name resolves to its agent and its SRV
// records give its ports; after the framework is torn down (ending the task) getaddrinfo answers
// that the name does not exist.

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "harness.h"

namespace plateau::testing {
namespace {

// This thread's glibc resolver, asking only the server at 127.0.0.1:`port` and taking names as
// given (no search domains); the system's configuration again once destroyed.
class GlibcResolver {
 public:
  explicit GlibcResolver(uint16_t port) {
    res_init();
    _res.nscount = 1;
    _res.nsaddr_list[0] = {};
    _res.nsaddr_list[0].sin_family = AF_INET;
    _res.nsaddr_list[0].sin_port = htons(port);
    _res.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    _res.retrans = 1;
    _res.retry = 2;
    _res.options &= ~static_cast<unsigned long>(RES_DNSRCH | RES_DEFNAMES);
  }
  ~GlibcResolver() { res_init(); }
  GlibcResolver(const GlibcResolver&) = delete;
  GlibcResolver& operator=(const GlibcResolver&) = delete;

  // The IPv4 addresses getaddrinfo gives for `name`; `error` gets its EAI_ code (0: found).
  std::set<std::string> addresses(const std::string& name, int* error) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    *error = getaddrinfo(name.c_str(), nullptr, &hints, &found);
    std::set<std::string> out;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof(text));
      out.insert(text);
    }
    if (found != nullptr) {
      freeaddrinfo(found);
    }
    return out;
  }

  struct Srv {
    int port = 0;
    std::string target;
  };
  // The SRV records of `name`, read with libresolv's parser.
  std::vector<Srv> srv(const std::string& name) {
    std::vector<Srv> out;
    unsigned char answer[4096];
    int length = res_query(name.c_str(), ns_c_in, ns_t_srv, answer, sizeof(answer));
    ns_msg message;
    if (length < 0 || ns_initparse(answer, length, &message) != 0) {
      return out;
    }
    for (int i = 0; i < ns_msg_count(message, ns_s_an); ++i) {
      ns_rr rr;
      if (ns_parserr(&message, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv) {
        continue;
      }
      const unsigned char* data = ns_rr_rdata(rr);
      char target[NS_MAXDNAME] = {};
      if (dn_expand(ns_msg_base(message), ns_msg_end(message), data + 6, target, sizeof(target)) <
          0) {
        continue;
      }
      out.push_back({static_cast<int>(ns_get16(data + 4)), target});
    }
    return out;
  }
};

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.addAgent("cpus:2;mem:512;ports:[31000-31010]");
    std::string config = cluster_.dir() + "/dns.json";
    std::ofstream(config) << fmt::format(
        R"({{"masters": ["127.0.0.1:{}"], "port": 0, "httpon": false, "listener": "127.0.0.1",
            "refreshSeconds": 60, "ttl": 1, "externalon": false}})",
        cluster_.master().port);
    dns_ = std::make_unique<Process>(
        "dns", std::vector<std::string>{PLATEAU_BIN_DIR "/plateau-dns", "--config=" + config},
        cluster_.dir() + "/dns.log");
    port_ = dns_->reportedPort("dns_started");
    ASSERT_NE(port_, 0) << dns_->log();
  }

  Cluster cluster_;
  std::unique_ptr<Process> dns_;
  uint16_t port_ = 0;
};

TEST_F(DnsResolverTest, GlibcResolvesARunningTasksNameAndPortsAndForgetsItAfterItsEnd) {
  Scheduler s(cluster_.master(), http::ContentType::kJson);
  v1::FrameworkInfo info;
  info.set_user("root");
  info.set_name("resolvefw");
  ASSERT_TRUE(s.subscribe(info));
  auto offers = s.next(scheduler::Event::OFFERS);
  ASSERT_TRUE(offers);
  s.launch(offers->offers().offers(0), "api", "sleep 1000", "cpus:0.1;mem:32;ports:[31007-31008]");
  bool running = false;
  while (!running) {
    auto update = s.nextUpdate();
    if (!update) break;
    running = update->state() == v1::TASK_RUNNING;
  }
  ASSERT_TRUE(running) << "the task never ran";

  GlibcResolver resolver(port_);
  int error = 0;
  std::set<std::string> found;
  EXPECT_TRUE(eventually(
      [&] {
        found = resolver.addresses("api.resolvefw.mesos", &error);
        return error == 0;
      },
      1000ms))
      << gai_strerror(error) << "\n"
      << dns_->log();
  EXPECT_EQ(found, std::set<std::string>{"127.0.0.1"}) << "the agent's address";
  auto records = resolver.srv("_api._tcp.resolvefw.mesos");
  std::set<int> ports;
  for (const auto& r : records) {
    ports.insert(r.port);
    EXPECT_TRUE(r.target.starts_with("api-") && r.target.ends_with(".resolvefw.slave.mesos"))
        << r.target;
    // The SRV target is itself a name the library resolves, to the same agent.
    int target_error = 0;
    EXPECT_EQ(resolver.addresses(r.target, &target_error), std::set<std::string>{"127.0.0.1"})
        << r.target << ": " << gai_strerror(target_error);
  }
  EXPECT_EQ(ports, (std::set<int>{31007, 31008}));

  // The framework's teardown ends its task; the name goes with it.
  scheduler::Call teardown;
  teardown.set_type(scheduler::Call::TEARDOWN);
  EXPECT_EQ(s.call(teardown), 202);
  EXPECT_TRUE(eventually(
      [&] {
        resolver.addresses("api.resolvefw.mesos", &error);
        return error == EAI_NONAME;
      },
      1000ms))
      << "getaddrinfo: " << gai_strerror(error);
  EXPECT_TRUE(resolver.srv("_api._tcp.resolvefw.mesos").empty());
}

}  // namespace
}  // namespace plateau::testing
