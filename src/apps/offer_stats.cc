#include "apps/offer_stats.h"

namespace plateau::apps {

namespace {

void writeSteps(json::Writer& w, const std::vector<DeclinedOfferStep>& steps) {
  w.beginArray();
  for (const auto& s : steps) {
    w.beginObject();
    w.key("reason");
    w.value(s.reason);
    w.key("declined");
    w.value(s.declined);
    w.key("processed");
    w.value(s.processed);
    w.endObject();
  }
  w.endArray();
}

void writeScalar(json::Writer& w, const char* name, double amount) {
  w.beginObject();
  w.key("name");
  w.value(name);
  w.key("role");
  w.value("*");
  w.key("scalar");
  w.value(amount);
  w.endObject();
}

// Marathon's Offer: id, hostname, agentId, resources and attributes (text ones: the only kind
// an OfferView keeps).
void writeOffer(json::Writer& w, const OfferView& o) {
  w.beginObject();
  w.key("id");
  w.value(o.id);
  w.key("hostname");
  w.value(o.place.hostname);
  w.key("agentId");
  w.value(o.agent_id);
  w.key("resources");
  w.beginArray();
  writeScalar(w, "cpus", o.cpus);
  writeScalar(w, "mem", o.mem);
  writeScalar(w, "disk", o.disk);
  if (o.gpus > 0) {
    writeScalar(w, "gpus", o.gpus);
  }
  if (!o.port_ranges.empty()) {
    w.beginObject();
    w.key("name");
    w.value("ports");
    w.key("role");
    w.value("*");
    w.key("ranges");
    w.beginArray();
    for (const auto& [begin, end] : o.port_ranges) {
      w.beginObject();
      w.key("begin");
      w.value(begin);
      w.key("end");
      w.value(end);
      w.endObject();
    }
    w.endArray();
    w.endObject();
  }
  w.endArray();
  w.key("attributes");
  w.beginArray();
  for (const auto& [name, text] : o.place.attributes) {
    w.beginObject();
    w.key("name");
    w.value(name);
    w.key("text");
    w.value(text);
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

}  // namespace

std::vector<DeclinedOfferStep> declinedOfferSteps(int processed,
                                                  const std::map<std::string, int>& counts) {
  std::vector<DeclinedOfferStep> steps;
  for (const char* reason : kRejectReasons) {
    auto it = counts.find(reason);
    int declined = it != counts.end() ? it->second : 0;
    steps.push_back({reason, declined, processed});
    processed -= declined;
  }
  return steps;
}

void OfferStats::used(const std::string& timestamp) {
  ++processed_;
  last_used_at_ = timestamp;
}

void OfferStats::unused(const OfferView& offer, std::vector<std::string> reasons,
                        const std::string& timestamp) {
  ++processed_;
  ++unused_;
  if (!reasons.empty()) {
    ++launch_attempt_[reasons.front()];
  }
  last_unused_at_ = timestamp;
  last_unused_[offer.agent_id] = {offer, std::move(reasons), timestamp};
}

void OfferStats::writeSummary(json::Writer& w) const {
  std::map<std::string, int> last;
  for (const auto& [agent, u] : last_unused_) {
    if (!u.reasons.empty()) {
      ++last[u.reasons.front()];
    }
  }
  w.beginObject();
  w.key("processedOffersCount");
  w.value(processed_);
  w.key("unusedOffersCount");
  w.value(unused_);
  if (!last_unused_at_.empty()) {
    w.key("lastUnusedOfferAt");
    w.value(last_unused_at_);
  }
  if (!last_used_at_.empty()) {
    w.key("lastUsedOfferAt");
    w.value(last_used_at_);
  }
  w.key("rejectSummaryLastOffers");
  writeSteps(w, declinedOfferSteps(static_cast<int>(last_unused_.size()), last));
  w.key("rejectSummaryLaunchAttempt");
  writeSteps(w, declinedOfferSteps(processed_, launch_attempt_));
  w.endObject();
}

void OfferStats::writeLastUnused(json::Writer& w) const {
  w.beginArray();
  for (const auto& [agent, u] : last_unused_) {
    w.beginObject();
    w.key("offer");
    writeOffer(w, u.offer);
    w.key("reason");
    w.beginArray();
    for (const auto& r : u.reasons) {
      w.value(r);
    }
    w.endArray();
    w.key("timestamp");
    w.value(u.timestamp);
    w.endObject();
  }
  w.endArray();
}

}  // namespace plateau::apps
