// Weights and quota configs: planned (validated, as registry changes), then applied once stored.

#include "master/role_book.h"

#include <gtest/gtest.h>

#include <mesos/v1/master/master.pb.h>

namespace plateau::master {
namespace {

namespace operator_api = mesos::v1::master;

operator_api::Call::UpdateQuota quotaUpdate(
    std::vector<std::tuple<std::string, std::string, double, double>> configs, bool force = true) {
  operator_api::Call::UpdateQuota update;
  update.set_force(force);
  for (const auto& [role, name, guarantee, limit] : configs) {
    auto* config = update.add_quota_configs();
    config->set_role(role);
    if (guarantee >= 0) {
      (*config->mutable_guarantees())[name].set_value(guarantee);
    }
    if (limit >= 0) {
      (*config->mutable_limits())[name].set_value(limit);
    }
  }
  return update;
}

// Plans and applies, as the master does once the registry has stored the changes.
Status store(RoleBook& book, const operator_api::Call::UpdateQuota& update,
             const std::optional<Resources>& capacity = std::nullopt) {
  auto changes = book.planQuota(update, capacity);
  if (!changes) {
    return changes.error();
  }
  for (const auto& change : *changes) {
    book.apply(change);
  }
  return {};
}

TEST(RoleBook, HoldsAQuotaOnlyOnceApplied) {
  RoleBook book;
  auto changes = book.planQuota(quotaUpdate({{"eng", "cpus", 2, 4}}), std::nullopt);
  ASSERT_TRUE(changes.has_value());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, registry::Change::Kind::kQuota);
  EXPECT_FALSE(book.hasQuota("eng"));

