#include "client/master_detector.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <mesos/v1/mesos.pb.h>

#include "common/json_codec.h"
#include "zookeeper/detector.h"
#include "zookeeper/url.h"

namespace plateau::client {

namespace {

std::string trim(std::string text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) {
    return {};
  }
  size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

Result<std::string> readMasterFile(std::string_view path) {
  std::ifstream in{std::string(path)};
  if (!in) {
    return notFound(fmt::format("Cannot read master file '{}'", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = trim(ss.str());
  if (text.empty()) {
    return invalidArgument(fmt::format("Master file '{}' is empty", path));
  }
  if (text.starts_with("file://")) {
    return invalidArgument(fmt::format("Master file '{}' points at another file", path));
  }
  return text;
}

// Follows the leader that masters elected through ZooKeeper (Mesos's json.info_ layout).
class ZooKeeperDetector : public MasterDetector {
 public:
  ZooKeeperDetector(EventLoop& loop, const zk::Url& url)
      : detector_(loop, url, std::chrono::seconds(10),
                  [this](std::optional<std::string> json) { onLeader(std::move(json)); }) {
    detector_.start();
  }

  void detect(const Leader& previous, Callback done) override {
    previous_ = previous;
    pending_ = std::move(done);
    maybeAnswer();
  }

 private:
  void onLeader(std::optional<std::string> json) {
    current_.reset();
    mesos::v1::MasterInfo info;
    if (json && fromJson(*json, &info).isOk() && info.has_address()) {
      current_ = http::Endpoint{
          info.address().ip().empty() ? info.address().hostname() : info.address().ip(),
          static_cast<uint16_t>(info.address().port())};
    }
    known_ = true;
    maybeAnswer();
  }

  void maybeAnswer() {
    if (!pending_ || !known_) {
      return;
    }
    bool same = previous_.has_value() == current_.has_value() &&
                (!current_ || current_->toString() == previous_->toString());
    if (same) {
      return;
    }
    auto done = std::move(pending_);
    pending_ = nullptr;
    done(current_);
  }

  zk::LeaderDetector detector_;
  Leader previous_;
  Leader current_;
  bool known_ = false;
  Callback pending_;
};

}  // namespace

Result<std::unique_ptr<MasterDetector>> createMasterDetector(EventLoop& loop,
                                                             std::string_view master) {
  std::string text = trim(std::string(master));
  if (text.starts_with("file://")) {
    auto content = readMasterFile(std::string_view(text).substr(7));
    if (!content) {
      return std::unexpected(content.error());
    }
    return createMasterDetector(loop, *content);
  }
  if (text.starts_with("zk://")) {
    auto url = zk::Url::parse(text);
    if (!url) {
      return invalidArgument(fmt::format("Invalid master '{}': {}", text, url.error().message()));
    }
    return std::make_unique<ZooKeeperDetector>(loop, *url);
  }
  if (text.empty()) {
    return invalidArgument("No master given: expected host:port, zk://... or file:///path");
  }
  auto endpoint = http::Endpoint::parse(text, 5050);
  if (!endpoint) {
    return invalidArgument(
        fmt::format("Invalid master '{}': {}", text, endpoint.error().message()));
  }
  return fixedDetector(loop, *endpoint);
}

}  // namespace plateau::client
