#include "master/allocator/drf_sorter.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace plateau::master::allocator {
namespace {

ResourceVector vec(double cpus, double mem, double disk = 0, double gpus = 0) {
  ResourceVector v;
  v.milli[ResourceVector::kCpus] = scalarToMilli(cpus);
  v.milli[ResourceVector::kMem] = scalarToMilli(mem);
  v.milli[ResourceVector::kDisk] = scalarToMilli(disk);
  v.milli[ResourceVector::kGpus] = scalarToMilli(gpus);
  return v;
}

std::vector<std::string> names(DrfSorter& sorter) {
  std::vector<std::string> result;
  for (DrfSorter::Handle handle : sorter.sort()) {
    result.push_back(sorter.name(handle));
  }
  return result;
}

using Names = std::vector<std::string>;

TEST(DrfSorterTest, SortsByAscendingDominantShare) {
  DrfSorter sorter;
  sorter.setTotal(vec(10, 100));
  const auto a = sorter.add("a").value();
  const auto b = sorter.add("b").value();
  const auto c = sorter.add("c").value();
  sorter.allocated(a, vec(5, 0));   // 0.5 of cpus
  sorter.allocated(b, vec(0, 20));  // 0.2 of mem
  sorter.allocated(c, vec(1, 30));  // dominant: mem 0.3
  EXPECT_EQ(names(sorter), (Names{"b", "c", "a"}));
  EXPECT_DOUBLE_EQ(sorter.dominantShare(c), 0.3);
  sorter.unallocated(a, vec(4.5, 0));  // 0.05
  EXPECT_EQ(names(sorter), (Names{"a", "b", "c"}));
}

TEST(DrfSorterTest, BreaksTiesByName) {
  DrfSorter sorter;
  sorter.setTotal(vec(10, 10));
  const auto zed = sorter.add("zed").value();
  const auto amy = sorter.add("amy").value();
  sorter.add("bob").value();
  EXPECT_EQ(names(sorter), (Names{"amy", "bob", "zed"}));
  sorter.allocated(zed, vec(1, 0));
  sorter.allocated(amy, vec(0, 1));
  EXPECT_EQ(names(sorter), (Names{"bob", "amy", "zed"}));
}

TEST(DrfSorterTest, WeightDividesTheDominantShare) {
  DrfSorter sorter;
  sorter.setTotal(vec(10, 10));
  const auto heavy = sorter.add("heavy", 2.0).value();
  const auto light = sorter.add("light").value();
  sorter.allocated(heavy, vec(6, 0));  // 0.6 / 2 = 0.3
  sorter.allocated(light, vec(4, 0));  // 0.4
  EXPECT_EQ(names(sorter), (Names{"heavy", "light"}));
  EXPECT_DOUBLE_EQ(sorter.weightedShare(heavy), 0.3);
  EXPECT_DOUBLE_EQ(sorter.dominantShare(heavy), 0.6);
  ASSERT_TRUE(sorter.setWeight(heavy, 1.0).isOk());
  EXPECT_EQ(names(sorter), (Names{"light", "heavy"}));
  EXPECT_FALSE(sorter.setWeight(heavy, 0.0).isOk());
  EXPECT_FALSE(sorter.setWeight(heavy, std::nan("")).isOk());
}

TEST(DrfSorterTest, InactiveClientsKeepTheirAllocationButAreNotSorted) {
  DrfSorter sorter;
  sorter.setTotal(vec(10, 10));
  const auto a = sorter.add("a").value();
  const auto b = sorter.add("b").value();
  sorter.allocated(a, vec(2, 0));
  sorter.deactivate(a);
  EXPECT_FALSE(sorter.isActive(a));
  EXPECT_EQ(names(sorter), (Names{"b"}));
  sorter.allocated(a, vec(2, 0));
  sorter.allocated(b, vec(1, 0));
  sorter.activate(a);
  EXPECT_EQ(names(sorter), (Names{"b", "a"}));
  EXPECT_EQ(sorter.allocation(a), vec(4, 0));
}

TEST(DrfSorterTest, ATotalChangeReordersEveryClient) {
  DrfSorter sorter;
  sorter.setTotal(vec(10, 100));
  const auto a = sorter.add("a").value();
  const auto b = sorter.add("b").value();
  sorter.allocated(a, vec(5, 0));   // 0.5
  sorter.allocated(b, vec(0, 40));  // 0.4
  EXPECT_EQ(names(sorter), (Names{"b", "a"}));
  sorter.setTotal(vec(100, 100));  // a: 0.05
  EXPECT_EQ(names(sorter), (Names{"a", "b"}));
  // Changes made while shares are stale are folded into the next sort.
  sorter.setTotal(vec(10, 100));
  sorter.unallocated(b, vec(0, 35));  // 0.05
  sorter.add("c").value();
  EXPECT_EQ(names(sorter), (Names{"c", "b", "a"}));
}

TEST(DrfSorterTest, RejectsDuplicateNamesAndBadWeightsAndReusesHandles) {
  DrfSorter sorter;
  const auto a = sorter.add("a").value();
  EXPECT_EQ(sorter.add("a").error().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(sorter.add("b", -1).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sorter.add("").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sorter.find("a"), a);
  sorter.remove(a);
  EXPECT_FALSE(sorter.find("a").has_value());
  EXPECT_EQ(sorter.size(), 0u);
  EXPECT_EQ(sorter.add("c").value(), a);
  EXPECT_EQ(names(sorter), (Names{"c"}));
}

TEST(DrfSorterTest, FindFirstVisitsInOrderAndStopsAtTheMatch) {
  DrfSorter sorter;
  sorter.setTotal(vec(10, 10));
  for (int i = 0; i < 5; ++i) {
    const auto handle = sorter.add(fmt::format("c{}", i)).value();
    sorter.allocated(handle, vec(5 - i, 0));
  }
  std::vector<std::string> visited;
  const auto found = sorter.findFirst([&](DrfSorter::Handle handle) {
    visited.push_back(sorter.name(handle));
    return sorter.name(handle) == "c2";
  });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(sorter.name(*found), "c2");
  EXPECT_EQ(visited, (Names{"c4", "c3", "c2"}));
  EXPECT_FALSE(sorter.findFirst([](DrfSorter::Handle) { return false; }).has_value());
}

TEST(DrfSorterTest, IncrementalOrderMatchesAFullSortUnderRandomChanges) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(fmt::format("seed={}", seed));
    std::mt19937 random(seed);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
    DrfSorter sorter;
    sorter.setTotal(vec(100, 1000, 1000, 4));
    std::vector<DrfSorter::Handle> live;
    int next_name = 0;
    for (int step = 0; step < 400; ++step) {
      const int op = pick(10);
      if (op == 0 || live.size() < 3) {
        live.push_back(sorter.add(fmt::format("c{:03}", next_name++), 1 + pick(3)).value());
      } else if (op == 1) {
        const size_t index = static_cast<size_t>(pick(static_cast<int>(live.size())));
        sorter.remove(live[index]);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(index));
      } else if (op == 2) {
        const auto handle = live[static_cast<size_t>(pick(static_cast<int>(live.size())))];
        sorter.isActive(handle) ? sorter.deactivate(handle) : sorter.activate(handle);
      } else if (op == 3) {
        sorter.setTotal(vec(50 + pick(100), 500 + pick(1000), 1000, 4));
      } else if (op == 4) {
        const auto handle = live[static_cast<size_t>(pick(static_cast<int>(live.size())))];
        ASSERT_TRUE(sorter.setWeight(handle, 0.5 + pick(4)).isOk());
      } else {
        const auto handle = live[static_cast<size_t>(pick(static_cast<int>(live.size())))];
        const ResourceVector delta = vec(pick(5), pick(50), pick(20), pick(2) * 0.5);
        op % 2 == 0 ? sorter.allocated(handle, delta) : sorter.unallocated(handle, delta);
      }
      std::vector<DrfSorter::Handle> expected;
      for (auto handle : live) {
        if (sorter.isActive(handle)) {
          expected.push_back(handle);
        }
      }
      std::sort(expected.begin(), expected.end(), [&](auto x, auto y) {
        const double sx = dominantShare(sorter.allocation(x), sorter.total()) / sorter.weight(x);
        const double sy = dominantShare(sorter.allocation(y), sorter.total()) / sorter.weight(y);
        return sx != sy ? sx < sy : sorter.name(x) < sorter.name(y);
      });
      ASSERT_EQ(sorter.sort(), expected) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace plateau::master::allocator
