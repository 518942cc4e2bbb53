// DNS packets (plateau-dns): the input as a query over UDP and over TCP to a resolver holding a
// few A, AAAA and SRV records, as the server hands it each datagram or TCP message.

#include <memory>

#include "dns/resolver.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

std::shared_ptr<const plateau::dns::RecordSet> makeRecords() {
  auto records = std::make_shared<plateau::dns::RecordSet>();
  records->addAddress("web.marathon.mesos.", "10.0.0.1");
  records->addAddress("web.marathon.mesos.", "10.0.0.2");
  records->addAddress("web.marathon.mesos.", "fd00::1");
  records->addAddress("web-abc.marathon.slave.mesos.", "10.0.0.1");
  records->addSrv("_web._tcp.marathon.mesos.",
                  {.host = "web-abc.marathon.slave.mesos.", .port = 31000});
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const plateau::dns::Config config;
  static plateau::dns::Resolver resolver = [] {
    plateau::dns::Resolver r(config, 1);
    r.setRecords(makeRecords(), 1);
    return r;
  }();
  auto query = plateau::fuzz::text(data, size);
  (void)resolver.answer(query, plateau::dns::Transport::kUdp);
  (void)resolver.answer(query, plateau::dns::Transport::kTcp);
  return 0;
}