  book.apply((*changes)[0]);
  ASSERT_TRUE(book.hasQuota("eng"));
  EXPECT_EQ(book.quotas().at("eng").limits().at("cpus").value(), 4);
  mesos::v1::quota::QuotaStatus status;
  book.quotaStatus(&status);
  ASSERT_EQ(status.infos_size(), 1);
  EXPECT_EQ(status.infos(0).role(), "eng");
  EXPECT_EQ(status.configs(0).guarantees().at("cpus").value(), 2);
}

TEST(RoleBook, TheDefaultConfigRemovesTheQuota) {
  RoleBook book;
  ASSERT_TRUE(store(book, quotaUpdate({{"eng", "cpus", 2, -1}})).isOk());
  operator_api::Call::UpdateQuota clear;
  clear.add_quota_configs()->set_role("eng");
  auto changes = book.planQuota(clear, std::nullopt);
  ASSERT_TRUE(changes.has_value());
  EXPECT_TRUE((*changes)[0].remove);
  book.apply((*changes)[0]);
  EXPECT_FALSE(book.hasQuota("eng"));
}

TEST(RoleBook, RefusesInvalidConfigsAndChangesNothing) {
  RoleBook book;
  ASSERT_TRUE(store(book, quotaUpdate({{"eng", "cpus", 1, 2}})).isOk());
  const std::vector<std::pair<operator_api::Call::UpdateQuota, std::string>> bad = {
      {quotaUpdate({{"*", "cpus", 1, -1}}), "role '*'"},
      {quotaUpdate({{"ops", "cpus", 3, 2}}), "above its limit"},
      {quotaUpdate({{"ops", "cpus", -5, 1}, {"ops", "mem", 1, -1}}), "more than once"},
      {quotaUpdate({{"ops", "ports", 1, -1}}), "not a scalar"},
      {quotaUpdate({{"eng/a", "cpus", -1, 3}}), "above its parent"},
      {quotaUpdate({{"eng/a", "cpus", 1, -1}, {"eng/b", "cpus", 1.5, -1}}), "children"},
      {quotaUpdate({{"ops", "cpus", 8, -1}}, /*force=*/false), "capacity"},
  };
  for (const auto& [update, why] : bad) {
    auto changes = book.planQuota(
        update, update.force() ? std::nullopt : std::optional(*Resources::parse("cpus:4")));
    ASSERT_FALSE(changes.has_value()) << why;
    EXPECT_EQ(changes.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(changes.error().message().find(why), std::string::npos) << changes.error().message();
  }
  EXPECT_EQ(book.quotas().size(), 1u);
  EXPECT_EQ(book.quotas().at("eng").guarantees().at("cpus").value(), 1);
}

TEST(RoleBook, ChecksCapacityOnlyOfTopLevelGuarantees) {
  RoleBook book;
  auto capacity = Resources::parse("cpus:4");
  EXPECT_TRUE(store(book, quotaUpdate({{"eng", "cpus", 4, -1}}, false), *capacity).isOk());
  // A child's guarantee lies inside its parent's: not counted twice.
  EXPECT_TRUE(store(book, quotaUpdate({{"eng/web", "cpus", 3, -1}}, false), *capacity).isOk());
  EXPECT_EQ(book.quotas().size(), 2u);
}

TEST(RoleBook, WeightsArePositiveAndKnownRoles) {
  RoleBook book;
  operator_api::Call::UpdateWeights update;
  auto* info = update.add_weight_infos();
  info->set_role("eng");
  info->set_weight(2.5);
  auto changes = book.planWeights(update);
  ASSERT_TRUE(changes.has_value());
  EXPECT_TRUE(book.weights().empty());
  book.apply((*changes)[0]);
  EXPECT_EQ(book.weights().at("eng"), 2.5);

  for (double weight : {0.0, -1.0, std::numeric_limits<double>::infinity()}) {
    info->set_weight(weight);
    EXPECT_FALSE(book.planWeights(update).has_value()) << weight;
  }
  info->set_weight(1);
  info->set_role("bad role");
  EXPECT_FALSE(book.planWeights(update).has_value());
  update.clear_weight_infos();
  update.add_weight_infos()->set_weight(1);
  EXPECT_FALSE(book.planWeights(update).has_value());
  EXPECT_EQ(book.weights().size(), 1u);
}

TEST(RoleBook, AllocatorQuotaNamesZeroLimits) {
  auto update = quotaUpdate({{"eng", "gpus", -1, 0}});
  allocator::Quota quota = RoleBook::allocatorQuota(update.quota_configs(0));
  EXPECT_EQ(quota.zero_limits, std::vector<std::string>{"gpus"});
  EXPECT_TRUE(quota.guarantees.empty());
}

mesos::v1::quota::QuotaRequest legacyRequest(const std::string& role,
                                             std::vector<std::pair<std::string, double>> scalars) {
  mesos::v1::quota::QuotaRequest request;
  request.set_role(role);
  for (const auto& [name, value] : scalars) {
    auto* r = request.add_guarantee();
    r->set_name(name);
    r->set_type(mesos::v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
  }
  return request;
}

TEST(RoleBook, ALegacyRequestGuaranteesAndLimitsTheSame) {
  auto config = RoleBook::legacyConfig(legacyRequest("eng", {{"cpus", 2}, {"mem", 512}}));
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->role(), "eng");
  EXPECT_EQ(config->guarantees().at("cpus").value(), 2);
  EXPECT_EQ(config->limits().at("cpus").value(), 2);
  EXPECT_EQ(config->limits().at("mem").value(), 512);
}

TEST(RoleBook, RefusesLegacyRequestsMesosRefuses) {
  std::vector<std::pair<mesos::v1::quota::QuotaRequest, std::string>> bad;
  bad.emplace_back(legacyRequest("eng", {}), "empty 'guarantee'");
  bad.emplace_back(legacyRequest("eng", {{"cpus", 1}, {"cpus", 2}}), "duplicate");
  bad.emplace_back(legacyRequest("*", {{"cpus", 1}}), "role '*'");
  bad.emplace_back(legacyRequest("eng", {{"cpus", -1}}), "invalid");
  auto unnamed = legacyRequest("eng", {{"cpus", 1}});
  unnamed.clear_role();
  bad.emplace_back(unnamed, "must specify a role");
  auto reserved = legacyRequest("eng", {{"cpus", 1}});
  reserved.mutable_guarantee(0)->add_reservations()->set_role("eng");
  bad.emplace_back(reserved, "ReservationInfo");
  auto disk = legacyRequest("eng", {{"disk", 1}});
  disk.mutable_guarantee(0)->mutable_disk();
  bad.emplace_back(disk, "DiskInfo");
  auto revocable = legacyRequest("eng", {{"cpus", 1}});
  revocable.mutable_guarantee(0)->mutable_revocable();
  bad.emplace_back(revocable, "RevocableInfo");
  auto ranges = legacyRequest("eng", {});
  auto* ports = ranges.add_guarantee();
  ports->set_name("ports");
  ports->set_type(mesos::v1::Value::RANGES);
  bad.emplace_back(ranges, "non-scalar");
  for (const auto& [request, why] : bad) {
    auto config = RoleBook::legacyConfig(request);
    ASSERT_FALSE(config.has_value()) << why;
    EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.error().message().find(why), std::string::npos) << config.error().message();
  }
}

}  // namespace
}  // namespace plateau::master
