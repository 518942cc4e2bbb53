#pragma once

// Mesos's per-framework metrics (--publish_per_framework_metrics, on by default): the series under
// master/frameworks/<name>/<framework id>/ in /metrics/snapshot (subscribed, calls, calls/<type>,
// events, events/<type>, operations, operations/<type>, tasks/active/<state>,
// tasks/terminal/<state>, offers/{sent,accepted,declined,rescinded}, roles/<role>/suppressed),
// and the same as plateau_master_framework_* families in /metrics, labelled framework_id and
// framework_name. The name in a key is percent-encoded as Mesos encodes it (libprocess's
// http::encode), so that '/' and ' ' in a name never split a key. Loop thread only.
//
// Guarantees:
// - A framework has series from added() (its subscription, or its recovery from the registry)
//   until dropped() (its completed record is gone): as in Mesos, a completed framework keeps its
//   series while the master keeps it (--max_completed_frameworks), so frameworks that come and
//   go never grow the output without end.
// - Counters only go up and are kept as things happen: each count is one hash lookup of the
//   framework id and an add; a framework not added (or publishing off) is counted nowhere.
// - Gauges (subscribed, tasks in each live state, each role's suppression) are read at a scrape
//   from what the master's books keep (the Reader: one lookup per framework), never by walking
//   tasks or agents.
// - A framework's key prefix is fixed when it is added, as in Mesos: a later rename keeps it.
// - Every key and Prometheus sample is unique: a framework id is added at most once (added() of a
//   known id changes nothing), and ids are part of every key and sample.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

#include "common/metrics.h"

namespace plateau::master {

class PerFrameworkMetrics : public metrics::Source {
 public:
  // What the master's books hold of a framework at a scrape.
  struct Live {
    bool subscribed = false;  // connected and active
    // Tasks now in each state, by TaskState number (only the non-terminal ones are read).
    std::array<uint32_t, mesos::v1::TaskState_ARRAYSIZE> tasks{};
    std::vector<std::pair<std::string, bool>> roles;  // its roles, and whether each is suppressed
  };
  using Reader = std::function<Live(const std::string& framework_id)>;

  enum class Offers { kSent, kAccepted, kDeclined, kRescinded };

  // `publish` false: nothing is kept or rendered.
  PerFrameworkMetrics(bool publish, Reader reader);
  PerFrameworkMetrics(const PerFrameworkMetrics&) = delete;
  PerFrameworkMetrics& operator=(const PerFrameworkMetrics&) = delete;

  // The framework's series exist from now on, under the name it has now.
  void added(const std::string& framework_id, const std::string& name);
  // Its series leave both outputs.
  void dropped(const std::string& framework_id);

  void call(const std::string& framework_id, mesos::v1::scheduler::Call::Type type);
  void event(const std::string& framework_id, mesos::v1::scheduler::Event::Type type);
  void operation(const std::string& framework_id, mesos::v1::Offer::Operation::Type type);
  // One of its tasks went into a terminal `state` (a non-terminal one counts nowhere).
  void taskEnded(const std::string& framework_id, mesos::v1::TaskState state);
  void offers(const std::string& framework_id, Offers what, uint64_t n = 1);

  // How many frameworks have series now.
  size_t size() const { return entries_.size(); }
  bool publishing() const { return publish_; }

  void appendSnapshot(std::vector<std::pair<std::string, double>>& out) const override;
  void appendPrometheus(std::string& out) const override;

  // master/frameworks/<name percent-encoded>/<id>/, Mesos's prefix.
  static std::string prefix(const std::string& name, const std::string& framework_id);

 private:
  struct Entry {
    std::string prefix;  // the snapshot keys'
    std::string labels;  // framework_id="...",framework_name="..."
    uint64_t calls = 0;
    uint64_t events = 0;
    uint64_t operations = 0;
    std::array<uint64_t, mesos::v1::scheduler::Call::Type_ARRAYSIZE> call{};
    std::array<uint64_t, mesos::v1::scheduler::Event::Type_ARRAYSIZE> event{};
    std::array<uint64_t, mesos::v1::Offer::Operation::Type_ARRAYSIZE> operation{};
    std::array<uint64_t, mesos::v1::TaskState_ARRAYSIZE> ended{};
    std::array<uint64_t, 4> offers{};  // by Offers
  };

  // Each framework's entry with what the books hold of it, read once per scrape.
  using Scraped = std::vector<std::pair<const Entry*, Live>>;

  Entry* find(const std::string& framework_id);
  void appendOffersAndRoles(std::string& out, const Scraped& all) const;

  bool publish_;
  Reader reader_;
  std::unordered_map<std::string, Entry> entries_;  // by framework id
};

}  // namespace plateau::master
