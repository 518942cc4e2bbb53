#pragma once

// What operators set for roles: weights (UPDATE_WEIGHTS) and quota configs (UPDATE_QUOTA, the
// legacy /master/quota). Guarantees:
// - it holds only what the registry has stored: an update is planned first (plan*(), which
//   validates it and returns the registry changes) and enters the book through apply() once
//   those changes are durable, so a restart never loses an answered update;
// - every quota config it holds passed Mesos's rules: a known role other than '*', finite
//   non-negative scalars (no 'ports'), guarantees within limits, children's guarantees within
//   their parent's and no child's limit above its ancestor's; the default config (nothing
//   guaranteed, nothing limited) is not held;
// - every weight is finite and positive.
// The allocator gets its copy from the master after apply(). Loop thread only.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <mesos/v1/quota/quota.pb.h>

#include "common/resources.h"
#include "common/status.h"
#include "master/allocator/allocator.h"
#include "master/registry/registry.h"

namespace mesos::v1::master {
class Call_UpdateQuota;
class Call_UpdateWeights;
}  // namespace mesos::v1::master

namespace plateau::master {

class RoleBook {
 public:
  using QuotaConfigs = std::map<std::string, mesos::v1::quota::QuotaConfig>;

  // Takes what the registry recovered.
  void recover(std::map<std::string, double> weights, QuotaConfigs quotas);

  // The registry changes that store `update`, or why it is refused (InvalidArgument). Unless
  // the update is forced, the top-level guarantees must fit `capacity` (the agents' total).
  Result<std::vector<registry::Change>> planQuota(const mesos::v1::master::Call_UpdateQuota& update,
                                                  const std::optional<Resources>& capacity) const;
  Result<std::vector<registry::Change>> planWeights(
      const mesos::v1::master::Call_UpdateWeights& update) const;

  // Whether changes of `kind` belong to this book (the others to the master's registry mirror).
  static bool holds(registry::Change::Kind kind) {
    return kind == registry::Change::Kind::kQuota || kind == registry::Change::Kind::kWeight;
  }
  // Takes a stored change of a kind it holds.
  void apply(const registry::Change& change);

  const std::map<std::string, double>& weights() const { return weights_; }
  const QuotaConfigs& quotas() const { return quotas_; }
  bool hasQuota(const std::string& role) const { return quotas_.contains(role); }
  // GET_QUOTA's answer: each role's guarantee (the pre-1.9 field) and config.
  void quotaStatus(mesos::v1::quota::QuotaStatus* out) const;

  // The allocator's form of a config.
  static allocator::Quota allocatorQuota(const mesos::v1::quota::QuotaConfig& config);
  // Whether `config` asks for nothing (setting it removes the role's quota).
  static bool isDefault(const mesos::v1::quota::QuotaConfig& config);
  // The config of a legacy request (SET_QUOTA, POST /quota): its guarantee is both the
  // guarantees and the limits, as in Mesos 1.9+. InvalidArgument by Mesos's rules for a
  // QuotaInfo: a role, at least one guarantee, each an unreserved, non-revocable scalar without
  // disk info, no name twice.
  static Result<mesos::v1::quota::QuotaConfig> legacyConfig(
      const mesos::v1::quota::QuotaRequest& request);

 private:
  std::map<std::string, double> weights_;  // role -> weight
  QuotaConfigs quotas_;                    // role -> config
};

}  // namespace plateau::master
